"""Late shipments: the staff list, the shipment-late signal (once), the CLI and the job."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from shopcare.core import signals
from shopcare.core.db import utcnow
from shopcare.core.events import events_for
from shopcare.core.state import get_state
from shopcare.tracking.lateness import claim, is_late
from tests.conftest import login
from tests.tracking.helpers import make_order

LATE_LIST = "/care/staff/late-shipments"


def late_fixture(care, db):
    """Five shipments: two late by their window, one in exception, two fine."""
    now = utcnow()
    specs = [
        ("LATE-OLD", "dhl", now - timedelta(days=20), None),  # very overdue, still pending
        ("LATE-NEW", "ups", now - timedelta(days=8), "in_transit"),  # overdue
        ("TROUBLE", "gls", now - timedelta(hours=5), "exception"),  # in window, but trouble
        ("ON-TIME", "dhl", now - timedelta(hours=5), "in_transit"),
        ("DONE", "dhl", now - timedelta(days=30), "delivered"),
    ]
    for reference, carrier, shipped, status in specs:
        make_order(care, reference, placed_at=shipped - timedelta(hours=1))
        care.tracking.add_shipment(
            reference, carrier=carrier, tracking_number=f"T-{reference}", shipped_at=shipped
        )
        if status:
            care.tracking.add_event(
                reference, status, occurred_at=shipped + timedelta(hours=1), notify=False
            )
    db.session.commit()


def test_late_list_is_staff_only(care, db, client):
    response = client.get(LATE_LIST)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    login(client, "ann")
    assert client.get(LATE_LIST).status_code == 403
    login(client, "sam")
    assert client.get(LATE_LIST).status_code == 200
    assert client.get("/care/staff/").status_code == 200


def test_late_list_rows_in_one_query(care, db, client, count_queries):
    late_fixture(care, db)
    with count_queries() as statements:
        listing = care.tracking.late_shipments()
    assert len(statements) == 1
    assert [row.order_reference for row in listing.items] == ["LATE-OLD", "LATE-NEW", "TROUBLE"]
    old, new, trouble = listing.items
    assert old.reason == "overdue" and old.days_late >= 14
    assert new.reason == "overdue" and new.days_late >= 1
    assert trouble.reason == "exception" and trouble.days_late == 0
    assert not listing.has_next

    login(client, "sam")
    db.session.expunge_all()
    with count_queries() as statements:
        html = client.get(LATE_LIST).get_data(as_text=True)
    assert len(statements) == 2  # the rows, and the counts
    for reference in ("LATE-OLD", "LATE-NEW", "TROUBLE"):
        assert f"/care/tracking/orders/{reference}" in html
    assert "ON-TIME" not in html and "DONE" not in html
    assert "Delivery problem" in html and "UPS" in html and "days" in html


def test_late_list_pages(care, db, client):
    now = utcnow()
    for number in range(27):
        reference = f"L-{number:02d}"
        make_order(care, reference)
        care.tracking.add_shipment(
            reference,
            carrier="dhl",
            tracking_number=reference,
            shipped_at=now - timedelta(days=40 - number),
        )
    db.session.commit()
    first = care.tracking.late_shipments(1)
    second = care.tracking.late_shipments(2)
    assert len(first.items) == 25 and first.has_next
    assert [row.order_reference for row in second.items] == ["L-25", "L-26"]
    assert not second.has_next
    login(client, "sam")
    assert "Next" in client.get(LATE_LIST).get_data(as_text=True)
    assert "L-26" in client.get(f"{LATE_LIST}?page=2").get_data(as_text=True)


def test_the_signal_fires_once_per_shipment(app, care, db, signals_recorder):
    late_fixture(care, db)
    with signals_recorder("shipment-late") as received:
        first = care.tracking.flag_late()
        db.session.commit()
        second = care.tracking.flag_late()
    assert len(first) == 3 and second == []
    assert sorted(kwargs["order"].reference for _, _, kwargs in received) == [
        "LATE-NEW",
        "LATE-OLD",
        "TROUBLE",
    ]
    reasons = {kwargs["order"].reference: kwargs["reason"] for _, _, kwargs in received}
    assert reasons == {"LATE-NEW": "overdue", "LATE-OLD": "overdue", "TROUBLE": "exception"}
    assert all(sender is app for _, sender, _ in received)
    shipment = first[0]
    assert shipment.late_notified_at is not None
    # An audit event, not on the shopper's timeline.
    audit = [e for e in events_for("order", shipment.order_id) if e.action == "shipment.late"]
    assert len(audit) == 1 and not audit[0].public
    # A claimed shipment cannot be claimed again.
    assert claim(shipment.id, utcnow()) is False


def test_a_shipment_that_becomes_late_later_fires_then(care, db, signals_recorder):
    make_order(care)
    care.tracking.add_shipment("SO-1", carrier="dhl", tracking_number="A")
    db.session.commit()
    with signals_recorder("shipment-late") as received:
        assert care.tracking.flag_late() == []
        care.tracking.add_event("SO-1", "failed_attempt", notify=False)
        db.session.commit()
        assert len(care.tracking.flag_late()) == 1
        care.tracking.add_event("SO-1", "exception", notify=False)
        assert care.tracking.flag_late() == []
    assert [kwargs["reason"] for _, _, kwargs in received] == ["failed_attempt"]


def test_flag_late_command(app, care, db):
    late_fixture(care, db)
    result = app.test_cli_runner().invoke(args=["shopcare", "tracking", "flag-late"])
    assert result.exit_code == 0, result.output
    assert "3 shipment(s) newly late" in result.output and "LATE-OLD" in result.output
    again = app.test_cli_runner().invoke(args=["shopcare", "tracking", "flag-late"])
    assert "0 shipment(s) newly late" in again.output


def test_the_periodic_job_is_declared_and_flags(app, care, db, signals_recorder):
    task = get_state(app).periodic_tasks["tracking.flag_late"]
    assert task.every == timedelta(minutes=15)
    late_fixture(care, db)
    with signals_recorder("shipment-late") as received:
        task.run()
        db.session.commit()
        task.run()
    assert len(received) == 3


def test_is_late_matches_the_sql(care, db):
    late_fixture(care, db)
    from shopcare.tracking.models import Shipment

    shipments = db.session.query(Shipment).all()
    late = {s.id for s in shipments if is_late(s)}
    assert late == {row.shipment.id for row in care.tracking.late_shipments().items}


def test_two_workers_race_and_the_signal_fires_once(app, care, db, is_postgres):
    if not is_postgres:
        pytest.skip("SQLite serialises writers with a database lock; the race needs PostgreSQL")
    now = utcnow()
    for number in range(30):
        reference = f"R-{number}"
        make_order(care, reference)
        care.tracking.add_shipment(
            reference, carrier="dhl", tracking_number=reference, shipped_at=now - timedelta(days=20)
        )
    db.session.commit()
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with app.app_context():
                barrier.wait()
                app.extensions["shopcare"].care.tracking.flag_late(batch=7)
                db.session.commit()
                db.session.remove()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    fired: list[int] = []
    lock = threading.Lock()

    def receiver(sender, shipment, **kwargs) -> None:
        with lock:
            fired.append(shipment.id)

    with signals.shipment_late.connected_to(receiver, app):
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert not errors, errors
    assert len(fired) == 30 and len(set(fired)) == 30
