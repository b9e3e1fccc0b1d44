"""The nine tracking statuses and their rules: how an event moves a shipment's
status, and what an order's status is.

How an event moves a shipment's status (``add_event``), in order:

1. the same status as now: the event only joins the timeline;
2. ``delivered`` is terminal: only a *newer* ``exception`` leaves it (a carrier
   reversing a delivery scan: wrong address, returned to sender);
3. ``pending`` / ``info_received`` never replace a status of ``in_transit`` or beyond;
4. a newer event moves the status (a parcel can go back in transit after a failed
   attempt); at the same instant the higher :data:`STATUS_RANK` wins;
5. an older event that arrives late joins the timeline in its place but never moves
   the status, except forward from ``pending`` / ``info_received``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

PENDING: Final = "pending"
INFO_RECEIVED: Final = "info_received"
IN_TRANSIT: Final = "in_transit"
OUT_FOR_DELIVERY: Final = "out_for_delivery"
FAILED_ATTEMPT: Final = "failed_attempt"
AVAILABLE_FOR_PICKUP: Final = "available_for_pickup"
DELIVERED: Final = "delivered"
EXCEPTION: Final = "exception"
EXPIRED: Final = "expired"

#: The nine statuses every carrier word is normalised to, with their rank: how far
#: along the way to the shopper each one is. The rank breaks ties between events of
#: the same instant; ``pending`` and ``info_received`` (before the carrier has the
#: parcel) never replace a status of rank ``in_transit`` or more.
STATUS_RANK: Final[dict[str, int]] = {
    PENDING: 0,
    INFO_RECEIVED: 1,
    IN_TRANSIT: 2,
    EXCEPTION: 3,
    FAILED_ATTEMPT: 4,
    OUT_FOR_DELIVERY: 5,
    AVAILABLE_FOR_PICKUP: 6,
    EXPIRED: 7,
    DELIVERED: 8,
}
STATUSES: Final = tuple(STATUS_RANK)

#: Statuses where the parcel has reached the shopper or waits for them: never late.
ARRIVED: Final = frozenset({DELIVERED, AVAILABLE_FOR_PICKUP})
#: Statuses that make a shipment late whatever its window says.
TROUBLE: Final = frozenset({EXCEPTION, FAILED_ATTEMPT})
#: Statuses that come before the carrier has the parcel.
BEFORE_TRANSIT: Final = frozenset({PENDING, INFO_RECEIVED})

#: The steps of the shopper's progress bar (ordered, shipped, out for delivery,
#: delivered), and the step each status has reached (``exception`` and ``expired`` show
#: the furthest step the timeline reached). A shipment exists once its parcel was handed
#: to the carrier, so even a ``pending`` one has reached "shipped".
PROGRESS_STEPS: Final = (PENDING, IN_TRANSIT, OUT_FOR_DELIVERY, DELIVERED)
STATUS_STEP: Final[dict[str, int]] = {
    PENDING: 1,
    INFO_RECEIVED: 1,
    IN_TRANSIT: 1,
    OUT_FOR_DELIVERY: 2,
    FAILED_ATTEMPT: 2,
    AVAILABLE_FOR_PICKUP: 2,
    DELIVERED: 3,
}

#: How staff may resolve a late parcel (``care.tracking.resolve``): it arrived after
#: all, a replacement was sent (as a new shipment), the shopper was refunded, or it is
#: lost. ``open``: not resolved.
OPEN: Final = "open"
RESOLUTIONS: Final = ("delivered", "reshipped", "refunded", "lost")


def moves_status(current: str, current_at: datetime, new: str, new_at: datetime) -> bool:
    """Whether an event of status ``new`` at ``new_at`` replaces ``current`` (set at
    ``current_at``). The rules are in this module's docstring."""
    if new == current:
        return False
    if current == DELIVERED:
        return new == EXCEPTION and new_at > current_at
    if new in BEFORE_TRANSIT and STATUS_RANK[current] >= STATUS_RANK[IN_TRANSIT]:
        return False
    if new_at > current_at:
        return True
    if new_at == current_at:
        return STATUS_RANK[new] > STATUS_RANK[current]
    return current in BEFORE_TRANSIT and STATUS_RANK[new] > STATUS_RANK[current]


def order_status(statuses: Sequence[str]) -> str:
    """The status of an order from its shipments' statuses.

    No shipment yet: ``pending``. Trouble in any shipment shows first; otherwise
    the shipment furthest from the shopper speaks for the order, so an order is
    ``delivered`` only when every shipment is.
    """
    if not statuses:
        return PENDING
    for status in (EXCEPTION, FAILED_ATTEMPT, EXPIRED):
        if status in statuses:
            return status
    return min(statuses, key=lambda status: STATUS_RANK[status])
