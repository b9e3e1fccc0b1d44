"""The state-machine helper: a table of moves, one guarded conditional UPDATE per move,
the event each move writes. Walked here on the outbox's machine, pair by pair."""

from __future__ import annotations

import itertools
import threading
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import select, update

from shopcare import TransitionError
from shopcare.core.events import Actor, Event, events_for
from shopcare.core.machine import Machine, Move
from shopcare.core.outbox import OutboxItem, enqueue_job
from shopcare.core.outbox.models import FAILED, OUTBOX, QUEUED, STATUSES
from shopcare.core.outbox.services import retry


def item_in(db: Any, status: str) -> int:
    enqueue_job("test.machine", {"status": status})
    db.session.flush()
    item_id = db.session.scalars(select(OutboxItem.id).order_by(OutboxItem.id.desc())).first()
    db.session.execute(update(OutboxItem).where(OutboxItem.id == item_id).values(status=status))
    db.session.commit()
    return int(item_id)


def status_of(db: Any, item_id: int) -> str:
    db.session.expire_all()
    return str(db.session.get(OutboxItem, item_id).status)


def test_a_table_naming_an_unknown_state_or_a_move_twice_is_refused():
    with pytest.raises(ValueError, match="unknown state 'gone'"):
        Machine("x", states=("a", "b"), moves=[Move("a", "gone", None)])
    with pytest.raises(ValueError, match="listed twice"):
        Machine("x", states=("a", "b"), moves=[Move("a", "b", None), Move("a", "b", "x.b")])


@pytest.mark.parametrize(("source", "target"), list(itertools.product(STATUSES, STATUSES)))
def test_every_pair_of_states_moves_exactly_when_the_table_allows_it(db, source, target):
    item_id = item_in(db, source)
    before = db.session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1))
    if OUTBOX.allows(source, target):
        outcome = OUTBOX.move(OutboxItem, item_id, target, expected=source, actor=Actor.system())
        assert status_of(db, item_id) == target
        assert (outcome.event is not None) == (outcome.move.event is not None)
    else:
        with pytest.raises(TransitionError) as refused:
            OUTBOX.move(OutboxItem, item_id, target, expected=source)
        assert refused.value.concurrent is False
        assert (refused.value.from_state, refused.value.to_state) == (source, target)
        assert status_of(db, item_id) == source
        after = db.session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1))
        assert after == before  # nothing written


def test_a_move_from_a_state_the_row_has_left_is_a_concurrent_change(db):
    item_id = item_in(db, FAILED)
    OUTBOX.move(OutboxItem, item_id, QUEUED, expected=FAILED, actor=Actor.system())
    with pytest.raises(TransitionError) as second:
        OUTBOX.move(OutboxItem, item_id, QUEUED, expected=FAILED, actor=Actor.system())
    assert second.value.concurrent is True
    assert "changed by someone else" in str(second.value)
    assert [e.action for e in events_for("outbox_item", item_id)] == ["outbox.retried"]


def test_a_missing_row_is_refused(db):
    with pytest.raises(TransitionError, match="'missing'"):
        OUTBOX.move(OutboxItem, 987654, QUEUED)


def test_the_move_writes_its_event_with_the_explicit_actor(db):
    item_id = item_in(db, FAILED)
    retry(item_id, actor=Actor.staff("sam", "sam@example.com"))
    (event,) = events_for("outbox_item", item_id)
    assert (event.action, event.from_state, event.to_state) == ("outbox.retried", FAILED, QUEUED)
    assert (event.actor_kind, event.actor_id) == ("staff", "sam")


def test_a_retry_from_the_cli_is_recorded_as_the_system(app, db):
    item_id = item_in(db, FAILED)
    result: Result = app.test_cli_runner().invoke(
        args=["shopcare", "outbox", "retry", str(item_id)]
    )
    assert result.exit_code == 0, result.output
    (event,) = events_for("outbox_item", item_id)
    assert (event.action, event.actor_kind) == ("outbox.retried", "system")


def test_two_retries_at_once_queue_the_item_once(app, db, is_postgres):
    if not is_postgres:
        pytest.skip("SQLite serialises writers with a database lock; the race needs PostgreSQL")
    item_id = item_in(db, FAILED)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def press() -> None:
        with app.app_context():
            barrier.wait()
            try:
                retry(item_id, actor=Actor.system())
                db.session.commit()
                outcomes.append("won")
            except TransitionError as error:
                db.session.rollback()
                outcomes.append("concurrent" if error.concurrent else "refused")

    threads = [threading.Thread(target=press) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["concurrent", "won"]
    assert [e.action for e in events_for("outbox_item", item_id)] == ["outbox.retried"]


def test_the_table_renders_as_markdown_a_row_per_state():
    machine = Machine(
        "x",
        states=("a", "b", "c"),
        moves=[Move("a", "b", "x.b"), Move("a", "c", "x.c"), Move("b", "c", None)],
    )
    assert machine.markdown() == (
        "| from | may move to |\n|---|---|\n| `a` | `b`, `c` |\n| `b` | `c` |\n| `c` | — |"
    )
