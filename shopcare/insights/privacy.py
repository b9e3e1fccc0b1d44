"""The insights' part in a person's export and erasure (``shopcare.core.privacy``).

The customer facts (``shopcare.insights.customers``) are keyed by the customer's e-mail,
lower-cased: the export lists them, and an erasure replaces the key by the erasure's
alias, as the orders' own e-mail is replaced — so the figures stay what they were and
the facts stay those of the (now anonymous) orders. The daily answers' rollup holds no
personal data.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from shopcare.core.db import session
from shopcare.core.privacy import Erased, Found, PrivacyPart
from shopcare.insights.models import CustomerNps, CustomerOrder


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def export(email: str) -> Found:
    key = email.lower()
    orders = session().scalars(
        select(CustomerOrder)
        .where(CustomerOrder.customer == key)
        .order_by(CustomerOrder.placed_at, CustomerOrder.order_id)
    )
    answers = session().scalars(
        select(CustomerNps)
        .where(CustomerNps.customer == key)
        .order_by(CustomerNps.answered_at, CustomerNps.answer_id)
    )
    records: list[dict[str, Any]] = [
        {
            "fact": "order",
            "order_id": row.order_id,
            "placed_at": _iso(row.placed_at),
            "orders_so_far": row.orders,
            "money_so_far_minor": row.money,
            "gap_days": row.gap,
        }
        for row in orders
    ]
    records += [
        {
            "fact": "nps",
            "answer_id": row.answer_id,
            "answered_at": _iso(row.answered_at),
            "value": row.value,
        }
        for row in answers
    ]
    return Found(records, [])


def erase(email: str, alias: str) -> Erased:
    key = email.lower()
    counts: dict[str, int] = {}
    for model, name in ((CustomerOrder, "customer_orders"), (CustomerNps, "customer_nps")):
        done: Any = session().execute(
            update(model)
            .where(model.customer == key)
            .values(customer=alias.lower())
            .execution_options(synchronize_session=False)
        )
        counts[name] = int(done.rowcount or 0)
    return Erased(counts, [])


#: Declared in ``shopcare.insights.wiring``.
PART = PrivacyPart("insights", export, erase)
