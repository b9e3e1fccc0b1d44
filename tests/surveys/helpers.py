"""Helpers shared by the surveys tests."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

MADRID = ZoneInfo("Europe/Madrid")
CONFIG: dict[str, Any] = {
    "SHOPCARE_DEFAULT_TIMEZONE": "Europe/Madrid",
    "SHOPCARE_RATELIMIT_ENABLED": False,
    "SHOPCARE_EXTERNAL_URL": "https://shop.example",
    "SHOPCARE_MAIL_SENDER": "care@shop.example",
}


def madrid(*args: int) -> datetime:
    return datetime(*args, tzinfo=MADRID)  # type: ignore[misc]


def delivered(
    care: Any,
    reference: str = "SO-1",
    *,
    at: datetime | None = None,
    email: str = "ann@example.com",
    category: str | None = None,
    locale: str | None = None,
) -> Any:
    at = at or datetime.now(UTC) - timedelta(days=8)
    return care.orders.record(
        reference,
        email,
        at - timedelta(days=3),
        [
            {
                "sku": "MUG-1",
                "name": "Blue mug",
                "quantity": 1,
                "unit_price": "12.50",
                "category": category,
            }
        ],
        user_id=None,
        delivered_at=at,
        locale=locale,
    )


def invite(care: Any, db: Any, reference: str = "SO-1", **kwargs: Any) -> Any:
    """A delivered order and its invitation, committed."""
    delivered(care, reference, **kwargs)
    made = care.surveys.invite_due()
    db.session.commit()
    [invitation] = [i for i in made if i.order.reference == reference]
    return invitation


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


FULL = {
    "nps": 9,
    "csat": 5,
    "ces": 6,
    "delivery": 4,
    "product": 5,
    "site": 4,
    "information": 4,
    "trust": 5,
    "after_sale": 4,
    "competition": "3",
    "comment": "Great",
}
