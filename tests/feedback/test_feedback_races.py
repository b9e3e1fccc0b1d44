"""Two submissions at once (PostgreSQL, which really runs them side by side)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from shopcare.core.outbox import OutboxItem
from shopcare.feedback.models import Ticket
from tests.feedback.helpers import CONFIG


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(CONFIG)


@pytest.fixture(autouse=True)
def _postgres_only(is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("SQLite serialises writers with a database lock; the race needs PostgreSQL")


def race(app: Any, db: Any, *calls: Callable[[Any], Any]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[Any], Any]) -> None:
        with app.app_context():
            care = app.extensions["shopcare"].care
            try:
                barrier.wait()
                results[index] = call(care)
                db.session.commit()
            except BaseException as error:
                db.session.rollback()
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_the_same_form_sent_twice_at_once_makes_one_ticket(app: Any, db: Any) -> None:
    """A double click on "Send" (bench/load.py found the second insert of the same
    request_key answering 500): both get the one ticket, acknowledged once."""

    def submit(care: Any) -> str:
        ticket = care.feedback.submit(
            "complaint", "Broken mug", "In pieces", email="ann@example.com", request_key="dbl"
        )
        return str(ticket.reference)

    results = race(app, db, submit, submit, submit)
    assert isinstance(results[0], str) and len(set(results)) == 1, results
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1
    acknowledgements = [
        item
        for item in db.session.scalars(select(OutboxItem))
        if item.payload.get("template") == "feedback/acknowledged"
    ]
    assert len(acknowledgements) == 1


def test_two_staff_adding_the_same_canned_reply_at_once(app: Any, db: Any) -> None:
    """Both pass the name check; the insert keeps one and tells the other, no 500."""
    from shopcare.core.errors import ValidationError
    from shopcare.feedback.models import CannedReply

    def add(care: Any) -> int:
        return care.feedback.save_canned_reply(
            key="thanks", locale="en", title="Thanks", body="Thank you."
        ).id

    results = race(app, db, add, add, add)
    assert sum(isinstance(r, int) for r in results) == 1, results
    assert all(isinstance(r, int | ValidationError) for r in results), results
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert all(r.fields.keys() == {"key"} for r in refused)
    assert db.session.scalar(select(func.count()).select_from(CannedReply)) == 1
