"""Late parcels, for staff: the filtered list with its counts, notes, and resolutions.

A parcel is late when it is open (not resolved by staff), has not arrived, and its
window has passed or it is in trouble (:func:`late_clause`). Staff resolve it — it came
after all, a replacement was sent, the shopper was refunded, or it is lost — through
:data:`RESOLUTION`, a state machine whose one guarded move (a conditional UPDATE) lets
exactly one of two staff members resolve a parcel; the other gets a
:class:`~shopcare.TransitionError`. The resolution leaves the list and shows on the
order's timeline; notes are kept on the parcel and in the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select

from shopcare.core.db import session, utcnow
from shopcare.core.errors import ValidationError
from shopcare.core.events import Actor, record_event
from shopcare.core.machine import Machine, Move
from shopcare.core.paging import Page
from shopcare.core.validation import check_text
from shopcare.orders.models import Order
from shopcare.tracking.models import (
    ARRIVED,
    OPEN,
    RESOLUTIONS,
    STATUSES,
    TROUBLE,
    Shipment,
)

LATE_PER_PAGE = 25
#: The age filter: how many days past its window a parcel is (``None``: no bound).
AGES: dict[str, tuple[int | None, int | None]] = {
    "week": (None, 7),
    "month": (8, 30),
    "older": (31, None),
}
#: Why a parcel is late: past its window, or the carrier's trouble.
REASONS = ("overdue", *sorted(TROUBLE))

#: Resolving a late parcel: from ``open`` to one of :data:`RESOLUTIONS`, once.
RESOLUTION = Machine(
    "shipment",
    states=(OPEN, *RESOLUTIONS),
    moves=[Move(OPEN, resolution, "shipment.resolved", public=True) for resolution in RESOLUTIONS],
    status_column="resolution",
)


@dataclass(frozen=True)
class LateShipment:
    """A row of the staff's late list: the parcel, its order's reference and the
    customer's e-mail, how many days late it is and why."""

    shipment: Shipment
    order_reference: str
    days_late: int
    reason: str  # "overdue" or the troubled status
    email: str = ""


@dataclass(frozen=True)
class LateCounts:
    """How many parcels are late, in all, by reason and by carrier."""

    total: int
    by_reason: dict[str, int]
    by_carrier: dict[str, int]


def late_clause(now: datetime) -> ColumnElement[bool]:
    """SQL: the shipment is late at ``now``: open, not arrived, and past its window or
    in trouble."""
    not_arrived = [status for status in STATUSES if status not in ARRIVED]
    return and_(
        Shipment.resolution == OPEN,
        Shipment.status.in_(not_arrived),
        or_(Shipment.estimated_latest < now, Shipment.status.in_(sorted(TROUBLE))),
    )


def lateness(shipment: Shipment, now: datetime) -> tuple[int, str]:
    """How late a late shipment is: started days past its window (0 when not past
    it) and why it is late (``"overdue"``, or its troubled status)."""
    latest = shipment.estimated_latest
    if latest is not None and latest < now:
        return (now - latest).days + 1, "overdue"
    return 0, shipment.status


def _filters(
    now: datetime, carrier: str | None, reason: str | None, age: str | None
) -> list[ColumnElement[bool]]:
    conditions = [late_clause(now)]
    if carrier:
        conditions.append(Shipment.carrier == carrier)
    if reason == "overdue":
        conditions.append(Shipment.estimated_latest < now)
    elif reason in TROUBLE:
        conditions.append(Shipment.status == reason)
        conditions.append(
            or_(Shipment.estimated_latest.is_(None), Shipment.estimated_latest >= now)
        )
    if age in AGES:
        low, high = AGES[age]
        # "n days late" starts the day after the window closed: latest < now - (n-1) days.
        if low is not None:
            conditions.append(Shipment.estimated_latest < now - timedelta(days=low - 1))
        if high is not None:
            conditions.append(Shipment.estimated_latest >= now - timedelta(days=high))
    return conditions


