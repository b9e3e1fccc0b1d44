"""Helpers shared by the cases tests."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image

MADRID = ZoneInfo("Europe/Madrid")
CONFIG: dict[str, Any] = {
    "SHOPCARE_DEFAULT_TIMEZONE": "Europe/Madrid",
    "SHOPCARE_COUNTRY": "ES",
    "SHOPCARE_RATELIMIT_ENABLED": False,
}


def madrid(*args: int) -> datetime:
    return datetime(*args, tzinfo=MADRID)  # type: ignore[misc]


def lines() -> list[dict[str, Any]]:
    return [
        {
            "sku": "MUG-1",
            "name": "Blue mug",
            "quantity": 3,
            "unit_price": "89.99",
            "category": "kitchen",
        },
        {"sku": "TEA-9", "name": "Green tea", "quantity": 1, "unit_price": "4.90"},
    ]


def delivered_order(
    care: Any,
    reference: str = "SO-1",
    *,
    delivered: datetime | None = None,
    email: str = "ann@example.com",
    user_id: str | None = "ann",
    order_lines: list[dict[str, Any]] | None = None,
    currency: str = "EUR",
    locale: str | None = None,
) -> Any:
    delivered = delivered or datetime.now(UTC) - timedelta(days=2)
    return care.orders.record(
        reference,
        email,
        delivered - timedelta(days=3),
        order_lines or lines(),
        user_id=user_id,
        currency=currency,
        delivered_at=delivered,
        locale=locale,
    )


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (40, 20), **save: Any) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    image.save(out, fmt, **save)
    return out.getvalue()
