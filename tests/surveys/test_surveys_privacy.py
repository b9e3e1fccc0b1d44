"""The surveys' part in a person's export and erasure: the invitation, every answer and
the unsubscribe are exported; erasure keeps every score and removes the address and the
free text."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from shopcare.core import privacy
from shopcare.surveys.models import Answer, Invitation, Response, Unsubscribe
from tests.surveys.helpers import CONFIG, FULL, invite


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(CONFIG)


def test_export_and_erasure_of_survey_answers(care: Any, db: Any) -> None:
    mine = invite(care, db, "SO-1")
    other = invite(care, db, "SO-2", email="bob@example.com")
    care.surveys.answer(mine.token, {**FULL, "comment": "Ann Example here, call 600 000 000"})
    care.surveys.answer(other.token, {**FULL, "comment": "Bob's comment"})
    db.session.add(Unsubscribe(email="ann@example.com"))
    db.session.commit()

    document = privacy.export("ann@example.com")
    (sent, unsubscribed) = document["surveys"]
    assert sent["order"] == "SO-1" and sent["response"]["status"] == "complete"
    texts = [a["text"] for a in sent["response"]["answers"] if a["text"]]
    assert texts == ["Ann Example here, call 600 000 000"]
    assert unsubscribed == {"unsubscribed": True, "email": "ann@example.com"}
    assert "Bob's comment" not in json.dumps(document)

    def scores() -> list[Any]:
        return sorted(
            (a.response_id, a.question_id, a.value, a.score)
            for a in db.session.scalars(select(Answer))
        )

    before = scores()
    result = privacy.erase("ann@example.com")
    db.session.commit()
    db.session.expire_all()
    assert result.counts["survey_invitations"] == 1 and result.counts["survey_responses"] == 1
    assert scores() == before  # every score stays
    assert db.session.get(Invitation, mine.id).email == result.alias
    texts = {a.text for a in db.session.scalars(select(Answer)) if a.text}
    assert texts == {"[erased]", "Bob's comment"}
    assert db.session.get(Unsubscribe, "ann@example.com") is None
    assert db.session.get(Invitation, other.id).email == "bob@example.com"
    assert len(db.session.scalars(select(Response)).all()) == 2
    assert privacy.export("ann@example.com")["surveys"] == []
