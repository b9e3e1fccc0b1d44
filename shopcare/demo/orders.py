"""Placing an order: the shop numbers it and hands it to shopcare in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select

from shopcare.core.outbox import enqueue_mail
from shopcare.demo.catalogue import CATEGORY_BY_SLUG
from shopcare.demo.extensions import care, db
from shopcare.demo.models import OrderNumber, Product, User
from shopcare.orders.models import Order


def order_lines(items: Sequence[tuple[Product, int]]) -> list[dict[str, Any]]:
    """``(product, quantity)`` pairs as the lines ``care.orders.record`` takes."""
    return [
        {
            "sku": product.sku,
            "name": product.name,
            "category": CATEGORY_BY_SLUG[product.category].name,
            "quantity": quantity,
            "unit_price": product.price,
        }
        for product, quantity in items
    ]


#: Spain's VAT, already in every price of the shop.
VAT_RATE = Decimal("0.21")


def vat_included(total: Decimal) -> Decimal:
    """The VAT inside a VAT-inclusive ``total``: ``121.00`` → ``21.00``."""
    return (total - total / (1 + VAT_RATE)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def place_order(
    user: User | None,
    email: str,
    items: Sequence[tuple[Product, int]],
    placed_at: datetime,
    *,
    delivered_at: datetime | None = None,
    locale: str | None = None,
    checkout_key: str | None = None,
) -> Order:
    """Number a new order and record it with shopcare. Flushes; the caller commits.

    :param checkout_key: the checkout page's one-time key; when an order was already
        placed with it (a double submit), that order is returned and nothing new is made.
    :raises shopcare.ValidationError: if shopcare refuses the order (nothing to commit).
    """
    if checkout_key is not None:
        placed = already_placed(checkout_key)
        if placed is not None:
            return placed
    number = OrderNumber(issued_at=placed_at, checkout_key=checkout_key)
    db.session.add(number)
    db.session.flush()
    total = sum((product.price * quantity for product, quantity in items), Decimal(0))
    return care.orders.record(
        number.reference,
        email,
        placed_at,
        order_lines(items),
        user_id=None if user is None else user.id,
        currency="EUR",
        delivered_at=delivered_at,
        locale=locale,
        shipping=0,  # free delivery on every order
        tax=vat_included(total),
        tax_included=True,
        paid=total,
    )


def send_confirmation(order: Order, name: str) -> None:
    """Queue the order's confirmation e-mail through shopcare's outbox, in the caller's
    transaction (so it goes out once, and only if the order commits), in the order's
    language. Templates: ``templates/shopcare/email/casaverde/order_placed.*``."""
    enqueue_mail(
        order.email,
        "casaverde/order_placed",
        {
            "order_id": order.id,
            "reference": order.reference,
            "name": name,
            "items": [{"name": line.name, "quantity": line.quantity} for line in order.lines],
            "total": str(order.total),
            "currency": order.currency,
        },
        locale=order.locale,
        dedupe_key=f"casaverde-order-placed:{order.reference}",
    )


def already_placed(checkout_key: str) -> Order | None:
    """The order a checkout page already placed, if any."""
    number = db.session.scalar(select(OrderNumber).where(OrderNumber.checkout_key == checkout_key))
    return None if number is None else care.orders.get(number.reference)
