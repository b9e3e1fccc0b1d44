"""The shop's own tables: customers and staff, the product catalogue, order numbers.

These are host tables (no ``shopcare_`` prefix): shopcare never reads them. The shop
hands shopcare what it needs through ``care.orders.record``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from shopcare.demo.catalogue import CATEGORY_BY_SLUG
from shopcare.demo.extensions import Model


def _utcnow() -> datetime:
    return datetime.now(UTC)


class User(UserMixin, Model):
    """A customer or a member of staff (``is_admin``) who can log in."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    #: shopcare reads ``locale``; ``None`` lets the browser's language decide.
    locale: Mapped[str | None] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)

    def set_password(self, password: str, method: str = "scrypt") -> None:
        """Store a salted hash of ``password`` (``method`` as werkzeug names them)."""
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name else self.email

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class Product(Model):
    """One product of the catalogue. Prices are kept in cents."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(32), unique=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(32), index=True)
    price_cents: Mapped[int]
    blurb: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    #: How the product's picture is drawn (see ``templates/demo/_art.html``).
    motif: Mapped[str] = mapped_column(String(32))
    colour: Mapped[str] = mapped_column(String(7))
    accent: Mapped[str] = mapped_column(String(7))
    position: Mapped[int] = mapped_column(default=0)

    @property
    def tint(self) -> str:
        """The background of the product's picture: its category's colour."""
        category = CATEGORY_BY_SLUG.get(self.category)
        return category.tint if category else "#eeeeee"

    @property
    def price(self) -> Decimal:
        """The price in euros."""
        return Decimal(self.price_cents).scaleb(-2)

    def __repr__(self) -> str:
        return f"<Product {self.sku}>"


class OrderNumber(Model):
    """The shop's order-number sequence: one row per order, its id makes the reference.

    An autoincrement row is the portable way to hand out unique numbers to concurrent
    checkouts on both SQLite and PostgreSQL.
    """

    __tablename__ = "order_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)
    #: The checkout form's one-time key: a double submit finds the order it already placed.
    checkout_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    #: References read ``CV-100001``, ``CV-100002`` …
    OFFSET = 100_000

    @property
    def reference(self) -> str:
        return f"CV-{self.OFFSET + self.id}"
