"""Late shipments: which are late (open, not arrived, and past their delivery window
or in trouble), the staff's late list with its filters and counts, and the check that
sends ``shipment-late`` once per shipment, ever. Resolving a late parcel:
:mod:`shopcare.tracking.resolutions`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, or_, select, update
from sqlalchemy.orm import joinedload

from shopcare.core import signals
from shopcare.core.db import session, utcnow
from shopcare.core.events import Actor, record_event
from shopcare.core.paging import Page, paging
from shopcare.core.validation import check_int
from shopcare.orders.models import Order
from shopcare.tracking.events import SHIPMENT_LATE
from shopcare.tracking.models import Shipment
from shopcare.tracking.statuses import ARRIVED, OPEN, STATUSES, TROUBLE

LATE_PER_PAGE = 25


#: The age filter: how many days past its window a parcel is (``None``: no bound).
AGES: dict[str, tuple[int | None, int | None]] = {
    "week": (None, 7),
    "month": (8, 30),
    "older": (31, None),
}
#: Why a parcel is late: past its window, or the carrier's trouble.
REASONS = ("overdue", *sorted(TROUBLE))


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


def is_late(shipment: Shipment, now: datetime | None = None) -> bool:
    """Python twin of :func:`late_clause` for a loaded shipment."""
    if (shipment.resolution or OPEN) != OPEN or shipment.status in ARRIVED:
        return False
    if shipment.status in TROUBLE:
        return True
    latest = shipment.estimated_latest
    return latest is not None and latest < (now or utcnow())


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
    customer's e-mail (one query), filtered by carrier, reason and age.

    :raises ValidationError: for a ``page`` outside 1…10,000 or a ``per_page``
        outside 1…10,000.
    """
    now = now or utcnow()
    page, per_page = paging(page, per_page)
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


def flag_late(
    *, now: datetime | None = None, batch: int = 500, actor: Actor | None = None
) -> list[Shipment]:
    """Send ``shipment-late`` for each late shipment not flagged before.

    :param actor: who flags them, for the event log (default: whoever is acting
        now; outside a request that is the system, labelled "late check").

    Each shipment is claimed with a conditional ``UPDATE … WHERE late_notified_at
    IS NULL``: of two workers racing for it only one updates the row, so the
    signal fires once per shipment, ever.
    """
    now = now or utcnow()
    batch = check_int(batch, "batch", minimum=1, maximum=10_000)
    if actor is None:
        actor = Actor.current()
        if actor.kind == "system" and actor.label is None:
            actor = Actor.system("late check")
    flagged: list[Shipment] = []
    while True:
        candidates = list(
            session().scalars(
                select(Shipment.id)
                .where(late_clause(now), Shipment.late_notified_at.is_(None))
                .order_by(Shipment.id)
                .limit(batch)
            )
        )
        claimed = [shipment_id for shipment_id in candidates if claim(shipment_id, now)]
        flagged += _announce(claimed, now, actor)
        if len(candidates) < batch:
            return flagged


def _announce(claimed: list[int], now: datetime, actor: Actor) -> list[Shipment]:
    """Record and signal the shipments this worker claimed."""
    if not claimed:
        return []
    db = session()
    shipments = list(
        db.scalars(
            select(Shipment)
            .options(joinedload(Shipment.order))
            .where(Shipment.id.in_(claimed))
            .order_by(Shipment.id)
            .execution_options(populate_existing=True)
        )
    )
    for shipment in shipments:
        days, reason = lateness(shipment, now)
        record_event(
            "order",
            shipment.order_id,
            SHIPMENT_LATE,
            actor=actor,
            data={"shipment_id": shipment.id, "reason": reason, "days_late": days},
            occurred_at=now,
        )
        signals.send(
            signals.shipment_late,
            shipment=shipment,
            order=shipment.order,
            reason=reason,
            days_late=days,
        )
    return shipments


def claim(shipment_id: int, now: datetime) -> bool:
    """Mark one shipment as flagged unless someone did already; ``True`` if we did."""
    result = session().execute(
        update(Shipment)
        .where(Shipment.id == shipment_id, Shipment.late_notified_at.is_(None))
        .values(late_notified_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)
