"""The cases' JSON: the ``Case`` shapes and the endpoints under ``/care/api/v1/cases``,
declared on a ``Routes`` that ``shopcare.cases.wiring`` hands to ``state.add_api``.

Shoppers' integrations (a session, or a key with ``cases:read`` / ``cases:write``):
open, read, list, cancel. Staff actions (approve, reject, receive, resolve, close)
need an API key with ``cases:write``.

Each body is declared once, as a pydantic model below (:mod:`shopcare.core.api.shapes`):
``CaseInput`` and ``CaseActionInput`` check requests (``json_body``), ``Case`` and
``CaseList`` write answers (``dump``), and the OpenAPI document takes its components
from them. Money is a decimal string in the order's currency, datetimes ISO 8601 in UTC.
"""

from __future__ import annotations

from typing import Annotated, Any

from flask import g, jsonify, request
from pydantic import AliasPath, BeforeValidator, Field
from werkzeug.wrappers import Response

from shopcare.cases.access import may_see_case, may_see_order
from shopcare.cases.models import KINDS, OUTCOMES, STATUSES
from shopcare.cases.models import Case as CaseRow
from shopcare.cases.services import current_desk
from shopcare.core.access import current_user_id
from shopcare.core.api.auth import api_auth
from shopcare.core.api.errors import ApiError
from shopcare.core.api.openapi import operation
from shopcare.core.api.parsing import json_body
from shopcare.core.api.schemas import DateTime, Listing, Money, Omitted, ReadVersion, one_of
from shopcare.core.api.shapes import InputShape, Shape, dump
from shopcare.core.db import session
from shopcare.core.errors import NotFound, ValidationError
from shopcare.core.state import Routes, get_state

#: The cases' endpoints (``state.add_api`` in the wiring); their shapes are below.
routes = Routes()


class CaseLine(Shape):
    sku: str = Field(validation_alias=AliasPath("order_line", "sku"))
    name: str = Field(validation_alias=AliasPath("order_line", "name"))
    quantity: int
    received: int | None
    damaged: int | None
    missing: int | None


class Case(Shape):
    """A case as the API shows it."""

    number: str = Field(examples=["R-2026-000042"])
    kind: Annotated[str, one_of(KINDS)]
    status: Annotated[str, one_of(STATUSES)]
    version: int
    order: str = Field(
        validation_alias=AliasPath("order", "reference"), description="the order's reference"
    )
    reason: str | None
    remedy: str | None
    exchange_for: str | None = Field(
        description="for an exchange: the size, colour or item wanted instead"
    )
    outcome: str | None
    description: str
    reject_reason: str | None
    flags: list[str] = Field(validation_alias="flag_list")
    currency: str
    value: Money = Field(description="what the lines are worth, in the order's currency")
    due: Money | None = Field(description="decimal amount in the order's currency")
    paid: Money | None = Field(description="decimal amount in the order's currency")
    photos: Annotated[int, BeforeValidator(len)] = Field(description="how many photos were sent")
    opened_at: DateTime
    resolved_at: DateTime | None
    lines: list[CaseLine]


class CaseList(Listing):
    items: list[Case]


Sku = Annotated[str, Field(min_length=1, max_length=64)]
Quantity = Annotated[int, Field(ge=0, le=1_000_000)]


class CaseInput(InputShape):
    """A case to open: the same rules as ``care.cases.open``."""

    order: str = Field(min_length=1, max_length=64, pattern=r"\S")
    kind: Annotated[str, one_of(KINDS)]
    lines: dict[Sku, Quantity] = Field(min_length=1, max_length=200, description="{sku: quantity}")
    reason: Annotated[str, Field(max_length=40)] | None = None
    remedy: Annotated[str, Field(max_length=20)] | None = None
    exchange_for: Annotated[str, Field(max_length=200)] | None = Field(
        None, description="required with remedy `exchange`: the size, colour or item wanted"
    )
    description: str = Field("", max_length=4000)
    name: Annotated[str, Field(max_length=200)] | None = None
    email: Annotated[str, Field(max_length=254)] | None = None


