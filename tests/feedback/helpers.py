"""Helpers shared by the suggestion box's tests."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

MADRID = ZoneInfo("Europe/Madrid")
CONFIG: dict[str, Any] = {
    "SHOPCARE_DEFAULT_TIMEZONE": "Europe/Madrid",
    "SHOPCARE_COUNTRY": "ES",
    "SHOPCARE_RATELIMIT_ENABLED": False,
    "SHOPCARE_EXTERNAL_URL": "https://shop.example",
    "SHOPCARE_FEEDBACK_REPLY_ADDRESS": "care@shop.example",
    "SHOPCARE_FEEDBACK_BOARD": True,
}


def madrid(*args: int) -> datetime:
    return datetime(*args, tzinfo=MADRID)  # type: ignore[misc]


def order(
    care: Any,
    reference: str = "SO-1",
    *,
    email: str = "ann@example.com",
    user_id: str | None = "ann",
) -> Any:
    return care.orders.record(
        reference,
        email,
        datetime.now(UTC) - timedelta(days=5),
        [{"sku": "MUG-1", "name": "Blue mug", "quantity": 1, "unit_price": "9.90"}],
        user_id=user_id,
        currency="EUR",
    )


def token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, html
    return match.group(1)
