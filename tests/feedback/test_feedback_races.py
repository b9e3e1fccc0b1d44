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
