"""A case (withdrawal, return or guarantee claim), the order lines it covers and its photos."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shopcare.core.db import Base, utcnow
from shopcare.orders.models import Order, OrderLine, minor_to_decimal

KINDS = ("withdrawal", "return", "guarantee")
STATUSES = ("requested", "approved", "rejected", "received", "resolved", "closed", "cancelled")
#: How a case was resolved (``care.cases.resolve`` / ``mark_*``).
OUTCOMES = ("refunded", "exchanged", "credited", "repaired", "replaced")
#: What happened to a line's units when the parcel came back.
CONDITIONS = ("received", "missing", "damaged")
#: Statuses whose lines still count against what may be asked for again.
COUNTING = ("requested", "approved", "received", "resolved", "closed")
#: Risk flags staff see on the queue.
FLAGS = ("many_cases", "high_value", "no_photos", "not_delivered")


def _in(column: str, values: tuple[str, ...]) -> str:
    return "{} IN ({})".format(column, ", ".join(f"'{value}'" for value in values))


class Case(Base):
    """One after-sales case of an order: its kind (legal basis), status and money."""

    __tablename__ = "shopcare_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the human case number (the RMA), e.g. ``R-2026-000042``; not an access key
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    #: makes a repeated submission (a double click) return the first case
    request_key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="requested")
    version: Mapped[int] = mapped_column(default=1)
    order_id: Mapped[int] = mapped_column(ForeignKey("shopcare_orders.id", ondelete="CASCADE"))
    user_id: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(40))
    remedy: Mapped[str | None] = mapped_column(String(20))
    #: for an exchange: the variant the shopper wants instead (size, colour or product
    #: code, as they wrote it); None for other remedies
    exchange_for: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    reject_reason: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(16))
    #: risk flags, space-separated with a space at each end (``" high_value no_photos "``)
    flags: Mapped[str] = mapped_column(String(200), default=" ")
    currency: Mapped[str] = mapped_column(String(3))
    #: what the lines are worth at the order's prices (minor units), for the queue
    value_minor: Mapped[int] = mapped_column(default=0)
    #: the money due once received: goods - fees + shipping (minor units), or None
    goods_minor: Mapped[int | None]
    fee_minor: Mapped[int | None]
    shipping_minor: Mapped[int | None]
    due_minor: Mapped[int | None]
    #: what the host reported it paid or credited (minor units)
    paid_minor: Mapped[int | None]
    paid_reference: Mapped[str | None] = mapped_column(String(100))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: set by every change of the row (a move sets it too): the dashboard reads the
    #: cases changed since the worker's last run live (``shopcare.insights.returned``)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    resolved_at: Mapped[datetime | None]

    order: Mapped[Order] = relationship(lazy="joined", innerjoin=True)
    lines: Mapped[list[CaseLine]] = relationship(
        back_populates="case",
        order_by="CaseLine.id",
        cascade="all, delete-orphan",
        lazy="selectin",
    )
    photos: Mapped[list[CasePhoto]] = relationship(
        back_populates="case",
        order_by="CasePhoto.id",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    __table_args__ = (
        # the staff queue: newest first, by status, by kind; a shopper's and an order's cases
        Index("ix_shopcare_cases_status_opened_at", "status", "opened_at"),
        Index("ix_shopcare_cases_kind_status_opened_at", "kind", "status", "opened_at"),
        Index("ix_shopcare_cases_opened_at", "opened_at"),
        Index("ix_shopcare_cases_order_id", "order_id"),
        Index("ix_shopcare_cases_updated_at", "updated_at"),
        Index("ix_shopcare_cases_email_opened_at", "email", "opened_at"),
        Index("ix_shopcare_cases_user_id_opened_at", "user_id", "opened_at"),
        CheckConstraint(_in("kind", KINDS), name="kind"),
        CheckConstraint(_in("status", STATUSES), name="status"),
    )

    def has_flag(self, flag: str) -> bool:
        return f" {flag} " in self.flags

    @property
    def flag_list(self) -> list[str]:
        return self.flags.split()

    @property
    def quantity(self) -> int:
        return sum(line.quantity for line in self.lines)

    def _money(self, minor: int | None) -> Decimal | None:
        return None if minor is None else minor_to_decimal(minor, self.currency)

    @property
    def value(self) -> Decimal:
        """What the lines are worth at the order's prices, in the order's currency."""
        return minor_to_decimal(self.value_minor, self.currency)

    @property
    def due(self) -> Decimal | None:
        """The money due once received: goods less fees plus shipping (``None``: not
        worked out yet)."""
        return self._money(self.due_minor)

    @property
    def paid(self) -> Decimal | None:
        """What the host reported it paid or credited (``None``: nothing yet)."""
        return self._money(self.paid_minor)

    def __repr__(self) -> str:
        return f"<Case {self.number} {self.kind} {self.status}>"


class CaseLine(Base):
    """The units of one order line a case covers, and what came back."""

    __tablename__ = "shopcare_case_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: indexed: the order page reads an order's case lines through their cases
    case_id: Mapped[int] = mapped_column(
        ForeignKey("shopcare_cases.id", ondelete="CASCADE"), index=True
    )
    order_line_id: Mapped[int] = mapped_column(
        ForeignKey("shopcare_order_lines.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[int]
    #: set when the parcel is received: units back in good order, damaged, missing
    received: Mapped[int | None]
    damaged: Mapped[int | None]
    missing: Mapped[int | None]
    #: units the money due covers, and that money (minor units), once computed
    settled_quantity: Mapped[int | None]
    amount_minor: Mapped[int | None]

    case: Mapped[Case] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (CheckConstraint("quantity > 0", name="quantity"),)

    @property
    def condition(self) -> str | None:
        """``received``, ``damaged`` or ``missing``: the worst that happened, once received."""
        if self.received is None:
            return None
        if self.missing:
            return "missing"
        if self.damaged:
            return "damaged"
        return "received"


class CasePhoto(Base):
    """A photo a shopper attached: re-encoded, without metadata, stored under ``token``."""

    __tablename__ = "shopcare_case_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("shopcare_cases.id", ondelete="CASCADE"), index=True
    )
    #: the unguessable file name (and URL part) of the stored file
    token: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="photos")

    @property
    def extension(self) -> str:
        return {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}[self.content_type]
