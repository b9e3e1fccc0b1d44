"""Orders and their lines, as the host shop recorded them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from babel.numbers import get_currency_precision
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shopcare.core.db import Base, utcnow


class Order(Base):
    """One order of the host shop, keyed by the shop's own reference.

    Money is kept in the currency's minor unit (cents): ``shipping_minor``, the
    order-level ``discount_minor``, ``tax_minor`` (added on top of the prices, or
    already in them when ``tax_included``) and ``paid_minor``, what the shopper
    actually paid (``None`` when the shop did not say). :attr:`total` adds them up.

    ``reference`` is the shop's spelling (shown and linked); ``reference_key`` is how it
    is matched (``shopcare.orders.services.reference_key``: case, spaces and a leading
    ``#`` ignored), unique, and what every look-up reads.
    """

    __tablename__ = "shopcare_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(64))
    reference_key: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    user_id: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    locale: Mapped[str | None] = mapped_column(String(16))
    placed_at: Mapped[datetime] = mapped_column(index=True)
    delivered_at: Mapped[datetime | None]
    shipping_minor: Mapped[int] = mapped_column(default=0, server_default="0")
    discount_minor: Mapped[int] = mapped_column(default=0, server_default="0")
    tax_minor: Mapped[int] = mapped_column(default=0, server_default="0")
    tax_included: Mapped[bool] = mapped_column(default=False, server_default=false())
    paid_minor: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order",
        order_by="OrderLine.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    __table_args__ = (
        Index("ix_shopcare_orders_user_id_placed_at", "user_id", "placed_at"),
        # the dashboard's return rate: orders delivered in a period
        Index("ix_shopcare_orders_delivered_at", "delivered_at"),
        # the dashboard's customer facts: orders changed since the worker's last refresh
        Index("ix_shopcare_orders_updated_at", "updated_at"),
    )

    def _money(self, minor: int) -> Decimal:
        return minor_to_decimal(minor, self.currency)

    @property
    def subtotal(self) -> Decimal:
        """The lines at their prices, before any discount."""
        return self._money(sum(line.unit_price_minor * line.quantity for line in self.lines))

    @property
    def lines_discount(self) -> Decimal:
        """The lines' own discounts, added up."""
        return self._money(sum(line.discount_minor for line in self.lines))

    @property
    def discount(self) -> Decimal:
        """The order-level discount (a coupon on the whole order)."""
        return self._money(self.discount_minor)

    @property
    def shipping(self) -> Decimal:
        return self._money(self.shipping_minor)

    @property
    def tax(self) -> Decimal:
        """The tax: added to the total, or (``tax_included``) already in the prices."""
        return self._money(self.tax_minor)

    @property
    def total_minor(self) -> int:
        lines = sum(
            line.unit_price_minor * line.quantity - line.discount_minor for line in self.lines
        )
        added_tax = 0 if self.tax_included else self.tax_minor
        return lines - self.discount_minor + self.shipping_minor + added_tax

    @property
    def total(self) -> Decimal:
        """What the order comes to: the lines less their discounts, less the order's
        discount, plus shipping, plus tax unless the prices include it."""
        return self._money(self.total_minor)

    @property
    def paid(self) -> Decimal | None:
        """What the shopper actually paid, when the shop said (``None`` otherwise)."""
        return None if self.paid_minor is None else self._money(self.paid_minor)

    def __repr__(self) -> str:
        return f"<Order {self.reference}>"


class OrderLine(Base):
    """One product line of an order. Prices are kept in the currency's minor unit.

    ``discount_minor`` is the line's own discount (for all its units); ``paid_minor`` is
    what the line actually cost the shopper: its price times its quantity, less its own
    discount and its share of the order's discount, plus its share of any tax added on
    top. The shares are split in proportion and add up exactly (the remainder goes to
    the largest fractions), so refunds computed from it never exceed what was paid.
    """

    __tablename__ = "shopcare_order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("shopcare_orders.id", ondelete="CASCADE"))
    position: Mapped[int]
    sku: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(255))
    category: Mapped[str | None] = mapped_column(String(100))
    quantity: Mapped[int]
    unit_price_minor: Mapped[int]
    discount_minor: Mapped[int] = mapped_column(default=0, server_default="0")
    paid_minor: Mapped[int] = mapped_column(default=0, server_default="0")

    order: Mapped[Order] = relationship(back_populates="lines")

    __table_args__ = (UniqueConstraint("order_id", "sku"),)

    @property
    def unit_price(self) -> Decimal:
        """The unit price as a Decimal in the order's currency."""
        return minor_to_decimal(self.unit_price_minor, self.order.currency)

    @property
    def total(self) -> Decimal:
        """The price times the quantity, before any discount."""
        return self.unit_price * self.quantity

    @property
    def discount(self) -> Decimal:
        return minor_to_decimal(self.discount_minor, self.order.currency)

    @property
    def paid(self) -> Decimal:
        """What this line actually cost the shopper (see the class docstring)."""
        return minor_to_decimal(self.paid_minor, self.order.currency)

    def __repr__(self) -> str:
        return f"<OrderLine {self.sku} x{self.quantity}>"


def minor_to_decimal(amount: int, currency: str) -> Decimal:
    """``1999, "EUR"`` → ``Decimal("19.99")``."""
    return Decimal(amount).scaleb(-get_currency_precision(currency))
