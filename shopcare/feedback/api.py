"""The suggestion box's JSON: the ``Ticket`` shapes and the endpoints under
``/care/api/v1/feedback``, declared on a ``Routes`` that ``shopcare.feedback.wiring``
hands to ``state.add_api``.

Shoppers' integrations (a logged-in session, or a key with ``feedback:read`` /
``feedback:write``): submit, read, reply. Staff actions (assign, priority, resolve,
close, reopen, internal notes) need an API key with ``feedback:write``.

Each body is declared once, as a pydantic model below (:mod:`shopcare.core.api.shapes`):
``TicketInput``, ``TicketReplyInput`` and ``TicketActionInput`` check requests, ``Ticket``
writes answers (internal notes only for a key), and the OpenAPI document takes its
components from them.
"""

from __future__ import annotations

from typing import Annotated, Any

from flask import g, jsonify
from pydantic import AliasPath, Field, ValidationInfo, field_validator
from werkzeug.wrappers import Response

from shopcare.core.access import current_user, current_user_id
from shopcare.core.api.auth import api_auth
from shopcare.core.api.errors import ApiError
from shopcare.core.api.openapi import operation
from shopcare.core.api.parsing import json_body
from shopcare.core.api.schemas import DateTime, Omitted, ReadVersion, one_of
from shopcare.core.api.shapes import InputShape, Shape, dump
from shopcare.core.areas import AREAS
from shopcare.core.db import session
from shopcare.core.errors import NotFound
from shopcare.core.events import Actor
from shopcare.core.state import Routes, get_state
from shopcare.feedback.access import may_see_ticket
from shopcare.feedback.models import CHANNELS, KINDS, PRIORITIES, REMEDIES, STATUSES
from shopcare.feedback.models import Ticket as TicketRow
from shopcare.feedback.services import current_desk

#: The suggestion box's endpoints (``state.add_api`` in the wiring); their shapes are below.
routes = Routes()

Channel = Annotated[str, one_of(CHANNELS)]
Area = Annotated[str, one_of([*AREAS, "other"])]
#: Text that is not only blanks.
Text = Annotated[str, Field(min_length=1, pattern=r"\S")]


class TicketMessage(Shape):
    author: Annotated[str, one_of(["shopper", "staff", "system"])]
    internal: bool
    channel: Channel
    body: str
    created_at: DateTime


class Ticket(Shape):
    """A ticket as the API shows it; internal notes only for an API key."""

    reference: str = Field(examples=["F-2026-000042"])
    kind: Annotated[str, one_of(KINDS)]
    area: Area
    status: Annotated[str, one_of(STATUSES)]
    priority: Annotated[str, one_of(PRIORITIES)]
    channel: Channel
    version: int
    subject: str
    remedy: str | None
    order: str | None = Field(
        None, validation_alias=AliasPath("order", "reference"), description="the order's reference"
    )
    assignee_id: str | None
    created_at: DateTime
    first_response_at: DateTime | None
    resolved_at: DateTime | None
    first_response_due_at: DateTime | None
    resolution_due_at: DateTime | None
    sla_breached: bool
    satisfaction_score: int | None
    messages: list[TicketMessage]

    @field_validator("messages", mode="before")
    @classmethod
    def _shown(cls, messages: Any, info: ValidationInfo) -> Any:
        # ``dump(Ticket, ticket, context={"internal": True})`` keeps the internal notes.
        internal = bool(info.context and info.context.get("internal"))
        return [m for m in messages if internal or not m.internal]


class TicketInput(InputShape):
    """A ticket to submit: the same rules as ``care.feedback.submit``."""

    kind: Annotated[str, one_of(KINDS)]
    subject: Text = Field(max_length=200)
    message: Text = Field(max_length=5000)
    area: Area | None = None
    order: Annotated[str, Field(max_length=64)] | None = None
    email: Annotated[str, Field(max_length=254)] | None = None
    remedy: Annotated[str, one_of(REMEDIES)] | None = None
    channel: Channel = "web"
    anonymous: bool = False
    name: Annotated[str, Field(max_length=200)] | None = None


class TicketReplyInput(InputShape):
    body: Text = Field(max_length=5000)
    internal: bool = Field(False, description="staff keys only: a note")


