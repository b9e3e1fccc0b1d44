"""``care.tracking``: shipments, carrier events, the shopper's order page, late shipments.

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

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any, NamedTuple

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    String,
    and_,
    bindparam,
    cast,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import joinedload, lazyload

from shopcare.core import signals
from shopcare.core.config import setting
from shopcare.core.db import session, utcnow
from shopcare.core.errors import NotFound, ValidationError
from shopcare.core.events import Actor, Event, events_for, record_event
from shopcare.core.paging import Page
from shopcare.core.validation import check_text, host_datetime
from shopcare.orders.models import Order, OrderLine
from shopcare.orders.services import (
    lookup_reference,
    normalize_email,
    normalize_reference,
)
from shopcare.tracking.carriers import normalize_carrier, normalize_status
from shopcare.tracking.estimates import TransitEstimate, forget_estimates, transit_estimate
from shopcare.tracking.models import (
    ARRIVED,
    BEFORE_TRANSIT,
    DELIVERED,
    EXCEPTION,
    EXPIRED,
    FAILED_ATTEMPT,
    IN_TRANSIT,
    PENDING,
    STATUS_RANK,
    STATUS_STEP,
    STATUSES,
    TROUBLE,
    Shipment,
    ShipmentLine,
)

#: Salt of the guest order links, so that no other signed value of the app opens them.
GUEST_LINK_SALT = "shopcare.tracking.guest-order"
#: What an unknown reference's e-mail is compared with, so both branches do the same work.
_NO_SUCH_ORDER_EMAIL = hashlib.sha256(b"shopcare: no such order").digest()

ORDERS_PER_PAGE = 20
LATE_PER_PAGE = 25


class GuestLinkExpired(NotFound):
    """A guest order link was genuine but is older than ``SHOPCARE_GUEST_LINK_MAX_AGE``."""


# -- results -------------------------------------------------------------------


@dataclass(frozen=True)
class TrackingUpdate:
    """What ``add_event`` did: the shipment, the timeline event (``None`` when the
    event was an exact duplicate and was ignored), whether the status moved and the
    shipment's status right after this event."""

    shipment: Shipment
    event: Event | None
    status_changed: bool
    status: str

    @property
    def duplicate(self) -> bool:
        return self.event is None


@dataclass
class ShipmentView:
    """One shipment as the order page shows it."""

    shipment: Shipment
    number: int
    lines: list[tuple[OrderLine, int]]
    step: int
    late: bool

    @property
    def trouble(self) -> bool:
        return self.shipment.status in TROUBLE or self.shipment.status == EXPIRED


@dataclass
class OrderTracking:
    """Everything the order page shows, loaded in three queries.

    ``changes_at`` is the next moment what it shows changes by the clock alone (a
    shipment's delivery window closes and it turns late), or ``None``.
    """

    order: Order
    status: str
    shipments: list[ShipmentView]
    timeline: list[Event]
    unshipped: list[tuple[OrderLine, int]] = field(default_factory=list)
    changes_at: datetime | None = None
    _numbers: dict[Any, int] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.shipments) > 1:
            self._numbers = {view.shipment.id: view.number for view in self.shipments}

    def shipment_number(self, event: Event) -> int | None:
        """The 1-based number of the shipment an event is about (when there are several)."""
        return self._numbers.get(event.data.get("shipment_id"))


class OrderVersion(NamedTuple):
    """What changes whenever anything the order page shows changes: the order's row
    (``updated_at``) and its event log (``events``, how many it holds).

    The log is append-only and every tracking change records an event, so the count
    grows with each change once it commits; unlike the newest id, it also grows when
    a transaction holding an older id commits after a newer one.
    """

    order_id: int
    updated_at: datetime
    events: int


class VersionedOrder(NamedTuple):
    """An order (lines loaded) and its :class:`OrderVersion`, read in one query."""

    order: Order
    version: OrderVersion


@dataclass(frozen=True)
class OrderSummary:
    """A row of the shopper's order list."""

    order: Order
    status: str
    shipments: int


class GuestOrder(NamedTuple):
    """The order a guest proved to know: just enough to sign its link."""

    id: int
    reference: str


