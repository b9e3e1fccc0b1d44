"""The orders' part in a person's export and erasure (``shopcare.core.privacy``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from shopcare.core.db import session
from shopcare.core.privacy import Erased, Found, PrivacyPart
from shopcare.orders.models import Order


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def export(email: str) -> Found:
    orders = session().scalars(select(Order).where(Order.email == email).order_by(Order.id)).all()
    records = [
        {
            "reference": order.reference,
            "email": order.email,
            "user_id": order.user_id,
            "locale": order.locale,
            "currency": order.currency,
            "placed_at": _iso(order.placed_at),
            "delivered_at": _iso(order.delivered_at),
            "total": str(order.total),
            "lines": [
                {
                    "sku": line.sku,
                    "name": line.name,
                    "category": line.category,
                    "quantity": line.quantity,
                    "unit_price_minor": line.unit_price_minor,
                }
                for line in order.lines
            ],
        }
        for order in orders
    ]
    return Found(records, [("order", str(order.id)) for order in orders])


def erase(email: str, alias: str) -> Erased:
    ids = list(session().scalars(select(Order.id).where(Order.email == email)))
    if ids:
        session().execute(
            update(Order)
            .where(Order.id.in_(ids))
            .values(email=alias, user_id=None)
            .execution_options(synchronize_session="fetch")
        )
    return Erased({"orders": len(ids)}, [("order", str(order_id)) for order_id in ids])


#: Declared in ``shopcare.orders.wiring``.
PART = PrivacyPart("orders", export, erase)
