"""Concurrent writes to one order never fail, double or merge, on SQLite and PostgreSQL.

Each test holds a first request inside its transaction (its rows written and flushed,
not yet committed) while a second one starts, so that both really overlap: the
second must wait for the order's lock and then see the first one's work. Real
threads, a real database; gunicorn workers are in ``tests/test_gunicorn.py``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from shopcare import signals
from shopcare.core.events import Event
from shopcare.orders.models import OrderLine
from shopcare.tracking.models import Shipment, ShipmentLine
from tests.fixtures_api import API
from tests.host import make_app
from tests.tracking.helpers import SECRET, T0, make_order, signature

ORDERS = f"{API}/orders"
WEBHOOK = f"{API}/tracking/events"
#: How long the first request keeps its transaction open once the second has started.
HOLD = 0.4


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"SHOPCARE_WEBHOOK_SECRET": SECRET}


@contextmanager
def overlapping(app: Flask, signal: Any) -> Iterator[Callable[..., list[Any]]]:
    """``run(first, second)`` calls both in threads; ``first`` is held right after it
    sends ``signal`` (its writes flushed, not committed) until ``second`` has started
    and :data:`HOLD` seconds have passed. Returns both results (or exceptions)."""
    written, started = threading.Event(), threading.Event()

    def hold(sender: Any, **kwargs: Any) -> None:
        if threading.current_thread().name == "first" and not written.is_set():
            written.set()
            started.wait(10)
            time.sleep(HOLD)

    def run(first: Callable[[], Any], second: Callable[[], Any]) -> list[Any]:
        results: list[Any] = [None, None]

        def call(index: int, work: Callable[[], Any]) -> None:
            if index == 1:
                written.wait(10)
                started.set()
            try:
                results[index] = work()
            except Exception as error:  # the test asserts on it
                results[index] = error

        threads = [
            threading.Thread(target=call, args=(0, first), name="first"),
            threading.Thread(target=call, args=(1, second), name="second"),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert written.is_set(), "the first request never reached its hold point"
        return results

    with signal.connected_to(hold, app):
        yield run


def post_order(app: Flask, headers: dict[str, str], lines: list[str], **changes: Any) -> Any:
    body = {
        "reference": "SO-1",
        "email": "ann@example.com",
        "placed_at": "2026-03-01T09:00:00+00:00",
        "lines": [{"sku": sku, "name": sku, "quantity": 1, "unit_price": "1.00"} for sku in lines],
        **changes,
    }
    return app.test_client().post(ORDERS, json=body, headers=headers)


def post_events(app: Flask, payload: Any) -> Any:
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", "Shopcare-Signature": signature(body)}
    return app.test_client().post(WEBHOOK, data=body, headers=headers)


def line_skus(db: Any) -> list[str]:
    db.session.rollback()
    return sorted(db.session.scalars(select(OrderLine.sku)))


def test_the_same_new_line_at_once_is_recorded_once(app, db, api_key):
    headers = api_key("orders:write")
    assert post_order(app, headers, ["A", "B"]).status_code == 201
    with overlapping(app, signals.order_recorded) as run:
        first, second = run(
            lambda: post_order(app, headers, ["A", "B", "X"]),
            lambda: post_order(app, headers, ["A", "B", "X"]),
        )
    assert (first.status_code, second.status_code) == (200, 200), second.get_data(as_text=True)
    assert line_skus(db) == ["A", "B", "X"]
    updates = db.session.scalars(select(Event).where(Event.action == "order.updated")).all()
    assert len(updates) == 1  # the second found nothing left to change


def test_the_last_complete_update_wins_whole(app, db, api_key):
    headers = api_key("orders:write")
    assert post_order(app, headers, ["A", "B"]).status_code == 201
    with overlapping(app, signals.order_recorded) as run:
        first, second = run(
            lambda: post_order(app, headers, ["A", "B", "X"]),
            lambda: post_order(app, headers, ["A", "B", "Y"]),
        )
    assert (first.status_code, second.status_code) == (200, 200)
    assert line_skus(db) == ["A", "B", "Y"]  # never A, B, X, Y: nobody sent that


def test_the_same_new_order_at_once_is_one_order(app, db, api_key):
    headers = api_key("orders:write")
    with overlapping(app, signals.order_recorded) as run:
        first, second = run(
            lambda: post_order(app, headers, ["A", "B"]),
            lambda: post_order(app, headers, ["A", "C"]),
        )
    assert sorted([first.status_code, second.status_code]) == [200, 201]
    assert line_skus(db) == ["A", "C"]


def event(**changes: Any) -> dict[str, Any]:
    return {
        "reference": "SO-1",
        "status": "in_transit",
        "occurred_at": "2026-03-02T10:00:00+00:00",
        "carrier": "dhl",
        "tracking_number": "JD1",
        **changes,
    }


def test_the_same_first_event_of_a_new_parcel_at_once(app, care, db):
    make_order(care)
    db.session.commit()
    with overlapping(app, signals.order_status_changed) as run:
        first, second = run(lambda: post_events(app, event()), lambda: post_events(app, event()))
    assert (first.status_code, second.status_code) == (200, 200), second.get_data(as_text=True)
    assert [first.get_json()["duplicate"], second.get_json()["duplicate"]] == [False, True]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Shipment)) == 1
    actions = db.session.scalars(select(Event.action).where(Event.action.like("shipment.%")))
    assert sorted(actions) == ["shipment.added", "shipment.in_transit"]


def test_an_event_without_tracking_number_twice_at_once_is_one_parcel(app, care, db):
    make_order(care)
    db.session.commit()
    payload = event(tracking_number=None)
    with overlapping(app, signals.order_status_changed) as run:
        first, second = run(lambda: post_events(app, payload), lambda: post_events(app, payload))
    assert (first.status_code, second.status_code) == (200, 200), second.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Shipment)) == 1
    # 3 units ordered (sample_lines: 2 + 1), 3 units shipped: never twice that
    assert db.session.scalar(select(func.sum(ShipmentLine.quantity))) == 3


def test_event_lists_naming_orders_in_opposite_orders(app, care, db):
    make_order(care, "SO-1")
    make_order(care, "SO-2")
    db.session.commit()
    one = [event(reference="SO-1"), event(reference="SO-2")]
    other = [
        event(reference="SO-2", status="out_for_delivery"),
        event(reference="SO-1", status="out_for_delivery"),
    ]
    with overlapping(app, signals.order_status_changed) as run:
        first, second = run(lambda: post_events(app, one), lambda: post_events(app, other))
    assert (first.status_code, second.status_code) == (200, 200), second.get_data(as_text=True)
    db.session.rollback()
    statuses = db.session.scalars(select(Shipment.status))
    assert sorted(statuses) == ["out_for_delivery", "out_for_delivery"]


def test_a_serialisation_failure_is_retried(database_url, is_postgres, api_key):
    """Under REPEATABLE READ (a host's choice) PostgreSQL refuses to lock a row that
    changed after the transaction's snapshot; the API retries the whole request."""
    if not is_postgres:
        pytest.skip("SQLite has no snapshot isolation to fail under")
    strict, strict_db, _care = make_app(
        database_url,
        SQLALCHEMY_ENGINE_OPTIONS={"isolation_level": "REPEATABLE READ"},
    )
    headers = api_key("orders:write")
    with strict.app_context():
        try:
            assert post_order(strict, headers, ["A"]).status_code == 201
            with overlapping(strict, signals.order_recorded) as run:
                first, second = run(
                    lambda: post_order(strict, headers, ["A", "X"]),
                    lambda: post_order(strict, headers, ["A", "Y"]),
                )
            assert (first.status_code, second.status_code) == (200, 200)
            with strict_db.engine.connect() as connection:
                skus = connection.execute(text("SELECT sku FROM shopcare_order_lines")).scalars()
                assert sorted(skus) == ["A", "Y"]
        finally:
            strict_db.session.remove()
            strict_db.engine.dispose()


def test_service_calls_in_threads_without_http(app, care, db):
    """The services themselves serialise: two host threads recording the same order."""
    make_order(care)
    db.session.commit()

    def record(skus: list[str]) -> Callable[[], str]:
        def work() -> str:
            with app.app_context():
                care.orders.record(
                    "SO-1",
                    "ann@example.com",
                    T0,
                    [{"sku": s, "name": s, "quantity": 1, "unit_price": "1"} for s in skus],
                )
                db.session.commit()
                return "ok"

        return work

    with overlapping(app, signals.order_recorded) as run:
        results = run(record(["MUG-1", "X"]), record(["MUG-1", "Y"]))
    assert results == ["ok", "ok"]
    assert line_skus(db) == ["MUG-1", "Y"]
