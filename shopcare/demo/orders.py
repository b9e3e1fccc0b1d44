"""Placing an order: the shop numbers it and hands it to shopcare in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

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


def place_order(
    user: User | None,
    email: str,
    items: Sequence[tuple[Product, int]],
    placed_at: datetime,
    *,
    delivered_at: datetime | None = None,
    locale: str | None = None,
) -> Order:
    """Number a new order and record it with shopcare. Flushes; the caller commits.

    :raises shopcare.ValidationError: if shopcare refuses the order (nothing to commit).
    """
    number = OrderNumber(issued_at=placed_at)
    db.session.add(number)
    db.session.flush()
    return care.orders.record(
        number.reference,
        email,
        placed_at,
        order_lines(items),
        user_id=None if user is None else user.id,
        currency="EUR",
        delivered_at=delivered_at,
        locale=locale,
    )
