"""Two requests at once (PostgreSQL, which really runs them side by side): quantities,
a double withdrawal confirmation, two staff members refunding one case."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from shopcare import TransitionError, ValidationError
from shopcare.cases.models import Case
from shopcare.core.outbox import OutboxItem
from tests.cases.helpers import CONFIG, delivered_order


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(CONFIG)


@pytest.fixture(autouse=True)
def _postgres_only(is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("SQLite serialises writers with a database lock; the race needs PostgreSQL")


def race(app: Any, db: Any, *calls: Callable[[Any], Any]) -> list[Any]:
    """Run each call in its own thread, app context and session, all at once; return
    what each returned or raised."""
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


def test_two_requests_for_the_same_units_one_wins(app: Any, care: Any, db: Any) -> None:
    delivered_order(care)
    db.session.commit()

    def ask(c: Any) -> str:
        return str(c.cases.open("SO-1", "return", {"MUG-1": 2}, reason="too_small").number)

    results = race(app, db, ask, ask)
    won = [r for r in results if isinstance(r, str)]
    lost = [r for r in results if isinstance(r, ValidationError)]
    assert len(won) == 1 and len(lost) == 1, results
    assert lost[0].field == "lines.MUG-1"
    db.session.expire_all()
    assert len(db.session.scalars(select(Case)).all()) == 1


def test_withdrawal_confirmed_twice_at_once_gives_one_case_and_one_acknowledgement(
    app: Any, care: Any, db: Any
) -> None:
    delivered_order(care)
    db.session.commit()

    def confirm(c: Any) -> int:
        return int(c.cases.open("SO-1", "withdrawal", {"MUG-1": 3}, request_key="double-click").id)

    results = race(app, db, confirm, confirm)
    assert results[0] == results[1] and isinstance(results[0], int), results
    db.session.expire_all()
    assert len(db.session.scalars(select(Case)).all()) == 1
    acks = [
        i
        for i in db.session.scalars(select(OutboxItem))
        if i.payload.get("template") == "cases/withdrawal_received"
    ]
    assert len(acks) == 1


def test_two_staff_refund_at_once_one_succeeds(app: Any, care: Any, db: Any) -> None:
    delivered_order(care)
    case = care.cases.open("SO-1", "withdrawal", {"MUG-1": 1})
    care.cases.receive(case.number)
    db.session.commit()
    number = case.number

    def refund(c: Any) -> str:
        return str(c.cases.mark_refunded(number, "89.99").status)

    results = race(app, db, refund, refund)
    assert sorted(type(r).__name__ for r in results) == ["TransitionError", "str"], results
    assert any(isinstance(r, TransitionError) for r in results)
    db.session.expire_all()
    assert care.cases.get(number).paid_minor == 8999
