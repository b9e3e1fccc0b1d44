"""PITFALLS.md "After-sales cases": the parts of its lines no other test held — the
acknowledgement's wording and time (both languages, at a real SMTP server), the
withdrawal recorded while its acknowledgement cannot be sent, and a photo that is also
HTML served only as an attachment, never inline, whatever the URL asks."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient

from shopcare.core.outbox.worker import work
from tests.cases.helpers import CONFIG, delivered_order, image_bytes
from tests.conftest import login


@pytest.fixture
def app_config(smtp_server: Any, tmp_path: Any) -> dict[str, Any]:
    return {
        **CONFIG,
        **smtp_server.config,
        "SHOPCARE_EXTERNAL_URL": "https://shop.example",
        "SHOPCARE_CASE_PHOTO_DIR": str(tmp_path / "photos"),
    }


def _text(message: Any) -> str:
    part = message.get_body(preferencelist=("plain",))
    return str(part.get_content())


@pytest.mark.parametrize(
    ("locale", "received", "not_approved"),
    [
        ("en", "We received your withdrawal from the contract on", "approved"),
        ("es", "Hemos recibido tu desistimiento del contrato el", "aprobad"),
    ],
)
def test_the_acknowledgement_says_received_to_the_second_not_approved(
    care: Any, db: Any, smtp_server: Any, locale: str, received: str, not_approved: str
) -> None:
    delivered_order(care, locale=locale)
    before = datetime.now(UTC)
    case = care.cases.open("SO-1", "withdrawal", {"MUG-1": 1}, name="Ann")
    db.session.commit()
    work()
    (message,) = smtp_server.wait_for(1)
    body = _text(message)
    assert received in body, body
    assert not_approved not in body.lower() and not_approved not in message["Subject"].lower()
    assert case.number in body and "Europe/Madrid" in body
    # the time to the second, in the shopper's zone (Madrid here)
    local = before.astimezone(ZoneInfo("Europe/Madrid"))
    stamp = re.search(r"(\d{1,2}):(\d{2}):(\d{2})", body)
    assert stamp, body
    assert abs(int(stamp.group(1)) % 12 - local.hour % 12) in (0, 1, 11), (stamp.group(0), local)
    assert "motivo" not in body.lower() and "reason" not in body.lower()


def test_a_photo_that_is_also_html_is_only_ever_an_attachment(
    care: Any, db: Any, client: FlaskClient
) -> None:
    polyglot = image_bytes("JPEG") + b"<html><script>alert(1)</script></html>"
    delivered_order(care)
    case = care.cases.open(
        "SO-1",
        "guarantee",
        {"MUG-1": 1},
        reason="defective",
        description="<img src=x onerror=alert(1)>",
        photos=[polyglot],
    )
    db.session.commit()
    login(client, "ann")
    url = f"/care/cases/{case.number}/photos/{case.photos[0].token}"
    for asked in (url, url + "?inline=1"):
        response = client.get(asked)
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith("attachment"), asked
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"]
        assert response.headers["Content-Type"] == "image/jpeg"
        assert b"<script>" not in response.data
    for page_url, who in (
        (f"/care/cases/{case.number}", "ann"),
        (f"/care/staff/cases/{case.number}", "sam"),
    ):
        login(client, who)
        page = client.get(page_url).get_data(as_text=True)
        assert "<img src=x" not in page and "&lt;img src=x" in page, page_url
