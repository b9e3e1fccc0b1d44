"""Resolving a late parcel, and staff's notes on it.

Staff resolve a late parcel — it came after all, a replacement was sent, the shopper
was refunded, or it is lost — through :data:`RESOLUTION`, a state machine whose one
guarded move (a conditional UPDATE) lets exactly one of two staff members resolve a
parcel; the other gets a :class:`~shopcare.TransitionError`. The resolution leaves the
late list (:mod:`shopcare.tracking.lateness`) and shows on the order's timeline; notes
are kept on the parcel and in the audit trail.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from shopcare.core.db import session, utcnow
from shopcare.core.errors import NotFound, TransitionError, ValidationError
from shopcare.core.events import Actor, events_for, record_event
from shopcare.core.machine import Machine, Move
from shopcare.core.validation import text as optional_text
from shopcare.tracking.events import SHIPMENT_NOTE, SHIPMENT_RESOLVED
from shopcare.tracking.models import Shipment
from shopcare.tracking.statuses import DELIVERED, OPEN, RESOLUTIONS

#: Resolving a late parcel: from ``open`` to one of :data:`RESOLUTIONS`, once.
RESOLUTION = Machine(
    "shipment",
    states=(OPEN, *RESOLUTIONS),
    moves=[Move(OPEN, resolution, SHIPMENT_RESOLVED, public=True) for resolution in RESOLUTIONS],
    status_column="resolution",
)


def _note(value: Any) -> str | None:
    if isinstance(value, str):  # one kind of line break, whoever sent it
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return optional_text(value, "note", 1000, required=False)


#: ``was`` not given: the note is replaced whatever it says now.
ANY = object()


class ParcelDelivered(TransitionError):
    """The carrier delivered the parcel since the resolution was asked for: only
    ``delivered`` may resolve it now."""

    def __init__(self, resolution: str) -> None:
        super().__init__("shipment", DELIVERED, resolution, concurrent=True)


class NoteChanged(TransitionError):
    """Another staff member changed the parcel's note after this one read it: nothing
    was written (:attr:`current` is the note as it is now)."""

    def __init__(self, current: str | None) -> None:
        super().__init__("shipment note", "changed", "edited", concurrent=True)
        self.current = current


def add_note(
    shipment_id: int, note: str, *, was: Any = ANY, actor: Actor | None = None
) -> Shipment:
    """Keep staff's note on a parcel (shown on the late list; it replaces the one
    before, which stays in the audit trail) and in the audit trail.

    :param was: the note as the writer read it (``None``: none); the UPDATE is
        conditional on it, so of two staff members editing the same note the second is
        refused instead of erasing the first's.
    :raises ValidationError: for an empty or too long note.
    :raises NotFound: for an unknown parcel.
    :raises NoteChanged: when the note is no longer ``was``.
    """
    text = _note(note)
    if text is None:
        raise ValidationError("note", "write a note")
    db = session()
    order_id = db.scalar(select(Shipment.order_id).where(Shipment.id == shipment_id))
    if order_id is None:
        raise NotFound(f"no shipment {shipment_id}")
    guard = [] if was is ANY else [Shipment.staff_note.is_not_distinct_from(was)]
    changed = db.execute(
        update(Shipment)
        .where(Shipment.id == shipment_id, *guard)
        .values(staff_note=text)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        current = db.scalar(select(Shipment.staff_note).where(Shipment.id == shipment_id))
        if current != text:
            raise NoteChanged(current)
        # the same words already there (the same form sent twice): nothing to do
        shipment = db.get(Shipment, shipment_id)
        assert shipment is not None
        return shipment
    record_event(
        "order",
        order_id,
        SHIPMENT_NOTE,
        actor=actor,
        data={"shipment_id": shipment_id, "note": text},
    )
    shipment = db.get(Shipment, shipment_id, populate_existing=True)
    assert shipment is not None
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

    A parcel the carrier has delivered meanwhile can only be resolved as
    ``delivered``: a list read before the delivery must not mark it lost, reshipped or
    refunded.

    :raises ValidationError: for an unknown resolution or a bad note.
    :raises NotFound: for an unknown parcel.
    :raises TransitionError: when the parcel is resolved already — also when another
        staff member resolved it a moment ago (the UPDATE is conditional) — or was
        delivered since (:class:`ParcelDelivered`).
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
        raise NotFound(f"no shipment {shipment_id}")
    not_delivered = [] if resolution == DELIVERED else [Shipment.status != DELIVERED]
    try:
        RESOLUTION.move(
            Shipment,
            shipment_id,
            resolution,
            expected=OPEN,
            values=values,
            where=not_delivered,
            record=False,
        )
    except TransitionError:
        state = db.execute(
            select(Shipment.resolution, Shipment.status).where(Shipment.id == shipment_id)
        ).one()
        if state.resolution == OPEN and state.status == DELIVERED:
            raise ParcelDelivered(resolution) from None
        raise
    record_event(
        "order",
        order_id,
        SHIPMENT_RESOLVED,
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
            SHIPMENT_NOTE,
            actor=actor,
            data={"shipment_id": shipment_id, "note": text},
            occurred_at=now,
        )
    shipment = db.get(Shipment, shipment_id, populate_existing=True)
    assert shipment is not None
    return shipment


def resolved_by(shipment_id: int) -> Actor | None:
    """Who resolved the parcel (the actor of its ``shipment.resolved`` event), or
    ``None`` when it is not resolved or the parcel does not exist."""
    order_id = session().scalar(select(Shipment.order_id).where(Shipment.id == shipment_id))
    if order_id is None:
        return None
    found = [
        event
        for event in events_for("order", order_id)
        if event.action == SHIPMENT_RESOLVED and event.data.get("shipment_id") == shipment_id
    ]
    return found[-1].actor if found else None