def late_shipments(
    page: int = 1,
    per_page: int = LATE_PER_PAGE,
    *,
    carrier: str | None = None,
    reason: str | None = None,
    age: str | None = None,
    now: datetime | None = None,
) -> Page[LateShipment]:
    """Open late parcels, most overdue first, with their order's reference and the
    customer's e-mail (one query), filtered by carrier, reason and age."""
    now = now or utcnow()
    page = max(1, page)
    rows = session().execute(
        select(Shipment, Order.reference, Order.email)
        .join(Order, Order.id == Shipment.order_id)
        .where(*_filters(now, carrier, reason, age))
        .order_by(Shipment.estimated_latest.is_(None), Shipment.estimated_latest, Shipment.id)
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    )
    items = []
    for shipment, reference, email in rows:
        days, why = lateness(shipment, now)
        items.append(LateShipment(shipment, reference, days, why, email))
    return Page(items[:per_page], page, per_page, len(items) > per_page)


def late_counts(*, now: datetime | None = None) -> LateCounts:
    """How many open parcels are late, by reason and by carrier (one query)."""
    now = now or utcnow()
    reason = case((Shipment.estimated_latest < now, "overdue"), else_=Shipment.status).label(
        "reason"
    )
    rows = session().execute(
        select(Shipment.carrier, reason, func.count())
        .where(late_clause(now))
        .group_by(Shipment.carrier, reason)
    )
    by_reason: dict[str, int] = {}
    by_carrier: dict[str, int] = {}
    total = 0
    for carrier, why, count in rows:
        by_reason[why] = by_reason.get(why, 0) + count
        by_carrier[carrier] = by_carrier.get(carrier, 0) + count
        total += count
    return LateCounts(total, by_reason, dict(sorted(by_carrier.items())))


def _note(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError("note", "must be text")
    value = check_text(value.strip(), "note")
    if len(value) > 1000:
        raise ValidationError("note", "at most 1000 characters")
    return value or None


def add_note(shipment_id: int, note: str, *, actor: Actor | None = None) -> Shipment:
    """Keep staff's note on a parcel (shown on the late list) and in the audit trail."""
    text = _note(note)
    if text is None:
        raise ValidationError("note", "write a note")
    shipment = session().get(Shipment, shipment_id)
    if shipment is None:
        raise ValidationError("shipment", "no such shipment")
    shipment.staff_note = text
    session().flush()
    record_event(
        "order",
        shipment.order_id,
        "shipment.note",
        actor=actor,
        data={"shipment_id": shipment.id, "note": text},
    )
    return shipment


def resolve(
    shipment_id: int,
    resolution: str,
    *,
    note: str | None = None,
    actor: Actor | None = None,
    now: datetime | None = None,
) -> Shipment:
    """Resolve an open late parcel: it leaves the late list, and the resolution shows
    on the order's timeline (the public ``shipment.resolved`` event; the note stays
    with staff).

    :raises ValidationError: for an unknown resolution or a bad note.
    :raises TransitionError: when the parcel is resolved already — also when another
        staff member resolved it a moment ago (the UPDATE is conditional).
    """
    if resolution not in RESOLUTIONS:
        raise ValidationError("resolution", f"one of {', '.join(RESOLUTIONS)}")
    text = _note(note)
    now = now or utcnow()
    values: dict[str, Any] = {"resolved_at": now}
    if text is not None:
        values["staff_note"] = text
    db = session()
    order_id = db.scalar(select(Shipment.order_id).where(Shipment.id == shipment_id))
    if order_id is None:
        raise ValidationError("shipment", "no such shipment")
    RESOLUTION.move(
        Shipment,
        shipment_id,
        resolution,
        expected=OPEN,
        values=values,
        record=False,
    )
    record_event(
        "order",
        order_id,
        "shipment.resolved",
        actor=actor,
        from_state=OPEN,
        to_state=resolution,
        data={"shipment_id": shipment_id, "resolution": resolution},
        occurred_at=now,
        public=True,
    )
    if text is not None:
        record_event(
            "order",
            order_id,
            "shipment.note",
            actor=actor,
            data={"shipment_id": shipment_id, "note": text},
            occurred_at=now,
        )
    shipment = db.get(Shipment, shipment_id, populate_existing=True)
    assert shipment is not None
    return shipment
