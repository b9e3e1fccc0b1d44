"""The suggestion box in a person's export and erasure: their tickets and messages go
out; erasure removes their address, name and words and keeps the figures."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shopcare.core import privacy
from shopcare.core.events import Actor
from shopcare.feedback.models import Ticket, TicketMessage
from tests.feedback.helpers import CONFIG, order


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(CONFIG)


def test_export_and_erase(care: Any, db: Any) -> None:
    order(care, "SO-1", email="ann@example.com", user_id="ann")
    mine = care.feedback.submit(
        "complaint", "Ann's subject", "Ann's words", reference="SO-1", name="Ann A"
    )
    care.feedback.reply(mine.reference, "Staff quoting Ann's words", actor=Actor.staff("sam"))
    care.feedback.resolve(mine.reference, actor=Actor.staff("sam"))
    care.feedback.rate_handling(mine.reference, 4, "Ann's comment")
    other = care.feedback.submit(
        "question", "Bob's subject", "Bob's words", email="bob@example.com"
    )
    db.session.commit()
    document = privacy.export("ann@example.com")
    (ticket,) = document["feedback"]
    assert ticket["reference"] == mine.reference and ticket["messages"][0]["body"] == "Ann's words"
    assert "Bob's" not in json.dumps(document, ensure_ascii=False)
    privacy.erase("ann@example.com")
    db.session.commit()
    db.session.expire_all()
    erased = db.session.get(Ticket, mine.id)
    assert erased.email.endswith("@erased.invalid") and erased.name is None
    assert (erased.kind, erased.status, erased.satisfaction_score) == ("complaint", "closed", 4)
    texts = [m.body for m in db.session.query(TicketMessage).filter_by(ticket_id=mine.id)]
    everything = json.dumps([erased.subject, erased.message, erased.satisfaction_comment, texts])
    assert "Ann" not in everything
    assert db.session.get(Ticket, other.id).message == "Bob's words"
