"""care.tracking.add_shipment / add_event: statuses, order of events, duplicates, errors."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from shopcare import ValidationError
from shopcare.core.events import Event, events_for
from shopcare.tracking.models import Shipment, ShipmentLine
from shopcare.tracking.statuses import STATUSES, moves_status, order_status
from tests.conftest import sample_lines
from tests.tracking.helpers import T0, make_order


def hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("Delivered", "delivered"),
        ("En reparto", "out_for_delivery"),
        ("Zugestellt", "delivered"),
        ("In Transit", "in_transit"),
        ("OUT_FOR_DELIVERY", "out_for_delivery"),
        ("  en   tránsito ", "in_transit"),
        ("available-for-pickup", "available_for_pickup"),
        ("Label created", "info_received"),
        ("Incidencia", "exception"),
        ("delivery attempted", "failed_attempt"),
    ],
)
def test_carrier_words_are_normalised(care, db, word, status):
    make_order(care)
    update = care.tracking.add_event(
        "SO-1", word, carrier="dhl", tracking_number="JD1", occurred_at=hours(1)
    )
    assert update.shipment.status == status
    if word.strip() != status:
        assert update.event.data["carrier_status"] == word.strip()


def test_host_status_map_extends_the_defaults(app, care, db):
    app.config["SHOPCARE_CARRIER_STATUS_MAP"] = {"Paquete en furgoneta": "out_for_delivery"}
    make_order(care)
    care.tracking.add_event(
        "SO-1", "paquete en furgoneta", carrier="dhl", tracking_number="J", occurred_at=hours(1)
    )
    update = care.tracking.add_event("SO-1", "Zugestellt", occurred_at=hours(50))
    assert update.shipment.status == "delivered"


def test_add_shipment_carries_lines_and_tracking_url(care, db):
    make_order(care)
    shipment = care.tracking.add_shipment(
        "SO-1",
        carrier="DHL",
        tracking_number="JD 01/2",
        lines={"MUG-1": 1},
        destination_country="es",
        shipped_at=T0,
    )
    db.session.commit()
    assert shipment.carrier == "dhl" and shipment.carrier_name == "DHL"
    assert shipment.destination_country == "ES"
    assert shipment.tracking_url.endswith("tracking-id=JD%2001%2F2")
    assert [(line.order_line.sku, line.quantity) for line in shipment.lines] == [("MUG-1", 1)]
    assert shipment.status == "pending"
    assert shipment.estimated_earliest is not None and shipment.estimate_source == "carrier"

    # The second parcel takes what is left when no lines are given.
    second = care.tracking.add_shipment("SO-1", carrier="ups", tracking_number="1Z9", shipped_at=T0)
    assert sorted((line.order_line.sku, line.quantity) for line in second.lines) == [
        ("MUG-1", 1),
        ("TEA-9", 1),
    ]
    # Idempotent by carrier and tracking number.
    again = care.tracking.add_shipment("SO-1", carrier="ups", tracking_number="1Z9")
    assert again.id == second.id
    assert db.session.scalar(select(func.count()).select_from(Shipment)) == 2
    events = [e.action for e in events_for("order", shipment.order_id)]
    assert events.count("shipment.added") == 2


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ({"NOPE": 1}, "lines[0].sku"),
        ({"MUG-1": 3}, "lines[0].quantity"),
        ({"MUG-1": 0}, "lines[0].quantity"),
        ([{"sku": "TEA-9", "quantity": True}], "lines[0].quantity"),
        ("MUG-1", "lines"),
    ],
)
def test_add_shipment_refuses_bad_lines(care, db, lines, field):
    make_order(care)
    with pytest.raises(ValidationError) as caught:
        care.tracking.add_shipment("SO-1", carrier="dhl", tracking_number="A", lines=lines)
    assert caught.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ShipmentLine)) == 0


def test_no_more_than_ordered_across_shipments(care, db):
    make_order(care)
    care.tracking.add_shipment("SO-1", carrier="dhl", tracking_number="A", lines={"MUG-1": 2})
    with pytest.raises(ValidationError) as caught:
        care.tracking.add_shipment("SO-1", carrier="dhl", tracking_number="B", lines={"MUG-1": 1})
    assert caught.value.fields == {"lines[0].quantity": "only 0 left to ship"}


def test_a_late_older_event_joins_the_timeline_without_moving_the_status(care, db):
    make_order(care)
    care.tracking.add_event(
        "SO-1", "in_transit", carrier="dhl", tracking_number="A", occurred_at=hours(1)
    )
    care.tracking.add_event("SO-1", "out_for_delivery", occurred_at=hours(30))
    late = care.tracking.add_event("SO-1", "in_transit", occurred_at=hours(20), location="Hub")
    db.session.commit()
    assert late.event is not None and not late.status_changed
    shipment = late.shipment
    assert shipment.status == "out_for_delivery"
    assert shipment.status_changed_at == hours(30)
    timeline = [
        (e.data["status"], e.occurred_at)
        for e in events_for("order", shipment.order_id, public_only=True)
        if e.action.startswith("shipment.") and e.action != "shipment.added"
    ]
    assert timeline == [
        ("in_transit", hours(1)),
        ("in_transit", hours(20)),
        ("out_for_delivery", hours(30)),
    ]


def test_newer_events_move_the_status_even_backwards_in_rank(care, db):
    make_order(care)
    kwargs = {"carrier": "dhl", "tracking_number": "A"}
    care.tracking.add_event("SO-1", "out_for_delivery", occurred_at=hours(1), **kwargs)
    care.tracking.add_event("SO-1", "failed_attempt", occurred_at=hours(5), **kwargs)
    update = care.tracking.add_event("SO-1", "in_transit", occurred_at=hours(6), **kwargs)
    assert update.status_changed and update.shipment.status == "in_transit"
    # ... but a pre-transit word never undoes progress.
    update = care.tracking.add_event("SO-1", "info_received", occurred_at=hours(7), **kwargs)
    assert not update.status_changed and update.shipment.status == "in_transit"


def test_delivered_is_terminal_except_for_a_newer_exception(care, db):
    order = make_order(care)
    kwargs = {"carrier": "dhl", "tracking_number": "A"}
    delivered = care.tracking.add_event("SO-1", "delivered", occurred_at=hours(10), **kwargs)
    assert order.delivered_at == hours(10) and delivered.shipment.delivered_at == hours(10)
    for status in ("in_transit", "out_for_delivery", "failed_attempt", "expired"):
        update = care.tracking.add_event("SO-1", status, occurred_at=hours(11), **kwargs)
        assert not update.status_changed and update.shipment.status == "delivered"
    older = care.tracking.add_event("SO-1", "exception", occurred_at=hours(9), **kwargs)
    assert not older.status_changed
    newer = care.tracking.add_event("SO-1", "exception", occurred_at=hours(12), **kwargs)
    assert newer.status_changed and newer.shipment.status == "exception"
    # The first delivery stays recorded.
    assert order.delivered_at == hours(10) and newer.shipment.delivered_at == hours(10)


def test_first_event_after_add_shipment_moves_pending_even_if_older(care, db):
    make_order(care)
    care.tracking.add_shipment("SO-1", carrier="dhl", tracking_number="A", shipped_at=hours(5))
    update = care.tracking.add_event("SO-1", "in_transit", occurred_at=hours(4))
    assert update.status_changed and update.shipment.status == "in_transit"


def test_same_instant_higher_rank_wins(care, db):
    make_order(care)
    kwargs = {"carrier": "dhl", "tracking_number": "A", "occurred_at": hours(3)}
    care.tracking.add_event("SO-1", "out_for_delivery", **kwargs)
    assert not care.tracking.add_event("SO-1", "in_transit", **kwargs).status_changed
    assert care.tracking.add_event("SO-1", "delivered", **kwargs).status_changed


def test_exact_duplicates_are_ignored(care, db, signals_recorder):
    make_order(care)
    kwargs = {
        "carrier": "dhl",
        "tracking_number": "A",
        "occurred_at": hours(3),
        "location": "Madrid",
        "message": "Scanned",
    }
    with signals_recorder("order-status-changed") as received:
        first = care.tracking.add_event("SO-1", "in_transit", **kwargs)
        again = care.tracking.add_event("SO-1", "In Transit", **kwargs)
        # the same instant in another offset is the same event
        shifted = dict(kwargs, occurred_at=hours(3).astimezone(timezone(timedelta(hours=2))))
        third = care.tracking.add_event("SO-1", "in_transit", **shifted)
        other = care.tracking.add_event("SO-1", "in_transit", **dict(kwargs, location="Getafe"))
    db.session.commit()
    assert first.event is not None and not first.duplicate
    assert again.duplicate and again.event is None and third.duplicate
    assert not other.duplicate
    assert len(received) == 1
    rows = db.session.scalars(select(Event).where(Event.action == "shipment.in_transit")).all()
    assert len(rows) == 2


def test_status_change_signal_and_public_event(app, care, db, signals_recorder):
    order = make_order(care)
    with signals_recorder("order-status-changed") as received:
        update = care.tracking.add_event(
            "SO-1",
            "in_transit",
            carrier="gls",
            tracking_number="G1",
            occurred_at=hours(2),
            location="Zaragoza",
            message="Left the depot",
        )
        care.tracking.add_event("SO-1", "in_transit", occurred_at=hours(3))  # no change
    assert len(received) == 1
    _name, sender, kwargs = received[0]
    assert sender is app
    assert kwargs["order"] is order and kwargs["shipment"] is update.shipment
    assert (kwargs["from_status"], kwargs["to_status"]) == ("pending", "in_transit")
    assert kwargs["occurred_at"] == hours(2) and kwargs["order_status"] == "in_transit"
    event = kwargs["event"]
    assert event.public and event.subject_kind == "order" and event.subject_id == str(order.id)
    assert (event.from_state, event.to_state) == ("pending", "in_transit")
    assert event.data == {
        "shipment_id": update.shipment.id,
        "carrier": "gls",
        "tracking_number": "G1",
        "status": "in_transit",
        "location": "Zaragoza",
        "message": "Left the depot",
    }


def test_split_delivery_order_status(care, db):
    order = make_order(care)
    care.tracking.add_shipment("SO-1", carrier="dhl", tracking_number="A", lines={"MUG-1": 2})
    care.tracking.add_shipment("SO-1", carrier="ups", tracking_number="B", lines={"TEA-9": 1})
    with pytest.raises(ValidationError) as caught:
        care.tracking.add_event("SO-1", "delivered")
    assert caught.value.field == "shipment"
    care.tracking.add_event(
        "SO-1", "delivered", carrier="dhl", tracking_number="A", occurred_at=hours(30)
    )
    assert order.delivered_at == hours(30)  # the first delivery sets the order's
    statuses = [s.status for s in care.tracking.shipments(order)]
    assert order_status(statuses) == "pending"
    care.tracking.add_event(
        "SO-1", "in_transit", carrier="ups", tracking_number="B", occurred_at=hours(31)
    )
    assert order_status([s.status for s in care.tracking.shipments(order)]) == "in_transit"
    care.tracking.add_event(
        "SO-1", "delivered", carrier="ups", tracking_number="B", occurred_at=hours(40)
    )
    assert order_status([s.status for s in care.tracking.shipments(order)]) == "delivered"
    assert order.delivered_at == hours(30)


def test_order_status_puts_trouble_first():
    assert order_status([]) == "pending"
    assert order_status(["delivered", "exception"]) == "exception"
    assert order_status(["in_transit", "failed_attempt", "delivered"]) == "failed_attempt"
    assert order_status(["out_for_delivery", "in_transit"]) == "in_transit"


def test_moves_status_rules_cover_every_pair():
    # Whatever the pair, an equal status never moves, and delivered only leaves for exception.
    for current in STATUSES:
        for new in STATUSES:
            moved = moves_status(current, new)
            if new == current:
                assert not moved
            elif current == "delivered":
                assert moved == (new == "exception")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"reference": "NOPE"}, "reference"),
        ({"reference": "  "}, "reference"),
        ({"status": "teleported"}, "status"),
        ({"status": ""}, "status"),
        ({"status": None}, "status"),
        ({"occurred_at": "2026-03-01T10:00:00Z"}, "occurred_at"),
        ({"carrier": "pigeon"}, "carrier"),
        ({"location": "x" * 256}, "location"),
        ({"shipment": 999999}, "shipment"),
        ({"shipment": True}, "shipment"),
        ({"carrier": None, "tracking_number": None}, "carrier"),
    ],
)
def test_bad_events_name_the_field_and_write_nothing(care, db, kwargs, field):
    make_order(care)
    db.session.commit()
    arguments = {
        "reference": "SO-1",
        "status": "in_transit",
        "carrier": "dhl",
        "tracking_number": "A",
        "occurred_at": hours(1),
    }
    arguments.update(kwargs)
    arguments = {
        key: value for key, value in arguments.items() if value is not None or key == "status"
    }
    reference, status = arguments.pop("reference"), arguments.pop("status")
    with pytest.raises(ValidationError) as caught:
        care.tracking.add_event(reference, status, **arguments)
    assert caught.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Shipment)) == 0
    assert (
        db.session.scalar(
            select(func.count()).select_from(Event).where(Event.action.like("shipment.%"))
        )
        == 0
    )


def test_another_orders_shipment_is_refused(care, db):
    make_order(care, "SO-1")
    make_order(care, "SO-2")
    other = care.tracking.add_shipment("SO-2", carrier="dhl", tracking_number="A")
    with pytest.raises(ValidationError) as caught:
        care.tracking.add_event("SO-1", "in_transit", shipment=other.id)
    assert caught.value.field == "shipment"


def test_removing_a_shipped_line_takes_its_units_out_of_the_parcel(care, db):
    """The same on SQLite (foreign keys unenforced) as on PostgreSQL (ON DELETE CASCADE):
    no parcel is left carrying a line the host removed, so its e-mails and pages work."""
    make_order(care)
    care.tracking.add_event("SO-1", "in_transit", carrier="dhl", tracking_number="A")
    care.orders.record("SO-1", "ann@example.com", T0, [sample_lines()[1]])  # MUG-1 removed
    update = care.tracking.add_event("SO-1", "out_for_delivery", occurred_at=hours(2))
    db.session.commit()
    db.session.expire_all()
    assert [(line.order_line.sku, line.quantity) for line in update.shipment.lines] == [
        ("TEA-9", 1)
    ]
    assert db.session.scalar(select(func.count()).select_from(ShipmentLine)) == 1
