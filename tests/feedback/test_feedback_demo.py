"""The demo shop's suggestion box: every kind in every state, a board with votes and a
merged duplicate, canned replies in both languages; the pages render in its layout."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from shopcare.demo.extensions import db as demo_db
from shopcare.feedback.models import CannedReply, Ticket
from tests.test_demo import build, dispose


@pytest.fixture
def seeded(empty_database_url: str) -> Iterator[Flask]:
    app = build(empty_database_url, days=120)
    yield app
    dispose(app)


def test_every_kind_in_every_state_and_a_board(seeded: Flask) -> None:
    with seeded.app_context():
        tickets = demo_db.session.scalars(select(Ticket)).all()
        states = {(t.kind, t.status) for t in tickets}
        for kind in ("complaint", "suggestion", "compliment", "question"):
            for status in (
                "new",
                "acknowledged",
                "in_progress",
                "waiting_on_customer",
                "resolved",
                "closed",
            ):
                assert (kind, status) in states, (kind, status)
        assert {t.channel for t in tickets} >= {"web", "email", "phone", "in_person"}
        assert any(t.satisfaction_score for t in tickets)
        assert any(t.merged_into_id for t in tickets)
        board = [t for t in tickets if t.published]
        assert len(board) >= 4 and sum(t.vote_count for t in board) > 0
        assert {c.locale for c in demo_db.session.scalars(select(CannedReply))} == {"en", "es"}


def test_the_pages_in_the_shop_layout(seeded: Flask) -> None:
    client = seeded.test_client()
    assert "Casa Verde" in client.get("/care/feedback/board").get_data(as_text=True)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post(
        "/login", data={"csrf_token": token, "email": "staff@example.com", "password": "staff"}
    )
    html = client.get("/care/staff/feedback").get_data(as_text=True)
    assert "Casa Verde" in html and html.count("F-20") >= 20
    with seeded.app_context():
        reference = demo_db.session.scalars(
            select(Ticket.reference).where(Ticket.kind == "complaint")
        ).first()
    assert client.get(f"/care/staff/feedback/{reference}").status_code == 200