class CaseActionInput(InputShape):
    version: ReadVersion = None
    reason: Annotated[str, Field(max_length=4000)] | Omitted = None
    outcome: Annotated[str, one_of(OUTCOMES)] | Omitted = None
    amount: Annotated[str, Field(max_length=20, pattern=r"^\d{1,12}(\.\d{1,4})?$")] | None = None
    reference: Annotated[str, Field(max_length=100)] | None = None
    lines: Annotated[dict[str, Quantity], Field(max_length=200)] | Omitted = None


STAFF_ACTIONS = ("approve", "reject", "receive", "resolve", "close")


def _visible(case: CaseRow | None) -> CaseRow:
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
    responses={200: ("A page of cases", CaseList), 400: "A bad query parameter"},
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
    if not (raw_page.isascii() and raw_page.isdigit()) or not 1 <= int(raw_page) <= 10_000:
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
    return jsonify(dump(CaseList, listing))


@routes.post("/cases")
@operation(
    "Open a case",
    description="A withdrawal, a return or a guarantee claim for `lines` ({sku: quantity}) "
    "of an order. A session may open cases on its own orders only.",
    request_body=CaseInput,
    responses={201: ("The case was opened", Case)},
    tags=("cases",),
)
@api_auth(scopes=("cases:write",), session=True)
def open_case() -> tuple[Response, int]:
    data = json_body(CaseInput)
    care = get_state().care
    order = care.orders.get(data.order)
    if order is None or (g.get("shopcare_api_key") is None and not may_see_order(order)):
        raise ValidationError("order", "no such order")
    case = current_desk().open(
        order.reference,
        data.kind,
        data.lines,
        reason=data.reason,
        remedy=data.remedy,
        exchange_for=data.exchange_for,
        description=data.description,
        name=data.name,
        email=data.email,
    )
    session().commit()
    return jsonify(dump(Case, case)), 201


@routes.get("/cases/<number>")
@operation("Read a case", responses={200: ("The case", Case)}, tags=("cases",))
@api_auth(scopes=("cases:read",), session=True)
def read_case(number: str) -> Response:
    return jsonify(dump(Case, _visible(current_desk().get(number))))


@routes.post("/cases/<number>/cancel")
@operation(
    "Cancel a requested case",
    request_body=CaseActionInput,
    responses={200: ("The case, cancelled", Case)},
    tags=("cases",),
)
@api_auth(scopes=("cases:write",), session=True)
def cancel_case(number: str) -> Response:
    data = json_body(CaseActionInput)
    case = _visible(current_desk().get(number))
    current_desk().cancel(case.number or number, version=data.version)
    session().commit()
    return jsonify(dump(Case, case))


def _staff_action(action: str) -> Any:
    def view(number: str) -> Response:
        data = json_body(CaseActionInput)
        desk = current_desk()
        case = _visible(desk.get(number))
        version = data.version
        assert case.number is not None
        if action == "approve":
            desk.approve(case.number, version=version)
        elif action == "reject":
            desk.reject(case.number, data.reason or "", version=version)
        elif action == "receive":
            desk.receive(case.number, data.lines, version=version)
        elif action == "resolve":
            if data.outcome is None:
                raise ValidationError("outcome", "required")
            desk.resolve(
                case.number,
                data.outcome,
                amount=data.amount,
                reference=data.reference,
                version=version,
            )
        else:
            desk.close(case.number, version=version)
        session().commit()
        return jsonify(dump(Case, case))

    view.__name__ = f"{action}_case"
    return view


for _action in STAFF_ACTIONS:
    routes.post(f"/cases/<number>/{_action}", endpoint=f"{_action}_case")(
        operation(
            f"Staff: {_action} a case",
            description="Needs an API key with `cases:write`. `version` (optional) makes the "
            "action fail with 409 if the case changed since it was read.",
            request_body=CaseActionInput,
            responses={200: ("The case after the move", Case)},
            tags=("cases",),
        )(api_auth(scopes=("cases:write",))(_staff_action(_action)))
    )
