"""Tracking's JSON endpoints on the ``api`` blueprint.

- ``POST /care/api/v1/tracking/events``: the signed carrier webhook (one event, or a
  list applied all-or-nothing).
- ``GET /care/api/v1/orders/<reference>``: an order with its shipments, timeline and
  delivery estimates, for its owner's or a staff member's session, or an API key with
  ``orders:read`` (:func:`shopcare.core.access.may_see_order`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from decimal import Decimal
from typing import Annotated, Any, Literal

from flask import jsonify, request
from pydantic import Field
from werkzeug.wrappers import Response

from shopcare.core.access import may_see_order, signed
from shopcare.core.api.auth import api_auth
from shopcare.core.api.errors import ApiError
from shopcare.core.api.openapi import operation, ref
from shopcare.core.api.parsing import check, parse_datetime
from shopcare.core.api.schemas import DateTime, DateTimeInput, one_of
from shopcare.core.api.shapes import InputShape, Shape
from shopcare.core.config import setting
from shopcare.core.db import retrying, session
from shopcare.core.errors import NotFound, ValidationError
from shopcare.core.events import Actor, Event
from shopcare.core.state import Routes
from shopcare.core.validation import MAX_ID
from shopcare.orders.api import Order as OrderShape
from shopcare.orders.models import Order
from shopcare.orders.services import lock_orders
from shopcare.tracking.actions import TrackingUpdate
from shopcare.tracking.carriers import normalize_carrier, normalize_status
from shopcare.tracking.queries import OrderTracking as OrderTracking_
from shopcare.tracking.services import current_tracker
from shopcare.tracking.statuses import STATUSES, check_event_time

SIGNATURE_HEADER = "Shopcare-Signature"
#: What t= may be: ASCII digits, at most 12 (unix seconds until the year 33658).
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")
#: Events in one webhook call.
MAX_EVENTS = 100

#: Tracking's endpoints and security scheme (``state.add_api`` in the wiring); their
#: shapes are below.
routes = Routes()
SECURITY_SCHEMES: dict[str, Any] = {
    "carrierSignature": {
        "type": "apiKey",
        "in": "header",
        "name": SIGNATURE_HEADER,
        "description": '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with '
        "SHOPCARE_WEBHOOK_SECRET>`; several `v1=` entries are accepted (secret rotation). "
        "A timestamp more than SHOPCARE_WEBHOOK_TOLERANCE seconds (default 300) away is refused.",
    }
}

#: A status as the API writes it: one of the nine.
Status = Annotated[str, one_of(STATUSES)]


class TrackingEventInput(InputShape):
    reference: str = Field(min_length=1, max_length=64, pattern=r"\S")
    status: str = Field(
        min_length=1,
        max_length=100,
        description="One of the nine statuses, or a carrier word mapped to one "
        f"(SHOPCARE_CARRIER_STATUS_MAP): {', '.join(STATUSES)}.",
    )
    occurred_at: DateTimeInput
    shipment_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None
    carrier: Annotated[str, Field(max_length=32)] | None = None
    tracking_number: Annotated[str, Field(max_length=64)] | None = None
    location: Annotated[str, Field(max_length=255)] | None = None
    message: Annotated[str, Field(max_length=1000)] | None = None


EVENTS_INPUT: dict[str, Any] = {
    "oneOf": [
        ref(TrackingEventInput),
        {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_EVENTS,
            "items": ref(TrackingEventInput),
        },
    ]
}


class TrackingEventResult(Shape):
    shipment_id: int
    event_id: int | None
    duplicate: bool = Field(description="an exact repeat, ignored")
    status_changed: bool
    status: Status = Field(description="the shipment's status after this event")


class TrackingEventResults(Shape):
    results: list[TrackingEventResult]


class ShipmentEstimate(Shape):
    earliest: DateTime
    latest: DateTime
    source: Literal["history", "carrier"] | None


class ShipmentLine(Shape):
    sku: str
    quantity: int = Field(ge=1)


class Shipment(Shape):
    id: int
    carrier: str
    carrier_name: str
    tracking_number: str | None
    tracking_url: str | None
    destination_country: str | None
    status: Status
    status_changed_at: DateTime
    shipped_at: DateTime
    delivered_at: DateTime | None
    late: bool
    estimate: ShipmentEstimate | None
    lines: list[ShipmentLine]


class TimelineEvent(Shape):
    id: int
    action: str = Field(examples=["shipment.in_transit"])
    occurred_at: DateTime
    shipment_id: int | None
    status: str | None
    location: str | None = None
    message: str | None = None


class OrderTracking(OrderShape):
    """An order with its status, shipments and public timeline."""

    status: Status = Field(description="the whole order's status, from its shipments")
    shipments: list[Shipment]
    timeline: list[TimelineEvent]


# -- the signed webhook -----------------------------------------------------------


def _secrets() -> list[bytes]:
    value = setting("SHOPCARE_WEBHOOK_SECRET")
    values = [value] if isinstance(value, str | bytes) else list(value or ())
    return [v.encode() if isinstance(v, str) else bytes(v) for v in values if v]


def _unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": SIGNATURE_HEADER})


def verify_signature(header: str | None, body: bytes, *, now: float | None = None) -> None:
    """Check a ``Shopcare-Signature`` header against the raw body.

    :raises ApiError: 401 when it is missing, malformed, wrong (for every configured
        secret and every ``v1``) or its timestamp is too far from now (a replay).
    """
    secrets = _secrets()
    if not secrets:
        raise _unauthorized("invalid_signature", "The webhook has no secret configured.")
    if not header:
        raise _unauthorized("missing_signature", f"Send the {SIGNATURE_HEADER} header.")
    timestamp: str | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            timestamp = value.strip()
        elif name == "v1" and value.strip():
            signatures.append(value.strip().lower())
    if not timestamp or not signatures:
        raise _unauthorized(
            "invalid_signature", f"{SIGNATURE_HEADER} must read t=<unix seconds>,v1=<hex>."
        )
    signed = timestamp.encode() + b"." + body
    expected = [hmac.new(secret, signed, hashlib.sha256).hexdigest() for secret in secrets]
    if not any(
        hmac.compare_digest(good.encode(), given.encode())
        for good in expected
        for given in signatures
    ):
        raise _unauthorized("invalid_signature", "The signature does not match the body.")
    # Signed by someone holding the secret, so a sender's bug rather than an attack: a
    # 400 that says what is wrong ("²", 400 digits or 5,000 are not unix seconds).
    if not _UNIX_SECONDS.fullmatch(timestamp):
        raise ApiError(400, "bad_request", "The signature's t= must be unix seconds (digits).")
    tolerance = int(setting("SHOPCARE_WEBHOOK_TOLERANCE"))
    if abs((time.time() if now is None else now) - int(timestamp)) > tolerance:
        raise _unauthorized(
            "signature_expired",
            f"The signature's timestamp is more than {tolerance} seconds away from now.",
        )


def _prefixed(error: ValidationError, index: int | None) -> ValidationError:
    if index is None:
        return error
    return ValidationError(
        {f"{index}.{name}" if name else str(index): text for name, text in error.fields.items()}
    )


def _checked(item: Any, index: int | None) -> dict[str, Any]:
    """One event, checked without writing anything (schema, status, time, carrier)."""
    try:
        check(item, TrackingEventInput)
        normalize_status(item["status"])
        at = parse_datetime(item["occurred_at"], "occurred_at")
        assert at is not None
        event = dict(item, occurred_at=check_event_time(at))
        if item.get("carrier") is not None:
            normalize_carrier(item["carrier"])
    except ValidationError as error:
        raise _prefixed(error, index) from None
    return event


def _apply(event: dict[str, Any], index: int | None) -> TrackingUpdate:
    try:
        return current_tracker().add_event(
            event["reference"],
            event["status"],
            occurred_at=event["occurred_at"],
            shipment=event.get("shipment_id"),
            carrier=event.get("carrier"),
            tracking_number=event.get("tracking_number"),
            location=event.get("location"),
            message=event.get("message"),
            actor=Actor.system("carrier webhook"),
        )
    except ValidationError as error:
        raise _prefixed(error, index) from None


def _result(update: TrackingUpdate) -> TrackingEventResult:
    return TrackingEventResult(
        shipment_id=update.shipment.id,
        event_id=update.event.id if update.event is not None else None,
        duplicate=update.duplicate,
        status_changed=update.status_changed,
        status=update.status,
    )


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


@routes.post("/tracking/events")
@operation(
    "Receive carrier tracking events (signed webhook)",
    description="A carrier or tracking aggregator posts one event (a JSON object) or a "
    f"list of up to {MAX_EVENTS}. The body is signed: `{SIGNATURE_HEADER}: t=<unix "
    'seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. A list is all-or-nothing: '
    "one bad event refuses the whole list (422, fields named `<index>.<field>`) and "
    "nothing is recorded. Exact repeats are ignored (`duplicate: true`), so a call can "
    "safely be retried. A single event answers with its result; a list with `results`.",
    request_body=EVENTS_INPUT,
    responses={
        200: (
            "The events were recorded (or were repeats)",
            {"oneOf": [ref(TrackingEventResult), ref(TrackingEventResults)]},
        )
    },
    tags=("tracking",),
    security=[{"carrierSignature": []}],
)
@signed
def tracking_receive_events() -> Response:
    raw = request.get_data(cache=True)
    verify_signature(request.headers.get(SIGNATURE_HEADER), raw)
    if not request.is_json:
        raise ApiError(
            415, "unsupported_media_type", "Send a JSON body (Content-Type: application/json)."
        )
    try:
        body = json.loads(raw, parse_float=Decimal, parse_constant=_no_constants)
    except (ValueError, RecursionError):
        raise ApiError(400, "malformed_json", "The body is not valid JSON.") from None
    if isinstance(body, dict):
        single = _checked(body, None)

        def apply_one() -> dict[str, Any]:
            result = _result(_apply(single, None)).model_dump(mode="json")
            session().commit()
            return result

        return jsonify(retrying(apply_one))
    if not isinstance(body, list):
        raise ApiError(400, "bad_request", "The body must be a JSON object or a list of them.")
    if not 1 <= len(body) <= MAX_EVENTS:
        raise ValidationError("", f"send between 1 and {MAX_EVENTS} events")
    # Check every event before applying any, so that a bad one refuses the list
    # before a single signal was sent; what only applying can find rolls it all back.
    errors: dict[str, str] = {}
    events = []
    for index, item in enumerate(body):
        try:
            events.append(_checked(item, index))
        except ValidationError as error:
            errors.update(error.fields)
    if errors:
        raise ValidationError(errors)

    def apply_all() -> dict[str, Any]:
        # Every order the list names is locked first, in one order whatever the list's
        # own, so that two lists naming the same orders never deadlock.
        lock_orders([event["reference"] for event in events], with_lines=False)
        try:
            updates = [_apply(event, index) for index, event in enumerate(events)]
        except ValidationError:
            session().rollback()
            raise
        results = TrackingEventResults(results=[_result(update) for update in updates])
        answer = results.model_dump(mode="json")
        session().commit()
        return answer

    return jsonify(retrying(apply_all))


# -- an order, with its tracking ----------------------------------------------------


def _timeline_event(event: Event) -> TimelineEvent:
    data = event.data or {}
    return TimelineEvent(
        id=event.id,
        action=event.action,
        occurred_at=event.occurred_at,
        shipment_id=data.get("shipment_id"),
        status=data.get("status"),
        location=data.get("location"),
        message=data.get("message"),
    )


def _shipment(view: Any) -> Shipment:
    shipment = view.shipment
    estimate = None
    if shipment.estimated_earliest is not None and shipment.estimated_latest is not None:
        estimate = ShipmentEstimate(
            earliest=shipment.estimated_earliest,
            latest=shipment.estimated_latest,
            source=shipment.estimate_source,
        )
    return Shipment(
        id=shipment.id,
        carrier=shipment.carrier,
        carrier_name=shipment.carrier_name,
        tracking_number=shipment.tracking_number,
        tracking_url=shipment.tracking_url,
        destination_country=shipment.destination_country,
        status=shipment.status,
        status_changed_at=shipment.status_changed_at,
        shipped_at=shipment.shipped_at,
        delivered_at=shipment.delivered_at,
        late=view.late,
        estimate=estimate,
        lines=[ShipmentLine(sku=line.sku, quantity=qty) for line, qty in view.lines],
    )


def order_tracking(tracking: OrderTracking_) -> OrderTracking:
    """An order with its status, shipments and public timeline (the ``OrderTracking``
    shape)."""
    order = OrderShape.model_validate(tracking.order)
    return OrderTracking(
        **dict(order),
        status=tracking.status,
        shipments=[_shipment(view) for view in tracking.shipments],
        timeline=[_timeline_event(event) for event in tracking.timeline],
    )


def order_tracking_json(tracking: OrderTracking_) -> dict[str, Any]:
    """An order with its status, shipments and public timeline, as JSON."""
    return order_tracking(tracking).model_dump(mode="json")


@routes.get("/orders/<reference>")
@operation(
    "An order with its shipments, timeline and delivery estimates",
    description="For an API key with `orders:read`, the logged-in shopper who owns "
    "the order, or a logged-in staff member (anyone else's order answers 404, as an "
    "unknown one does).",
    responses={200: ("The order", OrderTracking)},
    tags=("orders", "tracking"),
)
@api_auth(scopes=("orders:read",), session=True)
def tracking_order(reference: str) -> Response:
    tracker = current_tracker()
    order: Order | None = tracker.order_for_page(reference)
    if order is None or not may_see_order(order, scope="orders:read"):
        raise NotFound("No such order.")
    return jsonify(order_tracking_json(tracker.order_tracking(order)))