class TicketActionInput(InputShape):
    version: ReadVersion = None
    assignee_id: Annotated[str, Field(max_length=64)] | None = None
    priority: Annotated[str, one_of(PRIORITIES)] | Omitted = None
    body: Annotated[str, Field(max_length=5000)] | None = None


STAFF_ACTIONS = ("assign", "priority", "resolve", "close", "reopen")


def ticket_json(ticket: TicketRow, *, internal: bool = False) -> dict[str, Any]:
    """A ticket as the API shows it (the :class:`Ticket` shape); internal notes only
    when ``internal`` (for keys)."""
    return dump(Ticket, ticket, context={"internal": internal})


def _keyed() -> bool:
    return g.get("shopcare_api_key") is not None


def _visible(ticket: TicketRow | None) -> TicketRow:
    if ticket is None or (not _keyed() and not may_see_ticket(ticket)):
        raise NotFound("no such ticket")
    return ticket


@routes.post("/feedback")
@operation(
    "Submit a ticket",
    description="A complaint, suggestion, compliment or question. A session submits as the "
    "logged-in shopper, on their own orders only; a key with `feedback:write` on anyone's "
    "behalf (with `email`, and any `channel`).",
    request_body=TicketInput,
    responses={201: ("The ticket, acknowledged", Ticket)},
    tags=("feedback",),
)
@api_auth(scopes=("feedback:write",), session=True)
def submit_ticket() -> tuple[Response, int]:
    data = json_body(TicketInput)
    care = get_state().care
    reference = data.order
    if reference:
        order = care.orders.get(reference)
        if order is None or (not _keyed() and order.user_id != current_user_id()):
            raise ApiError(422, "validation_error", "no such order", {"order": "no such order"})
        reference = order.reference
    user = current_user()
    ticket = current_desk().submit(
        data.kind,
        data.subject,
        data.message,
        area=data.area,
        reference=reference,
        email=data.email or (None if _keyed() else getattr(user, "email", None)),
        remedy=data.remedy if data.kind == "complaint" else None,
        channel=data.channel if _keyed() else "web",
        anonymous=data.anonymous and data.kind in ("suggestion", "compliment"),
        name=data.name,
        user_id=None if _keyed() else current_user_id(),
    )
    session().commit()
    return jsonify(ticket_json(ticket, internal=_keyed())), 201


@routes.get("/feedback/<reference>")
@operation("Read a ticket", responses={200: ("The ticket", Ticket)}, tags=("feedback",))
@api_auth(scopes=("feedback:read",), session=True)
def read_ticket(reference: str) -> Response:
    return jsonify(ticket_json(_visible(current_desk().get(reference)), internal=_keyed()))


@routes.post("/feedback/<reference>/reply")
@operation(
    "Reply on a ticket",
    description="A session replies as the shopper (reopening a resolved ticket within the "
    "reopen window); a key with `feedback:write` as staff (mailed to the shopper), or "
    "writes an internal note with `internal: true`.",
    request_body=TicketReplyInput,
    responses={200: ("The ticket with the reply", Ticket)},
    tags=("feedback",),
)
@api_auth(scopes=("feedback:write",), session=True)
def reply_ticket(reference: str) -> Response:
    data = json_body(TicketReplyInput)
    ticket = _visible(current_desk().get(reference))
    actor = (
        None
        if _keyed()
        else Actor.shopper(current_user_id(), getattr(current_user(), "email", None))
    )
    current_desk().reply(
        ticket.reference or reference, data.body,
        internal=data.internal and _keyed(), actor=actor,
    )  # fmt: skip
    session().commit()
    return jsonify(ticket_json(ticket, internal=_keyed()))


def _staff_action(action: str) -> Any:
    def view(reference: str) -> Response:
        data = json_body(TicketActionInput)
        desk = current_desk()
        ticket = _visible(desk.get(reference))
        ref = ticket.reference or reference
        version = data.version
        if action == "assign":
            desk.assign(ref, data.assignee_id)
        elif action == "priority":
            if data.priority is None:
                raise ApiError(
                    422, "validation_error", "priority is required", {"priority": "required"}
                )
            desk.prioritise(ref, data.priority)
        elif action == "resolve":
            desk.resolve(ref, data.body or None, version=version)
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
            request_body=TicketActionInput,
            responses={200: ("The ticket after the action", Ticket)},
            tags=("feedback",),
        )(api_auth(scopes=("feedback:write",))(_staff_action(_action)))
    )
