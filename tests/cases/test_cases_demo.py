"""The demo shop's cases: every kind in every state it can reach, with photos, and the
shopper's and staff's pages render inside the shop's layout."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from shopcare.cases.models import Case
from shopcare.demo.extensions import db as demo_db
from tests.test_demo import build, dispose


@pytest.fixture
def seeded(empty_database_url: str) -> Iterator[Flask]:
    app = build(empty_database_url, days=120)
    yield app
    dispose(app)


def test_every_kind_in_every_state_with_photos(seeded: Flask) -> None:
    with seeded.app_context():
        cases = demo_db.session.scalars(select(Case)).all()
        states = {(case.kind, case.status) for case in cases}
        with_photos = sum(1 for case in cases if case.photos)
    expected = {
        *((kind, status) for kind in ("return", "guarantee") for status in (
            "requested", "approved", "rejected", "received", "resolved", "closed", "cancelled")),
        *(("withdrawal", status) for status in ("approved", "received", "resolved", "closed")),
    }  # fmt: skip
    assert states == expected
    assert with_photos >= 10


def test_staff_see_the_queue_in_the_shop_layout(seeded: Flask) -> None:
    client = seeded.test_client()
    page = client.get("/login").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post(
        "/login", data={"csrf_token": token, "email": "staff@example.com", "password": "staff"}
    )
    html = client.get("/care/staff/cases").get_data(as_text=True)
    assert "Casa Verde" in html and html.count("R-20") >= 15
    with seeded.app_context():
        number = demo_db.session.scalars(
            select(Case.number).where(Case.status == "approved")
        ).first()
    assert client.get(f"/care/staff/cases/{number}").status_code == 200
    assert "<svg" in client.get(f"/care/cases/{number}/slip").get_data(as_text=True)
