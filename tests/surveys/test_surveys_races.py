"""Two workers at once (PostgreSQL, which really runs them side by side): one
invitation per order, one reminder, one response."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from shopcare.core.outbox import OutboxItem
from shopcare.surveys.models import Invitation, Response
from tests.surveys.helpers import CONFIG, delivered


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


def count(db: Any, model: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)))


def test_two_worker_passes_at_once_make_one_invitation_per_order(
    app: Any, care: Any, db: Any
) -> None:
    for number in range(40):
        delivered(care, f"SO-{number}", email=f"shopper{number}@example.com")
    care.surveys.default_survey()
    db.session.commit()
    results = race(app, db, *[lambda c: len(c.surveys.invite_due())] * 4)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sum(results) == 40
    assert count(db, Invitation) == 40
    assert count(db, OutboxItem) == 40


def test_two_reminder_passes_at_once_queue_one(app: Any, care: Any, db: Any) -> None:
    delivered(care, "SO-1", at=datetime.now(UTC) - timedelta(days=12))
    start = datetime.now(UTC) - timedelta(days=4)
    care.surveys.invite_due(now=start)
    db.session.commit()
    results = race(app, db, *[lambda c: c.surveys.remind_and_expire()[0]] * 3)
    assert sorted(results) == [0, 0, 1], results
    assert count(db, OutboxItem) == 2


def test_two_final_posts_at_once_make_one_response(app: Any, care: Any, db: Any) -> None:
    delivered(care, "SO-1")
    [invitation] = care.surveys.invite_due()
    db.session.commit()
    token = invitation.token
    results = race(app, db, *[lambda c: c.surveys.answer(token, {"nps": 8, "csat": 4}).id] * 3)
    assert count(db, Response) == 1
    assert len([r for r in results if isinstance(r, int)]) >= 1
