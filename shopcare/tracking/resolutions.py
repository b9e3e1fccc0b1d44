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

from sqlalchemy import select

from shopcare.core.db import session, utcnow
from shopcare.core.errors import ValidationError
from shopcare.core.events import Actor, record_event
from shopcare.core.machine import Machine, Move
from shopcare.core.validation import text as optional_text
from shopcare.tracking.events import SHIPMENT_NOTE, SHIPMENT_RESOLVED
from shopcare.tracking.models import Shipment
from shopcare.tracking.statuses import OPEN, RESOLUTIONS

#: Resolving a late parcel: from ``open`` to one of :data:`RESOLUTIONS`, once.
RESOLUTION = Machine(
    "shipment",
    states=(OPEN, *RESOLUTIONS),
    moves=[Move(OPEN, resolution, SHIPMENT_RESOLVED, public=True) for resolution in RESOLUTIONS],
    status_column="resolution",
)


def _note(value: Any) -> str | None:
    return optional_text(value, "note", 1000, required=False)


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
        SHIPMENT_NOTE,
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
