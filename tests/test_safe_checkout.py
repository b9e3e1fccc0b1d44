"""``care.orders.record_safely``: recording from a checkout never raises into the host's
request; what fails is logged and recorded later by the worker (job ``orders.record``)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from flask_login import current_user
from sqlalchemy import create_engine, select
from sqlalchemy.engine import make_url

from shopcare.core import signals
from shopcare.core.events import Event
from shopcare.core.outbox import OutboxItem
from shopcare.core.outbox.worker import work
from shopcare.orders.jobs import RECORD_JOB
from tests.conftest import login, sample_lines


@pytest.fixture
def app_config(database_url: str) -> dict[str, Any]:
    # A locked database fails fast instead of after the drivers' default waits.
    if database_url.startswith("postgresql"):
        connect_args: dict[str, Any] = {"options": "-c lock_timeout=300"}
    else:
        connect_args = {"timeout": 0.3}
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": connect_args}}


def jobs(db: Any) -> list[OutboxItem]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxItem).where(OutboxItem.kind == RECORD_JOB)))


def test_a_checkout_records_at_once(app, care, client):
    @app.post("/checkout")
    def checkout() -> str:
        # … the host has committed its own order here …
        return care.orders.record_safely(
            "SO-1", "ann@example.com", datetime.now(UTC), sample_lines(),
            user_id=current_user.get_id(),
        )  # fmt: skip

    login(client, "ann")
    assert client.post("/checkout").text == "recorded"
    order = care.orders.get("SO-1")
    assert order is not None and order.user_id == "ann" and len(order.lines) == 2


def test_a_failing_receiver_queues_the_order_and_the_worker_records_it(app, care, db, caplog):
    calls: list[str] = []

    def warehouse(sender: Any, order: Any, **kwargs: Any) -> None:
        calls.append(order.reference)
        if len(calls) == 1:
            raise ConnectionError("warehouse unreachable")

    with signals.order_recorded.connected_to(warehouse, app):
        lines = [{"sku": "MUG-1", "name": "Mug", "quantity": 2, "unit_price": Decimal("12.50")}]
        naive = datetime(2026, 3, 2, 9, 30)
        with caplog.at_level(logging.ERROR, logger="shopcare.orders"):
            assert care.orders.record_safely("SO-1", "ann@example.com", naive, lines) == "queued"
        assert "SO-1" in caplog.text and "warehouse unreachable" in caplog.text
        assert care.orders.get("SO-1") is None  # the failed attempt left nothing behind
        [job] = jobs(db)
        assert job.payload["lines"][0]["unit_price"] == "12.50"
        assert job.summary == "orders.record SO-1"

        assert work().done == 1
    order = care.orders.get("SO-1")
    assert order.placed_at == naive.replace(tzinfo=UTC)
    assert order.lines[0].unit_price == Decimal("12.50")
    assert calls == ["SO-1", "SO-1"]


def test_bad_data_is_kept_as_a_failed_job_with_its_error(app, care, db, caplog):
    with caplog.at_level(logging.ERROR, logger="shopcare.orders"):
        outcome = care.orders.record_safely("SO-1", "not an e-mail", datetime.now(UTC), [])
    assert outcome == "queued"
    report = work()
    assert report.failed == 1 and report.retried == 0  # the same data would fail again
    [job] = jobs(db)
    assert job.status == "failed" and "email" in (job.last_error or "")


def test_the_hosts_session_is_left_alone(app, care, db):
    pending = Event(subject_kind="order", subject_id="1", action="host.work", actor_kind="system")
    db.session.add(pending)  # the host's own unfinished work
    assert care.orders.record_safely("SO-1", "ann@example.com", datetime.now(UTC), sample_lines())
    assert pending in db.session.new  # neither committed nor rolled back
    db.session.rollback()
    assert care.orders.get("SO-1") is not None


@contextmanager
def database_locked(database_url: str) -> Iterator[None]:
    """Another connection holds shopcare's tables so that nothing can be written."""
    if database_url.startswith("postgresql"):
        engine = create_engine(database_url)
        with engine.connect() as connection:
            connection.exec_driver_sql(
                "LOCK TABLE shopcare_orders, shopcare_outbox_items IN ACCESS EXCLUSIVE MODE"
            )
            yield
            connection.rollback()
        engine.dispose()
        return
    connection = sqlite3.connect(make_url(database_url).database or "", isolation_level=None)
    connection.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        connection.execute("ROLLBACK")
        connection.close()


def test_a_database_that_is_down_is_logged_never_raised(app, care, db, database_url, caplog):
    db.session.commit()
    with database_locked(database_url), caplog.at_level(logging.ERROR, logger="shopcare.orders"):
        outcome = care.orders.record_safely(
            "SO-1", "ann@example.com", datetime.now(UTC), sample_lines()
        )
    assert outcome == "failed"
    assert "neither recorded nor queued" in caplog.text
    assert "ann@example.com" in caplog.text and "MUG-1" in caplog.text  # the data, to redo it
    assert care.orders.get("SO-1") is None and jobs(db) == []
