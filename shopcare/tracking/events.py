"""Tracking's event vocabulary: every action tracking writes to an order's event log
(declared on each app by ``shopcare.tracking.wiring``). Data of each: ``shipment_id``,
``carrier``, ``tracking_number`` and what is named here."""

from __future__ import annotations

from typing import Final

from shopcare.tracking.statuses import STATUSES, status_event

#: A parcel of the order shipped (public, at ``shipped_at``).
SHIPMENT_ADDED: Final = "shipment.added"
#: A parcel's country, shipping time or lines changed (data: ``changed``).
SHIPMENT_UPDATED: Final = "shipment.updated"
#: The late check flagged a parcel (data: ``reason``, ``days_late``).
SHIPMENT_LATE: Final = "shipment.late"
#: Staff resolved a late parcel (public; data: ``resolution``): the move of
#: ``shopcare.tracking.resolutions.RESOLUTION``.
SHIPMENT_RESOLVED: Final = "shipment.resolved"
#: Staff noted something on a parcel (data: ``note``).
SHIPMENT_NOTE: Final = "shipment.note"


#: Every name above, and each carrier event, ``status_event(status)``
#: (``shipment.<status>``: the event of a move of the shipment's transition table,
#: ``shopcare.tracking.statuses.SHIPMENT``), for ``state.add_events``.
EVENTS: Final = (
    SHIPMENT_ADDED,
    SHIPMENT_UPDATED,
    SHIPMENT_LATE,
    SHIPMENT_RESOLVED,
    SHIPMENT_NOTE,
    *(status_event(status) for status in STATUSES),
)
