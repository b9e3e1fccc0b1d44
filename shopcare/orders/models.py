"""Orders and their lines, as the host shop recorded them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from babel.numbers import get_currency_precision
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shopcare.core.db import Base, utcnow


class Order(Base):
    """One order of the host shop, keyed by the shop's own reference."""

    __tablename__ = "shopcare_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    user_id: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    locale: Mapped[str | None] = mapped_column(String(16))
    placed_at: Mapped[datetime] = mapped_column(index=True)
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order",
        order_by="OrderLine.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    __table_args__ = (Index("ix_shopcare_orders_user_id_placed_at", "user_id", "placed_at"),)

    @property
    def total(self) -> Decimal:
        """The sum of the lines, in the order's currency."""
        return sum((line.total for line in self.lines), Decimal(0))

    def __repr__(self) -> str:
        return f"<Order {self.reference}>"


class OrderLine(Base):
    """One product line of an order. Prices are kept in the currency's minor unit."""

    __tablename__ = "shopcare_order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("shopcare_orders.id", ondelete="CASCADE"))
    position: Mapped[int]
    sku: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(255))
    category: Mapped[str | None] = mapped_column(String(100))
    quantity: Mapped[int]
    unit_price_minor: Mapped[int]

    order: Mapped[Order] = relationship(back_populates="lines")

    __table_args__ = (UniqueConstraint("order_id", "sku"),)

    @property
    def unit_price(self) -> Decimal:
        """The unit price as a Decimal in the order's currency."""
        return minor_to_decimal(self.unit_price_minor, self.order.currency)

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity

    def __repr__(self) -> str:
        return f"<OrderLine {self.sku} x{self.quantity}>"


def minor_to_decimal(amount: int, currency: str) -> Decimal:
    """``1999, "EUR"`` → ``Decimal("19.99")``."""
    return Decimal(amount).scaleb(-get_currency_precision(currency))
