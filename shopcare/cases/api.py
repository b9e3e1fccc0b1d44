"""The cases' JSON endpoints (``/care/api/v1/cases``), declared on a ``Routes`` that
``shopcare.cases.wiring`` hands to ``state.add_api``.

Shoppers' integrations (a session, or a key with ``cases:read`` / ``cases:write``):
open, read, list, cancel. Staff actions (approve, reject, receive, resolve, close)
need an API key with ``cases:write``.
"""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request
from werkzeug.wrappers import Response

from shopcare.cases.access import may_see_case, may_see_order
from shopcare.cases.models import KINDS, OUTCOMES, STATUSES, Case
from shopcare.cases.services import current_desk
from shopcare.core.access import current_user_id
from shopcare.core.api.auth import api_auth
from shopcare.core.api.errors import ApiError
from shopcare.core.api.openapi import Schemas, operation
from shopcare.core.api.parsing import json_body
from shopcare.core.api.schemas import iso
from shopcare.core.db import session
from shopcare.core.errors import NotFound
from shopcare.core.state import Routes, get_state
from shopcare.orders.models import minor_to_decimal

#: The cases' endpoints and component schemas (``state.add_api`` in the wiring).
routes = Routes()
schemas = Schemas()

_MONEY = {"type": ["string", "null"], "description": "decimal amount in the order's currency"}
CASE_SCHEMA = schemas.add(
    "Case",
    {
        "type": "object",
        "required": ["number", "kind", "status", "order", "lines", "opened_at"],
        "properties": {
            "number": {"type": "string", "examples": ["R-2026-000042"]},
            "kind": {"type": "string", "enum": list(KINDS)},
            "status": {"type": "string", "enum": list(STATUSES)},
            "version": {"type": "integer"},
            "order": {"type": "string", "description": "the order's reference"},
            "reason": {"type": ["string", "null"]},
            "remedy": {"type": ["string", "null"]},
            "exchange_for": {
                "type": ["string", "null"],
                "description": "for an exchange: the size, colour or item wanted instead",
            },
            "outcome": {"type": ["string", "null"]},
            "description": {"type": "string"},
            "reject_reason": {"type": ["string", "null"]},
            "flags": {"type": "array", "items": {"type": "string"}},
            "currency": {"type": "string"},
            "value": _MONEY,
            "due": _MONEY,
            "paid": _MONEY,
            "photos": {"type": "integer"},
            "opened_at": {"type": "string", "format": "date-time"},
            "resolved_at": {"type": ["string", "null"], "format": "date-time"},
            "lines": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["sku", "quantity"],
                    "properties": {
                        "sku": {"type": "string"},
                        "name": {"type": "string"},
                        "quantity": {"type": "integer"},
                        "received": {"type": ["integer", "null"]},
                        "damaged": {"type": ["integer", "null"]},
                        "missing": {"type": ["integer", "null"]},
                    },
                },
            },
        },
    },
)
CASE_LIST = schemas.add(
    "CaseList",
    {
        "type": "object",
        "required": ["items", "page", "has_next"],
        "properties": {
            "items": {"type": "array", "items": CASE_SCHEMA},
            "page": {"type": "integer"},
            "has_next": {"type": "boolean"},
        },
    },
)
_SKU_QUANTITIES = {
    "type": "object",
    "minProperties": 1,
    "maxProperties": 200,
    "propertyNames": {"minLength": 1, "maxLength": 64},
    "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 1000000},
}
CASE_INPUT = schemas.add(
    "CaseInput",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["order", "kind", "lines"],
        "properties": {
            "order": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"\S"},
            "kind": {"type": "string", "enum": list(KINDS)},
            "lines": {**_SKU_QUANTITIES, "description": "{sku: quantity}"},
            "reason": {"type": ["string", "null"], "maxLength": 40},
            "remedy": {"type": ["string", "null"], "maxLength": 20},
            "exchange_for": {
                "type": ["string", "null"],
                "maxLength": 200,
                "description": "required with remedy `exchange`: the size, colour or item wanted",
            },
            "description": {"type": "string", "maxLength": 4000},
            "name": {"type": ["string", "null"], "maxLength": 200},
            "email": {"type": ["string", "null"], "maxLength": 254},
        },
    },
)
ACTION_INPUT = schemas.add(
    "CaseActionInput",
    {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "version": {"type": ["integer", "null"], "minimum": 1, "maximum": 2**31 - 1},
            "reason": {"type": "string", "maxLength": 4000},
            "outcome": {"type": "string", "enum": list(OUTCOMES)},
            "amount": {
                "type": ["string", "null"],
                "maxLength": 20,
                "pattern": r"^\d{1,12}(\.\d{1,4})?$",
            },
            "reference": {"type": ["string", "null"], "maxLength": 100},
            "lines": {
                "type": "object",
                "maxProperties": 200,
                "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 1000000},
            },
        },
    },
)
STAFF_ACTIONS = ("approve", "reject", "receive", "resolve", "close")


