"""The suggestion box's JSON endpoints (``/care/api/v1/feedback``), declared on a
``Routes`` that ``shopcare.feedback.wiring`` hands to ``state.add_api``.

Shoppers' integrations (a logged-in session, or a key with ``feedback:read`` /
``feedback:write``): submit, read, reply. Staff actions (assign, priority, resolve,
close, reopen, internal notes) need an API key with ``feedback:write``.
"""

from __future__ import annotations

from typing import Any

from flask import g, jsonify
from werkzeug.wrappers import Response

from shopcare.core.access import current_user, current_user_id
from shopcare.core.api.auth import api_auth
from shopcare.core.api.errors import ApiError
from shopcare.core.api.openapi import Schemas, operation
from shopcare.core.api.parsing import json_body
from shopcare.core.api.schemas import iso
from shopcare.core.areas import AREAS
from shopcare.core.db import session
from shopcare.core.errors import NotFound
from shopcare.core.events import Actor
from shopcare.core.state import Routes, get_state
from shopcare.feedback.access import may_see_ticket
from shopcare.feedback.models import CHANNELS, KINDS, PRIORITIES, REMEDIES, STATUSES, Ticket
from shopcare.feedback.services import current_desk

#: The suggestion box's endpoints and component schemas (``state.add_api``).
routes = Routes()
schemas = Schemas()

_TEXT = {"type": "string", "minLength": 1, "pattern": r"\S"}
MESSAGE_SCHEMA = {
    "type": "object",
    "required": ["author", "body", "created_at"],
    "properties": {
        "author": {"type": "string", "enum": ["shopper", "staff", "system"]},
        "internal": {"type": "boolean"},
        "channel": {"type": "string", "enum": list(CHANNELS)},
        "body": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
    },
}
TICKET_SCHEMA = schemas.add(
    "Ticket",
    {
        "type": "object",
        "required": ["reference", "kind", "status", "priority", "created_at", "messages"],
        "properties": {
            "reference": {"type": "string", "examples": ["F-2026-000042"]},
            "kind": {"type": "string", "enum": list(KINDS)},
            "area": {"type": "string", "enum": [*AREAS, "other"]},
            "status": {"type": "string", "enum": list(STATUSES)},
            "priority": {"type": "string", "enum": list(PRIORITIES)},
            "channel": {"type": "string", "enum": list(CHANNELS)},
            "version": {"type": "integer"},
            "subject": {"type": "string"},
            "remedy": {"type": ["string", "null"]},
            "order": {"type": ["string", "null"], "description": "the order's reference"},
            "assignee_id": {"type": ["string", "null"]},
            "created_at": {"type": "string", "format": "date-time"},
            "first_response_at": {"type": ["string", "null"], "format": "date-time"},
            "resolved_at": {"type": ["string", "null"], "format": "date-time"},
            "first_response_due_at": {"type": ["string", "null"], "format": "date-time"},
            "resolution_due_at": {"type": ["string", "null"], "format": "date-time"},
            "sla_breached": {"type": "boolean"},
            "satisfaction_score": {"type": ["integer", "null"]},
            "messages": {"type": "array", "items": MESSAGE_SCHEMA},
        },
    },
)
TICKET_INPUT = schemas.add(
    "TicketInput",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["kind", "subject", "message"],
        "properties": {
            "kind": {"type": "string", "enum": list(KINDS)},
            "subject": {**_TEXT, "maxLength": 200},
            "message": {**_TEXT, "maxLength": 5000},
            "area": {"type": ["string", "null"], "enum": [*AREAS, "other", None]},
            "order": {"type": ["string", "null"], "maxLength": 64},
            "email": {"type": ["string", "null"], "maxLength": 254},
            "remedy": {"type": ["string", "null"], "enum": [*REMEDIES, None]},
            "channel": {"type": "string", "enum": list(CHANNELS)},
            "anonymous": {"type": "boolean"},
            "name": {"type": ["string", "null"], "maxLength": 200},
        },
    },
)
REPLY_INPUT = schemas.add(
    "TicketReplyInput",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["body"],
        "properties": {
            "body": {**_TEXT, "maxLength": 5000},
            "internal": {"type": "boolean", "description": "staff keys only: a note"},
        },
    },
)
ACTION_INPUT = schemas.add(
    "TicketActionInput",
    {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "version": {"type": ["integer", "null"], "minimum": 1, "maximum": 2**31 - 1},
            "assignee_id": {"type": ["string", "null"], "maxLength": 64},
            "priority": {"type": "string", "enum": list(PRIORITIES)},
            "body": {"type": ["string", "null"], "maxLength": 5000},
        },
    },
)
STAFF_ACTIONS = ("assign", "priority", "resolve", "close", "reopen")


