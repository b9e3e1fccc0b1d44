"""The same events give the same status, dates and e-mails in any arrival order; event
times outside the order's life (give or take the clock skew) are refused."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from shopcare import ValidationError
from shopcare.core.outbox import OutboxItem
from shopcare.tracking.statuses import replay
from tests.tracking.helpers import T0, make_order


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


#: Event sets as carriers send them, each with the status they must end in. Every
#: permutation of each set's arrival order is tried (4 events: 24 orders).
EVENT_SETS = {
    "a delivered scan stamped just before out-for-delivery": (
        [("in_transit", at(0)), ("out_for_delivery", at(185)), ("delivered", at(182))],
        "delivered",
    ),
    "delivered, then returned to sender": (
        [
            ("in_transit", at(0)),
            ("delivered", at(300)),
            ("exception", at(600)),
            ("in_transit", at(60)),
        ],
        "exception",
    ),
    "a failed attempt, then back in transit": (
        [
            ("out_for_delivery", at(60)),
            ("failed_attempt", at(120)),
            ("in_transit", at(240)),
            ("info_received", at(300)),
        ],
        "in_transit",
    ),
    "the same instant: the furthest status wins": (
        [("in_transit", at(30)), ("out_for_delivery", at(30)), ("info_received", at(0))],
        "out_for_delivery",
    ),
    "redelivered after a reversal": (
        [
            ("delivered", at(100)),
            ("exception", at(200)),
            ("delivered", at(400)),
            ("in_transit", at(0)),
        ],
        "delivered",
    ),
}


def outcome(care, db, reference: str, arrivals) -> tuple[tuple, list[str]]:
    """The shipment's status, since when, its and the order's delivery date; and the
    statuses the shopper was e-mailed about."""
    make_order(care, reference)
    for status, when in arrivals:
        care.tracking.add_event(
            reference, status, occurred_at=when, carrier="dhl", tracking_number="A"
        )
    order = care.orders.get(reference)
    [shipment] = care.tracking.shipments(order)
    mails = [
        payload["context"]["status"]
        for payload in db.session.scalars(select(OutboxItem.payload))
        if payload["context"]["reference"] == reference
    ]
    state = (shipment.status, shipment.status_changed_at, shipment.delivered_at, order.delivered_at)
    return state, mails


@pytest.mark.parametrize("name", list(EVENT_SETS))
def test_every_arrival_order_gives_the_same_result(app, care, db, name):
    events, final = EVENT_SETS[name]
    states = set()
    for number, arrivals in enumerate(itertools.permutations(events)):
        state, mails = outcome(care, db, f"P-{number}", arrivals)
        states.add(state)
        if final in app.config["SHOPCARE_TRACKING_NOTIFY_STATUSES"]:
            assert final in mails, (arrivals, mails)  # whatever came first
    assert len(states) == 1, states
    [(status, changed_at, delivered_at, order_delivered_at)] = states
    assert status == final
    assert changed_at == replay(events, since=T0).changed_at
    delivered = [when for status_, when in events if status_ == "delivered"]
    assert delivered_at == order_delivered_at == (min(delivered) if delivered else None)


def test_the_late_delivered_scan_mails_the_shopper(app, care, db, signals_recorder):
    """The example of the issue: out-for-delivery arrives first, the delivered scan
    stamped 3 minutes earlier second: delivered, with its date, signal and e-mail."""
    make_order(care)
    kwargs = {"carrier": "dhl", "tracking_number": "A"}
    care.tracking.add_event("SO-1", "out_for_delivery", occurred_at=at(185), **kwargs)
    with signals_recorder("order-status-changed") as received:
        update = care.tracking.add_event("SO-1", "delivered", occurred_at=at(182), **kwargs)
    assert update.status_changed and update.status == "delivered"
    assert update.shipment.delivered_at == at(182)
    assert [kw["to_status"] for _name, _sender, kw in received] == ["delivered"]
    templates = db.session.scalars(select(OutboxItem.payload)).all()
    assert [p["context"]["status"] for p in templates] == ["out_for_delivery", "delivered"]


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (datetime(2999, 1, 1, tzinfo=T0.tzinfo), "is in the future"),
        (T0 - timedelta(days=3), "is before the order was placed"),
    ],
)
def test_impossible_times_are_refused(care, db, when, message):
    make_order(care)  # placed a day before T0
    with pytest.raises(ValidationError) as caught:
        care.tracking.add_event(
            "SO-1", "delivered", occurred_at=when, carrier="dhl", tracking_number="A"
        )
    assert caught.value.field == "occurred_at" and message in caught.value.fields["occurred_at"]


def test_a_few_minutes_of_clock_skew_are_allowed(app, care, db):
    order = make_order(care)
    from shopcare.core.db import utcnow

    for when in (utcnow() + timedelta(minutes=10), order.placed_at - timedelta(minutes=10)):
        care.tracking.add_event(
            "SO-1", "in_transit", occurred_at=when, carrier="dhl", tracking_number="A"
        )
    app.config["SHOPCARE_TRACKING_CLOCK_SKEW_SECONDS"] = 60
    with pytest.raises(ValidationError):
        care.tracking.add_event(
            "SO-1",
            "in_transit",
            occurred_at=utcnow() + timedelta(minutes=10),
            carrier="dhl",
            tracking_number="A",
        )


def test_a_future_event_no_longer_freezes_the_status(care, db):
    """Before, an event dated 2999 was accepted and outranked every real one."""
    make_order(care)
    db.session.commit()
    with pytest.raises(ValidationError):
        care.tracking.add_event(
            "SO-1",
            "in_transit",
            occurred_at=datetime(2999, 1, 1, tzinfo=T0.tzinfo),
            carrier="dhl",
            tracking_number="A",
        )
    db.session.rollback()
    update = care.tracking.add_event(
        "SO-1", "delivered", occurred_at=at(60), carrier="dhl", tracking_number="A"
    )
    assert update.status == "delivered"