def _money(minor: int | None, currency: str) -> str | None:
    return None if minor is None else str(minor_to_decimal(minor, currency))


def case_json(case: Case) -> dict[str, Any]:
    """A case as the API shows it (the ``Case`` schema)."""
    return {
        "number": case.number,
        "kind": case.kind,
        "status": case.status,
        "version": case.version,
        "order": case.order.reference,
        "reason": case.reason,
        "remedy": case.remedy,
        "exchange_for": case.exchange_for,
        "outcome": case.outcome,
        "description": case.description,
        "reject_reason": case.reject_reason,
        "flags": case.flag_list,
        "currency": case.currency,
        "value": _money(case.value_minor, case.currency),
        "due": _money(case.due_minor, case.currency),
        "paid": _money(case.paid_minor, case.currency),
        "photos": len(case.photos),
        "opened_at": iso(case.opened_at),
        "resolved_at": iso(case.resolved_at),
        "lines": [
            {
                "sku": line.order_line.sku,
                "name": line.order_line.name,
                "quantity": line.quantity,
                "received": line.received,
                "damaged": line.damaged,
                "missing": line.missing,
            }
            for line in case.lines
        ],
    }


def _visible(case: Case | None) -> Case:
    """The case if the caller may see it: a key with the scope sees every case, a
    session only its own orders' cases (a 404 either way otherwise)."""
    if case is None or (g.get("shopcare_api_key") is None and not may_see_case(case)):
        raise NotFound("no such case")
    return case


@routes.get("/cases")
@operation(
    "List cases",
    description="With a key (`cases:read`): every case, newest first, filtered by "
    "`kind`, `status`, `q` (number, e-mail, SKU or order). With a shopper's session: "
    "their own cases.",
    parameters=[
        {"name": "kind", "in": "query", "schema": {"type": "string", "enum": list(KINDS)}},
        {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(STATUSES)}},
        {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 254}},
        {
            "name": "page",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 10000},
        },
    ],
    responses={200: ("A page of cases", CASE_LIST), 400: "A bad query parameter"},
    tags=("cases",),
)
@api_auth(scopes=("cases:read",), session=True)
def list_cases() -> Response:
    def bad(name: str, message: str) -> ApiError:
        return ApiError(400, "bad_request", f"{name}: {message}", {name: message})

    for name in ("kind", "status", "q", "page"):
        if len(request.args.getlist(name)) > 1:
            raise bad(name, "give it once")
    raw_page = request.args.get("page", "1")
    if not raw_page.isdigit() or not 1 <= int(raw_page) <= 10_000:
        raise bad("page", "a whole number from 1 to 10000")
    page = int(raw_page)
    for name, allowed in (("kind", KINDS), ("status", STATUSES)):
        value = request.args.get(name)
        if value is not None and value not in allowed:
            raise bad(name, f"one of {', '.join(allowed)}")
    if len(request.args.get("q", "")) > 254:
        raise bad("q", "at most 254 characters")
    desk = current_desk()
    if g.get("shopcare_api_key") is not None:
        listing = desk.queue(
            kind=request.args.get("kind") or None,
            status=request.args.get("status") or None,
            search=request.args.get("q"),
            page=page,
        )
    else:
        user_id = current_user_id()
        assert user_id is not None
        listing = desk.for_shopper(user_id, page)
    return jsonify(
        {"items": [case_json(c) for c in listing.items], "page": page, "has_next": listing.has_next}
    )


