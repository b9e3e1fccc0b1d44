"""Helpers shared by the tracking tests."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient

from tests.conftest import sample_lines

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECRET = "whsec-test-1"


def make_order(
    care: Any,
    reference: str = "SO-1",
    *,
    email: str = "ann@example.com",
    user_id: str | None = None,
    lines: list[dict[str, Any]] | None = None,
    placed_at: datetime | None = None,
    locale: str | None = None,
) -> Any:
    return care.orders.record(
        reference,
        email,
        placed_at or T0 - timedelta(days=1),
        lines or sample_lines(),
        user_id=user_id,
        locale=locale,
    )


def many_lines(count: int) -> list[dict[str, Any]]:
    return [
        {"sku": f"SKU-{i}", "name": f"Thing {i}", "quantity": 2, "unit_price": "3.00"}
        for i in range(count)
    ]


def csrf_token(client: FlaskClient, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def without_csrf(html: str) -> str:
    return re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "", html)


def signature(body: bytes, secret: str = SECRET, *, at: float | None = None) -> str:
    stamp = str(int(time.time() if at is None else at))
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"