def ticket_json(ticket: Ticket, *, internal: bool = False) -> dict[str, Any]:
    """A ticket as the API shows it (the ``Ticket`` schema); internal notes only for keys."""
    return {
        "reference": ticket.reference,
        "kind": ticket.kind,
        "area": ticket.area,
        "status": ticket.status,
        "priority": ticket.priority,
        "channel": ticket.channel,
        "version": ticket.version,
        "subject": ticket.subject,
        "remedy": ticket.remedy,
        "order": ticket.order.reference if ticket.order else None,
        "assignee_id": ticket.assignee_id,
        "created_at": iso(ticket.created_at),
        "first_response_at": iso(ticket.first_response_at),
        "resolved_at": iso(ticket.resolved_at),
        "first_response_due_at": iso(ticket.first_response_due_at),
        "resolution_due_at": iso(ticket.resolution_due_at),
        "sla_breached": bool(ticket.first_response_breached_at or ticket.resolution_breached_at),
        "satisfaction_score": ticket.satisfaction_score,
        "messages": [
            {
                "author": m.author,
                "internal": m.internal,
                "channel": m.channel,
                "body": m.body,
                "created_at": iso(m.created_at),
            }
            for m in current_desk().messages(ticket, internal=internal)
        ],
    }


def _keyed() -> bool:
    return g.get("shopcare_api_key") is not None


def _visible(ticket: Ticket | None) -> Ticket:
    if ticket is None or (not _keyed() and not may_see_ticket(ticket)):
        raise NotFound("no such ticket")
    return ticket


@routes.post("/feedback")
@operation(
    "Submit a ticket",
    description="A complaint, suggestion, compliment or question. A session submits as the "
    "logged-in shopper, on their own orders only; a key with `feedback:write` on anyone's "
    "behalf (with `email`, and any `channel`).",
    request_body=TICKET_INPUT,
    responses={201: ("The ticket, acknowledged", TICKET_SCHEMA)},
    tags=("feedback",),
)
@api_auth(scopes=("feedback:write",), session=True)
def submit_ticket() -> tuple[Response, int]:
    data = json_body()
    care = get_state().care
    reference = data.get("order")
    if reference:
        order = care.orders.get(reference)
        if order is None or (not _keyed() and order.user_id != current_user_id()):
            raise ApiError(422, "validation_error", "no such order", {"order": "no such order"})
        reference = order.reference
    user = current_user()
    ticket = current_desk().submit(
        data["kind"],
        data["subject"],
        data["message"],
        area=data.get("area"),
        reference=reference,
        email=data.get("email") or (None if _keyed() else getattr(user, "email", None)),
        remedy=data.get("remedy") if data["kind"] == "complaint" else None,
        channel=data.get("channel", "web") if _keyed() else "web",
        anonymous=bool(data.get("anonymous")) and data["kind"] in ("suggestion", "compliment"),
        name=data.get("name"),
        user_id=None if _keyed() else current_user_id(),
    )
    session().commit()
    return jsonify(ticket_json(ticket, internal=_keyed())), 201


@routes.get("/feedback/<reference>")
@operation("Read a ticket", responses={200: ("The ticket", TICKET_SCHEMA)}, tags=("feedback",))
@api_auth(scopes=("feedback:read",), session=True)
def read_ticket(reference: str) -> Response:
    return jsonify(ticket_json(_visible(current_desk().get(reference)), internal=_keyed()))


@routes.post("/feedback/<reference>/reply")
@operation(
    "Reply on a ticket",
    description="A session replies as the shopper (reopening a resolved ticket within the "
    "reopen window); a key with `feedback:write` as staff (mailed to the shopper), or "
    "writes an internal note with `internal: true`.",
    request_body=REPLY_INPUT,
    responses={200: ("The ticket with the reply", TICKET_SCHEMA)},
    tags=("feedback",),
)
@api_auth(scopes=("feedback:write",), session=True)
def reply_ticket(reference: str) -> Response:
    data = json_body()
    ticket = _visible(current_desk().get(reference))
    actor = (
        None
        if _keyed()
        else Actor.shopper(current_user_id(), getattr(current_user(), "email", None))
    )
    current_desk().reply(
        ticket.reference or reference, data["body"],
        internal=bool(data.get("internal")) and _keyed(), actor=actor,
    )  # fmt: skip
    session().commit()
    return jsonify(ticket_json(ticket, internal=_keyed()))


def _staff_action(action: str) -> Any:
    def view(reference: str) -> Response:
        data = json_body()
        desk = current_desk()
        ticket = _visible(desk.get(reference))
        ref = ticket.reference or reference
        version = data.get("version")
        if action == "assign":
            desk.assign(ref, data.get("assignee_id"))
        elif action == "priority":
            if "priority" not in data:
                raise ApiError(
                    422, "validation_error", "priority is required", {"priority": "required"}
                )
            desk.prioritise(ref, data["priority"])
        elif action == "resolve":
            desk.resolve(ref, data.get("body") or None, version=version)
        elif action == "close":
            desk.close(ref)
        else:
            desk.reopen(ref)
        session().commit()
        return jsonify(ticket_json(ticket, internal=True))

    view.__name__ = f"{action}_ticket"
    return view


for _action in STAFF_ACTIONS:
    routes.post(f"/feedback/<reference>/{_action}", endpoint=f"{_action}_ticket")(
        operation(
            f"Staff: {_action} a ticket",
            description="Needs an API key with `feedback:write`. `version` (optional, resolve) "
            "makes the action fail with 409 if the ticket changed since it was read.",
            request_body=ACTION_INPUT,
            responses={200: ("The ticket after the action", TICKET_SCHEMA)},
            tags=("feedback",),
        )(api_auth(scopes=("feedback:write",))(_staff_action(_action)))
    )
