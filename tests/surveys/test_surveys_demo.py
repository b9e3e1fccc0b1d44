"""The demo's surveys: a year of answers whose indices move over the months,
detractors, partial answers and two audits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select

from shopcare.demo.extensions import db as demo_db
from shopcare.surveys.models import Answer, Invitation, Response
from tests.test_demo import build, dispose


@pytest.fixture
def seeded(empty_database_url: str) -> Iterator[Flask]:
    app = build(empty_database_url, days=365)
    yield app
    dispose(app)


def test_a_year_of_answers_that_move(seeded: Flask) -> None:
    with seeded.app_context():
        session = demo_db.session
        invitations = session.scalar(select(func.count()).select_from(Invitation))
        complete = session.scalars(
            select(Response).where(Response.kind == "customer", Response.status == "complete")
        ).all()
        partial = session.scalar(
            select(func.count()).select_from(Response).where(Response.status == "partial")
        )
        audits = session.scalars(select(Response).where(Response.kind == "audit")).all()
        assert invitations >= 60 and len(complete) >= 25 and partial >= 1
        assert len(audits) == 2 and audits[0].score < audits[1].score == 100.0
        months = {r.completed_at.strftime("%Y-%m") for r in complete}
        assert len(months) >= 8  # spread over the year
        detractors = [r for r in complete if (r.answer_for("nps").value or 0) <= 6]
        assert detractors
        # the satisfaction index (mean CSAT score) is higher in the last quarter than the first
        rows = session.execute(
            select(Answer.created_at, Answer.score).where(
                Answer.type == "rating", Answer.kind == "customer"
            )
        ).all()
        ordered = sorted(rows)
        quarter = len(ordered) // 4
        first = sum(s for _t, s in ordered[:quarter]) / quarter
        last = sum(s for _t, s in ordered[-quarter:]) / quarter
        assert last > first + 10
        # the back-filled year's e-mails are not sent now
        from shopcare.core.outbox import OutboxItem

        queued = session.scalar(
            select(func.count())
            .select_from(OutboxItem)
            .where(OutboxItem.dedupe_key.like("surveys:%"), OutboxItem.status == "queued")
        )
        assert queued == 0


def test_staff_see_the_surveys_in_the_shop_layout(seeded: Flask) -> None:
    import re

    client = seeded.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post(
        "/login", data={"csrf_token": token, "email": "staff@example.com", "password": "staff"}
    )
    overview = client.get("/care/staff/surveys").get_data(as_text=True)
    assert "Casa Verde" in overview and " %" in overview
    answers = client.get("/care/staff/surveys/post_purchase/responses?low=yes")
    assert answers.status_code == 200
    export = client.get("/care/staff/surveys/post_purchase/export.csv")
    assert export.status_code == 200 and export.get_data().count(b"\n") >= 25
