"""The event log: append-only, deduplicated, one writer, read back in order."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from flask import g
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError

from shopcare import ValidationError
from shopcare.core.events import Actor, AppendOnlyError, Event, events_for, record_event
from tests.conftest import ROOT, login, now, sample_lines
from tests.host import make_app

#: The made-up actions these tests write, declared on each test's app.
TEST_EVENTS = (
    "order.shipped",
    "order.status_changed",
    "return.requested",
    "survey.invited",
    "x",
    "y",
)


@pytest.fixture(autouse=True)
def declared(app, care):
    care.add_events(*TEST_EVENTS, app=app)


def test_record_and_read_back_in_order(db):
    base = datetime(2026, 1, 10, 12, tzinfo=UTC)
    later = record_event("order", 7, "order.shipped", occurred_at=base + timedelta(hours=2))
    earlier = record_event(
        "order",
        "7",
        "order.status_changed",
        from_state="placed",
        to_state="packed",
        occurred_at=base,
        public=True,
        data={"note": "packed by Ana"},
        actor=Actor.staff("sam", "sam@shop.example"),
    )
    record_event("order", 8, "order.recorded", occurred_at=base)
    record_event("return", 7, "return.requested", occurred_at=base)
    db.session.commit()

    assert [e.id for e in events_for("order", 7)] == [earlier.id, later.id]
    assert [e.id for e in events_for("order", 7, public_only=True)] == [earlier.id]
    assert len(events_for("order", [7, "8"])) == 3
    assert events_for("order", []) == []
    first = events_for("order", "7")[0]
    assert first.actor == Actor("staff", "sam", "sam@shop.example")
    assert (first.from_state, first.to_state, first.data) == (
        "placed",
        "packed",
        {"note": "packed by Ana"},
    )
    assert first.occurred_at == base and first.recorded_at.tzinfo is not None


def test_events_for_is_one_query(db, count_queries):
    for subject in range(5):
        record_event("order", subject, "order.recorded")
    db.session.commit()
    with count_queries() as statements:
        assert len(events_for("order", range(5))) == 5
    assert len(statements) == 1


def test_bad_arguments_are_refused(db):
    with pytest.raises(ValidationError, match="occurred_at"):
        record_event("order", 1, "x", occurred_at=datetime(2026, 1, 1))  # naive
    with pytest.raises(ValidationError, match="data"):
        record_event("order", 1, "x", data={"when": object()})
    with pytest.raises(ValidationError, match="subject_kind"):
        record_event("", 1, "x")
    with pytest.raises(ValidationError, match="actor"):
        Actor("robot")
    assert db.session.query(Event).count() == 0


def test_dedupe_key_records_once(db):
    record_event("order", 1, "survey.invited", dedupe_key="invite:1")
    db.session.rollback()  # the event belonged to the caller's transaction
    assert events_for("order", 1) == []
    first = record_event("order", 1, "survey.invited", dedupe_key="invite:1")
    assert first is not None
    assert record_event("order", 1, "survey.invited", dedupe_key="invite:1") is None
    db.session.commit()
    assert record_event("order", 1, "survey.invited", dedupe_key="invite:1") is None
    assert [e.dedupe_key for e in events_for("order", 1)] == ["invite:1"]


def test_dedupe_race_between_two_transactions(app, db, database_url, is_postgres):
    """Two transactions record the same key at once: one event, and the loser's
    transaction stays usable (its other work still commits)."""
    if not is_postgres:
        pytest.skip("SQLite serialises writers with a database lock; the race needs PostgreSQL")
    other_app, other_db, other_care = make_app(database_url)
    other_care.add_events(*TEST_EVENTS, app=other_app)
    results: dict[str, object] = {}
    first_inserted = threading.Event()

    def slow_writer() -> None:
        with other_app.app_context():
            results["other"] = record_event("order", 2, "x", dedupe_key="race")
            first_inserted.set()
            # Hold the row uncommitted while the main thread tries the same key.
            threading.Event().wait(0.5)
            other_db.session.commit()
            other_db.session.remove()
            other_db.engine.dispose()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    first_inserted.wait(5)
    # The existence check sees nothing committed; the insert waits for the other
    # transaction, then fails on the unique key inside its savepoint.
    mine = record_event("order", 2, "x", dedupe_key="race")
    kept = record_event("order", 2, "y")
    db.session.commit()
    thread.join()
    assert mine is None and results["other"] is not None and kept is not None
    assert [e.action for e in events_for("order", 2)] == ["x", "y"]


def test_orm_refuses_update_and_delete(db):
    row = record_event("order", 3, "order.recorded")
    db.session.commit()
    row.action = "order.cancelled"
    with pytest.raises(AppendOnlyError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(Event, row.id))
    with pytest.raises(AppendOnlyError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AppendOnlyError):
        db.session.execute(update(Event).values(action="x"))
    with pytest.raises(AppendOnlyError):
        db.session.execute(delete(Event))
    db.session.rollback()
    assert [e.action for e in events_for("order", 3)] == ["order.recorded"]


def test_postgresql_trigger_refuses_raw_update_and_delete(db, is_postgres):
    if not is_postgres:
        pytest.skip("the append-only trigger is PostgreSQL's; SQLite relies on the ORM guard")
    record_event("order", 4, "order.recorded")
    db.session.commit()
    for statement in ("UPDATE shopcare_events SET action = 'x'", "DELETE FROM shopcare_events"):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
    assert len(events_for("order", 4)) == 1


def test_actor_current(app, client):
    assert Actor.current() == Actor.system()
    seen: list[Actor] = []

    @app.get("/who")
    def who() -> str:
        seen.append(Actor.current())
        return "ok"

    @app.get("/who-key")
    def who_key() -> str:
        g.shopcare_api_key = type("Key", (), {"id": 12, "name": "warehouse"})()
        seen.append(Actor.current())
        return "ok"

    client.get("/who")
    login(client, "ann")
    client.get("/who")
    login(client, "sam")
    client.get("/who")
    client.get("/who-key")
    assert seen == [
        Actor("shopper", None, "guest"),
        Actor.shopper("ann", "ann@example.com"),
        Actor.staff("sam", "sam@shop.example"),
        Actor.api_key("12", "warehouse"),
    ]


def test_order_record_appends_recorded_then_updated_only_on_change(care, db, signals_recorder):
    placed = now() - timedelta(days=1)
    with signals_recorder("event-recorded", "order-recorded") as received:
        order = care.orders.record("EV-1", "ann@example.com", placed, sample_lines())
    assert [name for name, _, _ in received] == ["event-recorded", "order-recorded"]
    care.orders.record("EV-1", "ann@example.com", placed, sample_lines())  # nothing changed
    lines = sample_lines()
    lines[0]["quantity"] = 3
    care.orders.record("EV-1", "ann@example.com", placed, lines, locale="es")
    db.session.commit()
    events = events_for("order", order.id)
    assert [e.action for e in events] == ["order.recorded", "order.updated"]
    assert events[0].public and events[0].occurred_at == placed
    assert events[1].data == {"reference": "EV-1", "changed": ["locale", "lines"]}
    assert events[0].actor == Actor.system()


def test_record_event_is_the_only_writer():
    """No code outside shopcare/events/ constructs an Event or writes its table."""
    pattern = re.compile(
        r"(?<![\w.])Event\(|insert\(\s*Event\b|insert_unless_exists\(\s*Event\b|shopcare_events|Event\.__table__|bulk_insert_mappings\(\s*Event"
    )
    offenders = []
    for path in (ROOT / "shopcare").rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(("shopcare/core/events/", "shopcare/migrations/")):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == [], "write events with shopcare.core.events.record_event only"


def test_an_undeclared_action_is_refused(app, care, db):
    with pytest.raises(ValidationError) as refused:
        record_event("order", 1, "order.teleported")
    assert "action" in refused.value.fields
    assert db.session.query(Event).count() == 0
    # The host declares its own names on its app, and only there.
    care.add_events("order.teleported", app=app)
    assert record_event("order", 1, "order.teleported") is not None
    other_app, _db, _care = make_app("sqlite://")
    with other_app.app_context(), pytest.raises(ValidationError, match="action"):
        record_event("order", 1, "order.teleported")
    with pytest.raises(ValueError):
        care.add_events("", app=app)


def test_the_domains_declare_every_action_they_write(app):
    from shopcare.core.outbox.models import OUTBOX
    from shopcare.core.state import get_state
    from shopcare.orders import events as order_events
    from shopcare.tracking import events as tracking_events

    declared = get_state(app).event_names
    from shopcare.tracking.resolutions import RESOLUTION

    assert {
        *OUTBOX.events,
        *RESOLUTION.events,
        *order_events.EVENTS,
        *tracking_events.EVENTS,
    } <= declared
    from shopcare.cases import events as case_events

    assert set(case_events.EVENTS) <= declared
    assert "shipment.delivered" in declared and "outbox.retried" in declared