@routes.post("/cases")
@operation(
    "Open a case",
    description="A withdrawal, a return or a guarantee claim for `lines` ({sku: quantity}) "
    "of an order. A session may open cases on its own orders only.",
    request_body=CASE_INPUT,
    responses={201: ("The case was opened", CASE_SCHEMA)},
    tags=("cases",),
)
@api_auth(scopes=("cases:write",), session=True)
def open_case() -> tuple[Response, int]:
    data = json_body()
    care = get_state().care
    order = care.orders.get(data["order"])
    if order is None or (g.get("shopcare_api_key") is None and not may_see_order(order)):
        raise ApiError(422, "validation_error", "no such order", {"order": "no such order"})
    case = current_desk().open(
        order.reference,
        data["kind"],
        data["lines"],
        reason=data.get("reason"),
        remedy=data.get("remedy"),
        exchange_for=data.get("exchange_for"),
        description=data.get("description") or "",
        name=data.get("name"),
        email=data.get("email"),
    )
    session().commit()
    return jsonify(case_json(case)), 201


@routes.get("/cases/<number>")
@operation("Read a case", responses={200: ("The case", CASE_SCHEMA)}, tags=("cases",))
@api_auth(scopes=("cases:read",), session=True)
def read_case(number: str) -> Response:
    return jsonify(case_json(_visible(current_desk().get(number))))


@routes.post("/cases/<number>/cancel")
@operation(
    "Cancel a requested case",
    request_body=ACTION_INPUT,
    responses={200: ("The case, cancelled", CASE_SCHEMA)},
    tags=("cases",),
)
@api_auth(scopes=("cases:write",), session=True)
def cancel_case(number: str) -> Response:
    data = json_body()
    case = _visible(current_desk().get(number))
    current_desk().cancel(case.number or number, version=data.get("version"))
    session().commit()
    return jsonify(case_json(case))


def _staff_action(action: str) -> Any:
    def view(number: str) -> Response:
        data = json_body()
        desk = current_desk()
        case = _visible(desk.get(number))
        version = data.get("version")
        assert case.number is not None
        if action == "approve":
            desk.approve(case.number, version=version)
        elif action == "reject":
            desk.reject(case.number, data.get("reason") or "", version=version)
        elif action == "receive":
            desk.receive(case.number, data.get("lines"), version=version)
        elif action == "resolve":
            if "outcome" not in data:
                raise ApiError(
                    422, "validation_error", "outcome is required", {"outcome": "required"}
                )
            desk.resolve(
                case.number,
                data["outcome"],
                amount=data.get("amount"),
                reference=data.get("reference"),
                version=version,
            )
        else:
            desk.close(case.number, version=version)
        session().commit()
        return jsonify(case_json(case))

    view.__name__ = f"{action}_case"
    return view


for _action in STAFF_ACTIONS:
    routes.post(f"/cases/<number>/{_action}", endpoint=f"{_action}_case")(
        operation(
            f"Staff: {_action} a case",
            description="Needs an API key with `cases:write`. `version` (optional) makes the "
            "action fail with 409 if the case changed since it was read.",
            request_body=ACTION_INPUT,
            responses={200: ("The case after the move", CASE_SCHEMA)},
            tags=("cases",),
        )(api_auth(scopes=("cases:write",))(_staff_action(_action)))
    )
