"""The nine tracking statuses and their rules: how an event moves a shipment's
status, and what an order's status is.

A shipment's status is what its events say **in the order they happened**, whatever
the order they arrive in (``add_event`` replays them all, :func:`replay`): starting
from ``pending``, each event, oldest first (at the same instant the lower
:data:`STATUS_RANK` first), is one move of :data:`SHIPMENT`, the shipment's transition
table (a :class:`~shopcare.core.machine.Machine`): it moves the status to its own when
the table has that move, and only joins the timeline when it does not. The table
(:data:`SHIPMENT_MOVES`) allows every move except

1. to the same status: such an event only joins the timeline;
2. from ``delivered``, the one terminal status, to anything but ``exception`` (a
   carrier reversing a delivery scan: wrong address, returned to sender);
3. to ``pending`` / ``info_received`` from ``in_transit`` or beyond (a late "label
   created" does not undo progress).

So a "delivered" scan stamped a few minutes before an "out for delivery" that arrived
first still delivers the parcel. An event's time must lie between the order's
placing and now, give or take ``SHOPCARE_TRACKING_CLOCK_SKEW_SECONDS`` (carrier clocks
drift): :func:`check_event_time` refuses the rest, so one event dated in 2999 cannot
freeze a status against every real one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Final, NamedTuple

from shopcare.core.config import setting
from shopcare.core.db import utcnow
from shopcare.core.errors import ValidationError
from shopcare.core.machine import Machine, Move

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


def status_event(status: str) -> str:
    """The action of a carrier event with one of the nine statuses (``shipment.delivered``;
    public; data: ``status``, ``location``, ``message``): what each move of
    :data:`SHIPMENT` writes to the order's timeline."""
    return f"shipment.{status}"


#: The shipment's transition table: for each status, the statuses a carrier event may
#: move it to (an event of the target's status does). The rules of this module's
#: docstring, as data: never to itself; from ``delivered``, the one terminal status,
#: only to ``exception``; once the carrier has the parcel (``in_transit`` or beyond),
#: never back to ``pending`` / ``info_received``.
_CARRIER_HAS_IT: Final = (
    IN_TRANSIT,
    EXCEPTION,
    FAILED_ATTEMPT,
    OUT_FOR_DELIVERY,
    AVAILABLE_FOR_PICKUP,
    EXPIRED,
    DELIVERED,
)
SHIPMENT_MOVES: Final[dict[str, tuple[str, ...]]] = {
    PENDING: (INFO_RECEIVED, *_CARRIER_HAS_IT),
    INFO_RECEIVED: (PENDING, *_CARRIER_HAS_IT),
    **{
        status: tuple(target for target in _CARRIER_HAS_IT if target != status)
        for status in _CARRIER_HAS_IT
        if status != DELIVERED
    },
    DELIVERED: (EXCEPTION,),
}

#: The shipment's status machine (``shopcare.core.machine``): the one table
#: :func:`replay` consults for every event. Each move writes the carrier event of its
#: target (:func:`status_event`, public); ``add_event`` records it, with the parcel's
#: details, under the order's row lock.
SHIPMENT: Final = Machine(
    "shipment",
    states=STATUSES,
    moves=[
        Move(source, target, status_event(target), public=True)
        for source, targets in SHIPMENT_MOVES.items()
        for target in targets
    ],
)


def moves_status(current: str, new: str) -> bool:
    """Whether an event of status ``new``, replayed after the events that made the
    status ``current``, moves it: whether :data:`SHIPMENT` has the move."""
    return SHIPMENT.allows(current, new)


class Replayed(NamedTuple):
    """A shipment's status after its events: since when, and its first delivery."""

    status: str
    changed_at: datetime
    delivered_at: datetime | None


def replay(events: Iterable[tuple[str, datetime]], *, since: datetime) -> Replayed:
    """The status events ``(status, occurred_at)`` give a shipment that has been
    ``pending`` since ``since``: they are taken in the order they happened (at the same
    instant the lower rank first, so the furthest status wins), whatever order they
    came in, so the same events always give the same status."""
    status, changed_at, delivered_at = PENDING, since, None
    for new, at in sorted(events, key=lambda event: (event[1], STATUS_RANK[event[0]])):
        if moves_status(status, new):
            status, changed_at = new, at
        if new == DELIVERED and (delivered_at is None or at < delivered_at):
            delivered_at = at
    return Replayed(status, changed_at, delivered_at)


def check_event_time(
    at: datetime, *, placed_at: datetime | None = None, now: datetime | None = None
) -> datetime:
    """Refuse an event time no real event can have: more than
    ``SHOPCARE_TRACKING_CLOCK_SKEW_SECONDS`` after now, or that long before the order
    was placed (``placed_at``).

    :raises ValidationError: on ``occurred_at``.
    """
    skew = timedelta(seconds=int(setting("SHOPCARE_TRACKING_CLOCK_SKEW_SECONDS")))
    minutes = int(skew.total_seconds() // 60)
    if at > (now or utcnow()) + skew:
        raise ValidationError(
            "occurred_at", f"is in the future (more than {minutes} minutes from now)"
        )
    if placed_at is not None and at < placed_at - skew:
        raise ValidationError(
            "occurred_at", f"is before the order was placed ({placed_at.isoformat()})"
        )
    return at


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