@dataclass(frozen=True)
class LateShipment:
    """A row of the staff's late list."""

    shipment: Shipment
    order_reference: str
    days_late: int
    reason: str  # "overdue" or the troubled status


# -- status rules ----------------------------------------------------------------


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


def late_clause(now: datetime) -> ColumnElement[bool]:
    """SQL: the shipment is late at ``now`` (past its window and not arrived, or in trouble)."""
    not_arrived = [status for status in STATUSES if status not in ARRIVED]
    return and_(
        Shipment.status.in_(not_arrived),
        or_(Shipment.estimated_latest < now, Shipment.status.in_(sorted(TROUBLE))),
    )


def is_late(shipment: Shipment, now: datetime | None = None) -> bool:
    """Python twin of :func:`late_clause` for a loaded shipment."""
    if shipment.status in ARRIVED:
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


# -- input checks ------------------------------------------------------------------


def _optional_text(value: Any, field: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(field, "must be text")
    value = check_text(value.strip(), field)
    if len(value) > limit:
        raise ValidationError(field, f"at most {limit} characters")
    return value or None


def _country(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value.strip()) != 2 or not value.strip().isalpha():
        raise ValidationError("destination_country", "an ISO 3166 two-letter code, like 'ES'")
    return value.strip().upper()


def _dedupe_key(*parts: Any) -> str:
    digest = hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()
    return f"tracking:{digest}"


def _send(signal: Any, **kwargs: Any) -> None:
    signal.send(current_app._get_current_object(), **kwargs)  # type: ignore[attr-defined]


# -- the service -------------------------------------------------------------------


class ShipmentTracker:
    """``care.tracking``: the host (or a carrier's webhook) reports shipments and their
    events here; the shopper's pages and the staff's late list read them back.

    Methods flush but do not commit: the caller commits.
    """

    # -- writing -----------------------------------------------------------------

    def add_shipment(
        self,
        reference: str,
        *,
        carrier: str,
        tracking_number: str | None,
        lines: Mapping[str, int] | Iterable[Mapping[str, Any]] | None = None,
        destination_country: str | None = None,
        shipped_at: datetime | None = None,
    ) -> Shipment:
        """Record that (part of) an order shipped; idempotent by carrier + tracking number.

        :param lines: what the parcel carries: ``{"SKU": quantity}`` or
            ``[{"sku": ..., "quantity": ...}]``; ``None`` means every unit not yet in
            another shipment (or, when the shipment is known, leaves its lines alone).
        :param shipped_at: default now; naive is read as UTC (``SHOPCARE_NAIVE_DATETIMES``). The delivery window counts from it.
        :raises ValidationError: naming the bad field; nothing is written.
        """
        order = self._order(reference)
        carrier_key = normalize_carrier(carrier)
        number = _optional_text(tracking_number, "tracking_number", 64)
        country = _country(destination_country)
        when = host_datetime(shipped_at, "shipped_at") if shipped_at is not None else None
        existing = self._order_shipments(order)
        shipment = next(
            (s for s in existing if s.carrier == carrier_key and s.tracking_number == number),
            None,
        )
        wanted = self._wanted_lines(order, existing, shipment, lines)
        if shipment is None:
            return self._create(order, carrier_key, number, country, when or utcnow(), wanted or [])
        changed: list[str] = []
        if country is not None and country != shipment.destination_country:
            shipment.destination_country = country
            changed.append("destination_country")
        if when is not None and when != shipment.shipped_at:
            shipment.shipped_at = when
            changed.append("shipped_at")
        if changed:
            self._estimate(shipment)
        if wanted is not None:
            by_line = {line.order_line_id: line for line in shipment.lines}
            before = {line.order_line_id: line.quantity for line in shipment.lines}
            if before != {line.id: quantity for line, quantity in wanted}:
                changed.append("lines")
            shipment.lines = [
                _set_quantity(by_line.get(line.id) or ShipmentLine(order_line=line), quantity)
                for line, quantity in wanted
            ]
        session().flush()
        if changed:
            # The audit trail, and what tells the order page (and its cache) it changed.
            record_event(
                "order",
                order.id,
                "shipment.updated",
                data={
                    "shipment_id": shipment.id,
                    "carrier": shipment.carrier,
                    "tracking_number": shipment.tracking_number,
                    "changed": changed,
                },
            )
        return shipment

    def add_event(
        self,
        reference: str,
        status: str,
        *,
        occurred_at: datetime | None = None,
        shipment: Shipment | int | None = None,
        carrier: str | None = None,
        tracking_number: str | None = None,
        location: str | None = None,
        message: str | None = None,
        notify: bool = True,
        actor: Actor | None = None,
    ) -> TrackingUpdate:
        """Record one carrier event for an order's shipment.

        The shipment is ``shipment`` (an id or object of this order), else the one
        with ``carrier`` + ``tracking_number`` (created if new), else the order's only
        shipment. The event joins the order's public timeline; whether it moves the
        shipment's status follows this module's rules. An exact duplicate (same
        shipment, status, time, place and message) is ignored.

        :param status: one of the nine statuses or a carrier word mapped to one
            (``SHOPCARE_CARRIER_STATUS_MAP``).
        :param occurred_at: default now; naive is read as UTC (``SHOPCARE_NAIVE_DATETIMES``).
        :param notify: e-mail the shopper when the status moves to one of
            ``SHOPCARE_TRACKING_NOTIFY_STATUSES`` (turn off to back-fill history).
        :raises ValidationError: naming the bad field (``reference``, ``status``,
            ``occurred_at``, ``shipment``, ``carrier``, ``tracking_number`` …).
        """
        order = self._order(reference)
        new_status = normalize_status(status)
        at = host_datetime(occurred_at, "occurred_at") if occurred_at is not None else utcnow()
        location = _optional_text(location, "location", 255)
        message = _optional_text(message, "message", 1000)
        existing = self._order_shipments(order)
        target = self._resolve(order, existing, shipment, carrier, tracking_number, at)

        previous = target.status
        moves = moves_status(previous, target.status_changed_at, new_status, at)
        data: dict[str, Any] = {
            "shipment_id": target.id,
            "carrier": target.carrier,
            "tracking_number": target.tracking_number,
            "status": new_status,
            "location": location,
            "message": message,
        }
        if isinstance(status, str) and status.strip() != new_status:
            data["carrier_status"] = status.strip()[:100]
        event = record_event(
            "order",
            order.id,
            f"shipment.{new_status}",
            actor=actor,
            from_state=previous if moves else None,
            to_state=new_status if moves else None,
            data=data,
            occurred_at=at,
            public=True,
            dedupe_key=_dedupe_key(
                order.id, target.id, new_status, at.astimezone(UTC).isoformat(), location, message
            ),
        )
        if event is None:
            return TrackingUpdate(target, None, False, target.status)
        if moves:
            target.status = new_status
            target.status_changed_at = at
        if new_status == DELIVERED and moves:
            if target.delivered_at is None:
                target.delivered_at = at
            if order.delivered_at is None:
                order.delivered_at = at
            forget_estimates()
        session().flush()
        if moves:
            statuses = [s.status for s in existing if s is not target] + [target.status]
            _send(
                signals.order_status_changed,
                order=order,
                shipment=target,
                from_status=previous,
                to_status=new_status,
                occurred_at=at,
                order_status=order_status(statuses),
                event=event,
            )
            if notify and new_status in tuple(setting("SHOPCARE_TRACKING_NOTIFY_STATUSES")):
                self._mail_shopper(order, target, event)
        return TrackingUpdate(target, event, moves, target.status)

    # -- reading -------------------------------------------------------------------

    def get(self, shipment_id: int) -> Shipment | None:
        """One shipment by id."""
        return session().get(Shipment, shipment_id)

    def shipments(self, order: Order) -> list[Shipment]:
        """An order's shipments with their lines, oldest first (one query)."""
        return list(
            session()
            .scalars(
                select(Shipment)
                .options(joinedload(Shipment.lines))
                .where(Shipment.order_id == order.id)
                .order_by(Shipment.id)
            )
            .unique()
        )

    def estimate(self, carrier: str, destination_country: str | None = None) -> TransitEstimate:
        """The transit time of ``carrier`` from the shop's own history (or its default)."""
        return transit_estimate(normalize_carrier(carrier), _country(destination_country))

    def order_for_page(self, reference: str) -> Order | None:
        """The order with its lines in one query (the order page's first)."""
        ref = lookup_reference(reference)
        if ref is None:
            return None
        return (
            session()
            .scalars(select(Order).options(joinedload(Order.lines)).where(Order.reference == ref))
            .unique()
            .one_or_none()
        )

    def versioned_order(self, reference: str) -> VersionedOrder | None:
        """The order with its lines and its :class:`OrderVersion`, in one query (the
        order page's first; with a cached fragment, its only one)."""
        ref = lookup_reference(reference)
        if ref is None:
            return None
        row = session().execute(_versioned_order_query(), {"reference": ref}).unique().one_or_none()
        if row is None:
            return None
        order, count = row
        return VersionedOrder(order, OrderVersion(order.id, order.updated_at, int(count)))

    def order_tracking(self, order: Order, *, now: datetime | None = None) -> OrderTracking:
        """What the order page shows: two more queries (shipments with their lines, and
        the public timeline), whatever the number of lines, shipments and events."""
        now = now or utcnow()
        shipments = self.shipments(order)
        timeline = events_for("order", order.id, public_only=True)
        reached: dict[int, int] = {}
        for event in timeline:
            shipment_id, status = event.data.get("shipment_id"), event.data.get("status")
            if shipment_id is not None and status in STATUS_STEP:
                reached[shipment_id] = max(reached.get(shipment_id, 0), STATUS_STEP[status])
        shipped: dict[int, int] = {}
        views = []
        for number, shipment in enumerate(shipments, start=1):
            for line in shipment.lines:
                shipped[line.order_line_id] = shipped.get(line.order_line_id, 0) + line.quantity
            step = max(reached.get(shipment.id, 0), STATUS_STEP.get(shipment.status, 0))
            views.append(
                ShipmentView(
                    shipment=shipment,
                    number=number,
                    lines=[(line.order_line, line.quantity) for line in shipment.lines],
                    step=step,
                    late=is_late(shipment, now),
                )
            )
        unshipped = [
            (line, line.quantity - shipped.get(line.id, 0))
            for line in order.lines
            if line.quantity > shipped.get(line.id, 0)
        ]
        closing = [
            s.estimated_latest
            for s in shipments
            if s.estimated_latest is not None
            and s.estimated_latest >= now
            and s.status not in ARRIVED
            and s.status not in TROUBLE
        ]
        return OrderTracking(
            order=order,
            status=order_status([s.status for s in shipments]),
            shipments=views,
            timeline=timeline,
            unshipped=unshipped if shipments else [],
            changes_at=min(closing, default=None),
        )

    def orders_for_user(
        self, user_id: str | int, page: int = 1, per_page: int = ORDERS_PER_PAGE
    ) -> Page[OrderSummary]:
        """A shopper's orders, newest first, with their status (four queries a page)."""
        db = session()
        page = max(1, page)
        owned = Order.user_id == str(user_id)
        total = db.scalar(select(func.count()).select_from(Order).where(owned)) or 0
        orders = list(
            db.scalars(
                select(Order)
                .where(owned)
                .order_by(Order.placed_at.desc(), Order.id.desc())
                .limit(per_page)
                .offset((page - 1) * per_page)
            )
        )
        by_order: dict[int, list[str]] = {order.id: [] for order in orders}
        if orders:
            rows = db.execute(
                select(Shipment.order_id, Shipment.status).where(
                    Shipment.order_id.in_(list(by_order))
                )
            )
            for order_id, status in rows:
                by_order[order_id].append(status)
        items = [
            OrderSummary(order, order_status(by_order[order.id]), len(by_order[order.id]))
            for order in orders
        ]
        return Page(items, page, per_page, page * per_page < total, total)

    def late_shipments(
        self, page: int = 1, per_page: int = LATE_PER_PAGE, *, now: datetime | None = None
    ) -> Page[LateShipment]:
        """Late shipments, most overdue first, with their order's reference (one query)."""
        now = now or utcnow()
        page = max(1, page)
        rows = session().execute(
            select(Shipment, Order.reference)
            .join(Order, Order.id == Shipment.order_id)
            .where(late_clause(now))
            .order_by(Shipment.estimated_latest.is_(None), Shipment.estimated_latest, Shipment.id)
            .limit(per_page + 1)
            .offset((page - 1) * per_page)
        )
        items = []
        for shipment, reference in rows:
            days, reason = lateness(shipment, now)
            items.append(LateShipment(shipment, reference, days, reason))
        return Page(items[:per_page], page, per_page, len(items) > per_page)

    def flag_late(self, *, now: datetime | None = None, batch: int = 500) -> list[Shipment]:
        """Send ``shipment-late`` for each late shipment not flagged before.

        Each shipment is claimed with a conditional ``UPDATE … WHERE late_notified_at
        IS NULL``: of two workers racing for it only one updates the row, so the
        signal fires once per shipment, ever.
        """
        now = now or utcnow()
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
            claimed = [shipment_id for shipment_id in candidates if self._claim(shipment_id, now)]
            flagged += self._announce_late(claimed, now)
            if len(candidates) < batch:
                return flagged

    def _announce_late(self, claimed: list[int], now: datetime) -> list[Shipment]:
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
                "shipment.late",
                actor=Actor.system("late check"),
                data={"shipment_id": shipment.id, "reason": reason, "days_late": days},
                occurred_at=now,
            )
            _send(
                signals.shipment_late,
                shipment=shipment,
                order=shipment.order,
                reason=reason,
                days_late=days,
            )
        return shipments

    def _claim(self, shipment_id: int, now: datetime) -> bool:
        """Mark one shipment as flagged unless someone did already; ``True`` if we did."""
        result = session().execute(
            update(Shipment)
            .where(Shipment.id == shipment_id, Shipment.late_notified_at.is_(None))
            .values(late_notified_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    # -- guests --------------------------------------------------------------------

    def find_for_guest(self, reference: str, email: str) -> GuestOrder | None:
        """The order if ``reference`` exists and ``email`` is its e-mail, else ``None``.

        An unknown reference and a wrong e-mail cost the same: one query (of three
        columns, so no lines are loaded for a real order), then one constant-time
        comparison of two SHA-256 digests (so not even the stored address's length
        shows in the timing).

        :raises ValidationError: for a malformed reference or e-mail (whether the
            order exists plays no part).
        """
        text = reference.strip().lstrip("#") if isinstance(reference, str) else ""
        ref = normalize_reference(text)
        given = hashlib.sha256(normalize_email(email).encode()).digest()
        # As typed, or in capitals ("so-1001" finds "SO-1001"): one query on the
        # unique index either way; the exact spelling wins if both exist.
        rows = session().execute(
            select(Order.id, Order.reference, Order.email).where(
                Order.reference.in_(sorted({ref, ref.upper()}))
            )
        )
        row = min(rows, key=lambda r: r.reference != ref, default=None)
        stored = hashlib.sha256(row.email.encode()).digest() if row else _NO_SUCH_ORDER_EMAIL
        matches = hmac.compare_digest(stored, given)
        return GuestOrder(row.id, row.reference) if matches and row is not None else None

    def guest_token(self, order: Order | GuestOrder) -> str:
        """A signed token that opens ``order``'s page (it carries the id and the
        reference, never the e-mail); valid ``SHOPCARE_GUEST_LINK_MAX_AGE`` seconds."""
        return str(_serializer().dumps({"o": order.id, "r": order.reference}))

    def read_guest_token(self, token: str) -> tuple[int, str]:
        """``(order_id, reference)`` from a guest token.

        :raises GuestLinkExpired: for a genuine token that is too old.
        :raises NotFound: for anything else (tampered, truncated, another salt).
        """
        try:
            value = _serializer().loads(token, max_age=int(setting("SHOPCARE_GUEST_LINK_MAX_AGE")))
        except SignatureExpired:
            raise GuestLinkExpired("this order link has expired") from None
        except BadSignature:
            raise NotFound("no such order link") from None
        if not isinstance(value, dict) or not isinstance(value.get("o"), int):
            raise NotFound("no such order link")
        return int(value["o"]), str(value.get("r"))

    # -- internals -----------------------------------------------------------------

    def _order(self, reference: Any) -> Order:
        ref = normalize_reference(reference)
        # Lines load only if needed (a new shipment): most events never touch them.
        query = select(Order).options(lazyload(Order.lines)).where(Order.reference == ref)
        order = session().scalars(query).one_or_none()
        if order is None:
            raise ValidationError("reference", f"no order with reference {ref!r}")
        return order

    def _order_shipments(self, order: Order) -> list[Shipment]:
        """The order's shipments, locked: two events for one order never interleave
        their status decisions (PostgreSQL; SQLite serialises writers anyway)."""
        query = (
            select(Shipment)
            .where(Shipment.order_id == order.id)
            .order_by(Shipment.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return list(session().scalars(query))

    def _resolve(
        self,
        order: Order,
        existing: list[Shipment],
        shipment: Shipment | int | None,
        carrier: str | None,
        tracking_number: str | None,
        at: datetime,
    ) -> Shipment:
        if shipment is not None:
            wanted = shipment.id if isinstance(shipment, Shipment) else shipment
            found = next((s for s in existing if s.id == wanted), None)
            if found is None or isinstance(wanted, bool):  # True == 1: not an id
                raise ValidationError("shipment", "no such shipment on this order")
            return found
        number = _optional_text(tracking_number, "tracking_number", 64)
        if carrier is not None:
            key = normalize_carrier(carrier)
            matches = [s for s in existing if s.carrier == key]
            if number is not None:
                matches = [s for s in matches if s.tracking_number == number]
            elif len(matches) > 1:
                raise ValidationError(
                    "tracking_number", f"the order has several {key} shipments; name one"
                )
            if matches:
                return matches[0]
            # A new parcel carries what no other parcel of the order does.
            carried = self._wanted_lines(order, existing, None, None) or []
            return self._create(order, key, number, None, at, carried)
        if number is not None:
            matches = [s for s in existing if s.tracking_number == number]
            if len(matches) == 1:
                return matches[0]
            raise ValidationError("carrier", "give the carrier of this tracking number")
        if len(existing) == 1:
            return existing[0]
        if not existing:
            raise ValidationError(
                "carrier", "the order has no shipment yet: give carrier and tracking_number"
            )
        raise ValidationError(
            "shipment",
            f"the order has {len(existing)} shipments: name one (shipment, or carrier "
            "and tracking_number)",
        )

    def _create(
        self,
        order: Order,
        carrier: str,
        tracking_number: str | None,
        country: str | None,
        shipped_at: datetime,
        lines: list[tuple[OrderLine, int]],
    ) -> Shipment:
        shipment = Shipment(
            order_id=order.id,
            carrier=carrier,
            tracking_number=tracking_number,
            destination_country=country,
            status=PENDING,
            status_changed_at=shipped_at,
            shipped_at=shipped_at,
            lines=[ShipmentLine(order_line=line, quantity=count) for line, count in lines],
        )
        self._estimate(shipment)
        db = session()
        db.add(shipment)
        db.flush()
        record_event(
            "order",
            order.id,
            "shipment.added",
            data={
                "shipment_id": shipment.id,
                "carrier": carrier,
                "tracking_number": tracking_number,
            },
            occurred_at=shipped_at,
            public=True,
        )
        return shipment

    def _estimate(self, shipment: Shipment) -> None:
        estimate = transit_estimate(shipment.carrier, shipment.destination_country)
        shipment.estimated_earliest, shipment.estimated_latest = estimate.window(
            shipment.shipped_at
        )
        shipment.estimate_source = estimate.source

    def _wanted_lines(
        self,
        order: Order,
        existing: list[Shipment],
        shipment: Shipment | None,
        lines: Mapping[str, int] | Iterable[Mapping[str, Any]] | None,
    ) -> list[tuple[OrderLine, int]] | None:
        """The (order line, quantity) pairs a shipment should carry, checked against
        what the other shipments already carry; ``None`` to leave lines alone."""
        elsewhere: dict[int, int] = {}
        others = [s for s in existing if s is not shipment]
        if others:
            for line_id, carried in session().execute(
                select(ShipmentLine.order_line_id, ShipmentLine.quantity).where(
                    ShipmentLine.shipment_id.in_([s.id for s in others])
                )
            ):
                elsewhere[line_id] = elsewhere.get(line_id, 0) + carried
        if lines is None:
            if shipment is not None:
                return None
            return [
                (line, line.quantity - elsewhere.get(line.id, 0))
                for line in order.lines
                if line.quantity > elsewhere.get(line.id, 0)
            ]
        items: list[Mapping[str, Any]]
        if isinstance(lines, Mapping):
            items = [{"sku": sku, "quantity": quantity} for sku, quantity in lines.items()]
        elif isinstance(lines, str | bytes) or not isinstance(lines, Iterable):
            raise ValidationError("lines", "a mapping of SKU to quantity, or a list of lines")
        else:
            items = list(lines)
        by_sku = {line.sku: line for line in order.lines}
        wanted: list[tuple[OrderLine, int]] = []
        seen: set[str] = set()
        for index, item in enumerate(items):
            at = f"lines[{index}]"
            if not isinstance(item, Mapping):
                raise ValidationError(at, "each line is a mapping with sku and quantity")
            sku = item.get("sku")
            line = by_sku.get(sku) if isinstance(sku, str) else None
            if line is None:
                raise ValidationError(f"{at}.sku", f"the order has no line {sku!r}")
            if line.sku in seen:
                raise ValidationError(f"{at}.sku", f"SKU {sku!r} appears twice")
            seen.add(line.sku)
            quantity = item.get("quantity")
            if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
                raise ValidationError(f"{at}.quantity", "must be a whole number of at least 1")
            left = line.quantity - elsewhere.get(line.id, 0)
            if quantity > left:
                raise ValidationError(f"{at}.quantity", f"only {left} left to ship")
            wanted.append((line, quantity))
        return wanted

    def _mail_shopper(self, order: Order, shipment: Shipment, event: Event) -> None:
        """Queue the status e-mail (once per event), in the order's language."""
        from shopcare.core.outbox import enqueue_mail

        enqueue_mail(
            order.email,
            "tracking/status_changed",
            {
                "order_id": order.id,
                "reference": order.reference,
                "status": shipment.status,
                "carrier": shipment.carrier_name,
                "tracking_number": shipment.tracking_number,
                "tracking_url": shipment.tracking_url,
                "location": event.data.get("location"),
                "items": [
                    {"name": line.order_line.name, "quantity": line.quantity}
                    for line in shipment.lines
                ],
            },
            locale=order.locale,
            dedupe_key=f"tracking-mail:{event.id}",
        )


@cache
def _versioned_order_query() -> Select[Order, int]:
    """SELECT the order by reference, its lines and how many events it has: built once
    (the page asks for it on every request)."""
    reference: BindParameter[str] = bindparam("reference", type_=String)
    # Not correlated to the outer row (which repeats per line): both databases run an
    # uncorrelated subquery once. Counted on the index (subject_kind, subject_id, …).
    order_id = select(cast(Order.id, String)).where(Order.reference == reference).correlate(None)
    events = (
        select(func.count())
        .select_from(Event)
        .where(Event.subject_kind == "order", Event.subject_id == order_id.scalar_subquery())
        .correlate(None)
        .scalar_subquery()
    )
    return (
        select(Order, events).options(joinedload(Order.lines)).where(Order.reference == reference)
    )


def current_tracker() -> ShipmentTracker:
    """``care.tracking`` of the current app."""
    tracker: ShipmentTracker = current_app.extensions["shopcare"].care.tracking
    return tracker


def _set_quantity(line: ShipmentLine, quantity: int) -> ShipmentLine:
    line.quantity = quantity
    return line


def _serializer() -> URLSafeTimedSerializer:
    if not current_app.secret_key:
        # An empty key would make guest links forgeable by anyone.
        raise RuntimeError("shopcare's guest order links need the app's SECRET_KEY to be set")
    return URLSafeTimedSerializer(current_app.secret_key, salt=GUEST_LINK_SALT)
