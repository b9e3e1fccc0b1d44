"""The write side of tracking: shipments (``add_shipment``) and the carrier's events
(``add_event``), which move a shipment's status by the rules of
:mod:`shopcare.tracking.statuses`, join the order's timeline, signal the host and
e-mail the shopper.

Each function flushes but does not commit: the caller commits.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from shopcare.core import signals
from shopcare.core.config import setting
from shopcare.core.db import session, utcnow
from shopcare.core.errors import ValidationError
from shopcare.core.events import Actor, Event, events_for, record_event
from shopcare.core.validation import host_datetime, text
from shopcare.orders.models import Order, OrderLine
from shopcare.orders.services import lock_order, reference_key
from shopcare.tracking.carriers import normalize_carrier, normalize_country, normalize_status
from shopcare.tracking.estimates import forget_estimates, transit_estimate
from shopcare.tracking.events import SHIPMENT_ADDED, SHIPMENT_UPDATED, status_event
from shopcare.tracking.models import Shipment, ShipmentLine
from shopcare.tracking.notifications import mail_shopper
from shopcare.tracking.statuses import (
    PENDING,
    STATUS_RANK,
    check_event_time,
    order_status,
    replay,
)


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


def add_shipment(
    reference: str,
    *,
    carrier: str,
    tracking_number: str | None,
    lines: Mapping[str, int] | Iterable[Mapping[str, Any]] | None = None,
    destination_country: str | None = None,
    shipped_at: datetime | None = None,
    actor: Actor | None = None,
) -> Shipment:
    """Record that (part of) an order shipped; idempotent by carrier + tracking number.

    :param lines: what the parcel carries: ``{"SKU": quantity}`` or
        ``[{"sku": ..., "quantity": ...}]``; ``None`` means every unit not yet in
        another shipment (or, when the shipment is known, leaves its lines alone).
    :param shipped_at: default now; naive is read as UTC (``SHOPCARE_NAIVE_DATETIMES``). The delivery window counts from it.
    :param actor: who reports it, for the event log (default: whoever is acting now).
    :raises ValidationError: naming the bad field; nothing is written.
    """
    actor = actor if actor is not None else Actor.current()
    order = _order(reference)
    carrier_key = normalize_carrier(carrier)
    number = _optional_text(tracking_number, "tracking_number", 64)
    country = normalize_country(destination_country)
    when = host_datetime(shipped_at, "shipped_at") if shipped_at is not None else None
    existing = _order_shipments(order)
    shipment = next(
        (s for s in existing if s.carrier == carrier_key and s.tracking_number == number),
        None,
    )
    wanted = _wanted_lines(order, existing, shipment, lines)
    if shipment is None:
        return _create(
            order, carrier_key, number, country, when or utcnow(), wanted or [], actor=actor
        )
    changed: list[str] = []
    if country is not None and country != shipment.destination_country:
        shipment.destination_country = country
        changed.append("destination_country")
    if when is not None and when != shipment.shipped_at:
        shipment.shipped_at = when
        changed.append("shipped_at")
    if changed:
        _estimate(shipment)
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
            SHIPMENT_UPDATED,
            actor=actor,
            data={
                "shipment_id": shipment.id,
                "carrier": shipment.carrier,
                "tracking_number": shipment.tracking_number,
                "changed": changed,
            },
        )
    return shipment


def add_event(
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
    shipment's status follows :mod:`shopcare.tracking.statuses`. An exact duplicate (same
    shipment, status, time, place and message) is ignored.

    :param status: one of the nine statuses or a carrier word mapped to one
        (``SHOPCARE_CARRIER_STATUS_MAP``).
    :param occurred_at: default now; naive is read as UTC (``SHOPCARE_NAIVE_DATETIMES``).
    :param notify: e-mail the shopper when the status moves to one of
        ``SHOPCARE_TRACKING_NOTIFY_STATUSES`` (turn off to back-fill history).
    :param actor: who reports it, for the event log (default: whoever is acting now).
    :raises ValidationError: naming the bad field (``reference``, ``status``,
        ``occurred_at``, ``shipment``, ``carrier``, ``tracking_number`` …).
    """
    actor = actor if actor is not None else Actor.current()
    new_status = normalize_status(status)
    at = host_datetime(occurred_at, "occurred_at") if occurred_at is not None else utcnow()
    check_event_time(at)
    location = _optional_text(location, "location", 255)
    message = _optional_text(message, "message", 1000)
    order = _order(reference)
    check_event_time(at, placed_at=order.placed_at)
    existing = _order_shipments(order)
    target = _resolve(order, existing, shipment, carrier, tracking_number, at, actor)

    previous = target.status
    history = [*_status_events(order, target), (new_status, at)]
    after = replay(history, since=target.shipped_at)
    moves = after.status != previous
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
        status_event(new_status),
        actor=actor,
        from_state=previous if moves else None,
        to_state=after.status if moves else None,
        data=data,
        occurred_at=at,
        public=True,
        dedupe_key=_dedupe_key(
            order.id, target.id, new_status, at.astimezone(UTC).isoformat(), location, message
        ),
    )
    if event is None:
        return TrackingUpdate(target, None, False, target.status)
    target.status, target.status_changed_at = after.status, after.changed_at
    if after.delivered_at is not None and after.delivered_at != target.delivered_at:
        # The first delivery scan, whenever it arrived; the order's delivery is its
        # parcels' first (what survey invitations count from).
        target.delivered_at = after.delivered_at
        if order.delivered_at is None or after.delivered_at < order.delivered_at:
            order.delivered_at = after.delivered_at
        forget_estimates()
    session().flush()
    if moves:
        statuses = [s.status for s in existing if s is not target] + [target.status]
        signals.send(
            signals.order_status_changed,
            order=order,
            shipment=target,
            from_status=previous,
            to_status=after.status,
            occurred_at=at,
            order_status=order_status(statuses),
            event=event,
        )
        if notify and new_status in tuple(setting("SHOPCARE_TRACKING_NOTIFY_STATUSES")):
            mail_shopper(order, target, event)
    return TrackingUpdate(target, event, moves, target.status)


