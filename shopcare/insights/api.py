"""The insights' JSON endpoints (``/care/api/v1/insights``): every dashboard figure, for
an API key with ``insights:read``. Periods are ``start`` and ``end`` dates in the shop's
zone, half-open ``[start, end)``."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import jsonify, request
from werkzeug.wrappers import Response

from shopcare.core.api.auth import api_auth
from shopcare.core.api.errors import ApiError
from shopcare.core.api.openapi import Schemas, operation
from shopcare.core.errors import NotFound
from shopcare.core.i18n import shop_zone
from shopcare.core.state import Routes
from shopcare.insights import report
from shopcare.insights.periods import GRAINS, Period
from shopcare.insights.services import current_insights
from shopcare.insights.views import MAX_DAYS

routes = Routes()
schemas = Schemas()

_NUMBER = {"type": ["number", "null"]}
FIGURE = schemas.add(
    "InsightFigure",
    {
        "type": "object",
        "description": "A figure: value (null below the minimum sample or without data), "
        "its sample n and its 95 % interval.",
        "required": ["value", "n", "low", "high"],
        "properties": {"value": _NUMBER, "n": {"type": "integer"}, "low": _NUMBER, "high": _NUMBER},
    },
)
_PERIOD = {
    "type": "object",
    "required": ["start", "end", "last_day"],
    "properties": {
        "start": {"type": "string", "format": "date"},
        "end": {"type": "string", "format": "date", "description": "exclusive"},
        "last_day": {"type": "string", "format": "date"},
    },
}
_HEADLINE = {
    "type": "object",
    "required": ["current", "previous", "change"],
    "properties": {
        "current": FIGURE,
        "previous": FIGURE,
        "change": {"type": "string", "enum": ["rise", "fall", "no_clear_change", "no_data"]},
    },
}
TABLE = schemas.add(
    "InsightTable",
    {
        "type": "object",
        "required": ["key", "title", "note", "columns", "rows", "chart"],
        "properties": {
            "key": {"type": "string"},
            "title": {"type": "string"},
            "note": {"type": "string"},
            "columns": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["key", "label", "kind"],
                    "properties": {
                        "key": {"type": "string"},
                        "label": {"type": "string"},
                        "kind": {
                            "type": "string",
                            "enum": ["text", "int", "percent", "score", "hours"],
                        },
                    },
                },
            },
            "rows": {"type": "array", "items": {"type": "object"}},
            "chart": {
                "type": "object",
                "required": ["type", "x", "y"],
                "properties": {
                    "type": {"type": "string", "enum": ["", "bar", "line"]},
                    "x": {"type": "string"},
                    "y": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
)
DASHBOARD = schemas.add(
    "InsightDashboard",
    {
        "type": "object",
        "required": ["period", "comparison", "grain", "headlines", "refunded", "tables"],
        "properties": {
            "period": _PERIOD,
            "comparison": _PERIOD,
            "grain": {"type": "string", "enum": list(GRAINS)},
            "headlines": {"type": "object", "additionalProperties": _HEADLINE},
            "refunded": {
                "type": "object",
                "properties": {
                    "current": {"type": "object", "additionalProperties": {"type": "string"}},
                    "previous": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
            "tables": {"type": "array", "items": TABLE},
        },
    },
)
LOST = schemas.add(
    "LostCustomers",
    {
        "type": "object",
        "required": ["customers", "reasons"],
        "properties": {
            "customers": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["email", "orders", "last_order", "last_order_at", "days_since"],
                    "properties": {
                        "email": {"type": "string"},
                        "orders": {"type": "integer"},
                        "last_order": {"type": ["string", "null"]},
                        "last_order_at": {"type": ["string", "null"], "format": "date-time"},
                        "usual_gap_days": _NUMBER,
                        "days_since": {"type": "number"},
                        "cases": {"type": "integer"},
                        "return_reasons": {"type": "array", "items": {"type": "string"}},
                        "spent_minor": {"type": "integer"},
                    },
                },
            },
            "reasons": {"type": "object", "additionalProperties": {"type": "integer"}},
        },
    },
)
PRODUCT = schemas.add(
    "ProductInsights",
    {
        "type": "object",
        "required": ["sku", "name", "delivered", "returned", "return_rate", "reasons"],
        "properties": {
            "sku": {"type": "string"},
            "name": {"type": "string"},
            "delivered": {"type": "integer"},
            "returned": {"type": "integer"},
            "return_rate": FIGURE,
            "reasons": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"reason": {"type": "string"}, "units": {"type": "integer"}},
                },
            },
            "guarantee_claims": {"type": "integer"},
            "guarantee_units": {"type": "integer"},
            "indices": {"type": "object", "additionalProperties": FIGURE},
            "tickets": {"type": "object", "additionalProperties": {"type": "integer"}},
        },
    },
)

_DATE = {"type": "string", "format": "date"}
PERIOD_PARAMETERS = [
    {
        "name": "start",
        "in": "query",
        "required": True,
        "schema": _DATE,
        "description": "first day, shop's zone",
    },
    {
        "name": "end",
        "in": "query",
        "required": True,
        "schema": _DATE,
        "description": "the day after the last",
    },
]


def _date(name: str) -> date:
    raw = request.args.get(name, "")
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ApiError(
            400,
            "invalid_period",
            "A period needs start and end dates.",
            {name: "a date, YYYY-MM-DD"},
        ) from None
    if not 1970 <= day.year <= 2999:  # a valid date shopcare will not count from
        raise ApiError(
            422, "invalid_period", "Dates run from 1970 to 2999.", {name: "out of range"}
        )
    return day


def period_from_args() -> Period:
    """``start`` and ``end`` from the query string.

    :raises ApiError: 400 ``invalid_period`` for a missing or malformed date; 422
        ``invalid_period`` for a date before 1970 or after 2999, an end not after the
        start, or a period longer than the dashboard allows.
    """
    start, end = _date("start"), _date("end")
    if end <= start:
        raise ApiError(
            422, "invalid_period", "The end must be after the start.", {"end": "after start"}
        )
    if (end - start).days > MAX_DAYS:
        raise ApiError(
            422, "invalid_period", f"A period is at most {MAX_DAYS} days.", {"end": "too far"}
        )
    return Period(start, end, shop_zone())


@routes.get("/insights/dashboard")
@operation(
    "Every figure of the satisfaction dashboard for a period",
    description="The period `[start, end)` (dates in the shop's zone) against the period "
    "of the same length just before it; `grain` cuts the trend charts (week or month).",
    parameters=[
        *PERIOD_PARAMETERS,
        {"name": "grain", "in": "query", "schema": {"type": "string", "enum": list(GRAINS)}},
    ],
    responses={
        200: ("The dashboard", DASHBOARD),
        400: "A missing or malformed date",
        422: "A period that cannot be shown",
    },
    tags=("insights",),
)
@api_auth(scopes=("insights:read",))
def insights_dashboard() -> Response:
    period = period_from_args()
    grain = request.args.get("grain") or "month"
    if grain not in GRAINS:
        raise ApiError(400, "invalid_grain", "grain is week or month.", {"grain": "week or month"})
    return jsonify(report.dashboard(current_insights(), period, grain))


@routes.get("/insights/lost-customers")
@operation(
    "Lost customers: past their usual re-purchase interval, with their reasons",
    responses={200: ("The lost customers", LOST)},
    tags=("insights",),
)
@api_auth(scopes=("insights:read",))
def insights_lost_customers() -> Response:
    insights = current_insights()
    found = insights.lost_customers()
    rows: list[dict[str, Any]] = [
        {**row, "last_order_at": row["last_order_at"].isoformat() if row["last_order_at"] else None}
        for row in found
    ]
    return jsonify({"customers": rows, "reasons": insights.lost_reasons(found)})


@routes.get("/insights/products/<sku>")
@operation(
    "One product's return rate, return reasons and guarantee claims",
    parameters=PERIOD_PARAMETERS,
    responses={
        200: ("The product's figures", PRODUCT),
        400: "A missing or malformed date",
        422: "A period that cannot be shown",
        404: "No such product",
    },
    tags=("insights",),
)
@api_auth(scopes=("insights:read",))
def insights_product(sku: str) -> Response:
    period = period_from_args()
    found = current_insights().product(sku, period)
    if found is None:
        raise NotFound("No such product.")
    found["return_rate"] = found["return_rate"].as_dict()
    found["indices"] = {area: fig.as_dict() for area, fig in found["indices"].items()}
    return jsonify(found)