def _optional_text(value: Any, field: str, limit: int) -> str | None:
    return text(value, field, limit, required=False)


def _dedupe_key(*parts: Any) -> str:
    digest = hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()
    return f"tracking:{digest}"


def _order(reference: Any) -> Order:
    if reference_key(reference) is None:
        raise ValidationError("reference", "an order reference is required")
    # Locked: two writes to one order never interleave their decisions. Lines load
    # only if needed (a new shipment): most events never touch them.
    return lock_order(reference, with_lines=False)


def _status_events(order: Order, shipment: Shipment) -> list[tuple[str, datetime]]:
    """``(status, occurred_at)`` of every status event a shipment has had so far."""
    if shipment.id is None:
        return []
    return [
        (event.data["status"], event.occurred_at)
        for event in events_for("order", order.id, public_only=True)
        if event.data.get("shipment_id") == shipment.id
        and event.data.get("status") in STATUS_RANK
        and event.action == status_event(event.data["status"])
    ]


def _order_shipments(order: Order) -> list[Shipment]:
    """The order's shipments, read afresh (the caller holds the order's lock, so no
    one else changes them before it commits)."""
    query = (
        select(Shipment)
        .where(Shipment.order_id == order.id)
        .order_by(Shipment.id)
        .execution_options(populate_existing=True)
    )
    return list(session().scalars(query))


def _resolve(
    order: Order,
    existing: list[Shipment],
    shipment: Shipment | int | None,
    carrier: str | None,
    tracking_number: str | None,
    at: datetime,
    actor: Actor,
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
        carried = _wanted_lines(order, existing, None, None) or []
        return _create(order, key, number, None, at, carried, actor=actor)
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
    order: Order,
    carrier: str,
    tracking_number: str | None,
    country: str | None,
    shipped_at: datetime,
    lines: list[tuple[OrderLine, int]],
    *,
    actor: Actor,
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
    _estimate(shipment)
    db = session()
    db.add(shipment)
    db.flush()
    record_event(
        "order",
        order.id,
        SHIPMENT_ADDED,
        actor=actor,
        data={
            "shipment_id": shipment.id,
            "carrier": carrier,
            "tracking_number": tracking_number,
        },
        occurred_at=shipped_at,
        public=True,
    )
    return shipment


def _estimate(shipment: Shipment) -> None:
    estimate = transit_estimate(shipment.carrier, shipment.destination_country)
    shipment.estimated_earliest, shipment.estimated_latest = estimate.window(shipment.shipped_at)
    shipment.estimate_source = estimate.source


def _wanted_lines(
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


def _set_quantity(line: ShipmentLine, quantity: int) -> ShipmentLine:
    line.quantity = quantity
    return line
