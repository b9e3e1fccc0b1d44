"""The insights' JSON endpoints (``/care/api/v1/insights``): every dashboard figure, for
an API key with ``insights:read``. Periods are ``start`` and ``end`` dates in the shop's
zone, half-open ``[start, end)``.

Each answer is declared once, as a pydantic model below (:mod:`shopcare.core.api.shapes`):
``InsightDashboard`` (its ``InsightFigure`` values, rounded to 2 decimals, with their
sample and 95 % interval), ``LostCustomers`` and ``ProductInsights``; the services'
dicts and figures are written through them, and the OpenAPI document takes its
components from them.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from flask import jsonify, request
from pydantic import Field, model_validator
from werkzeug.wrappers import Response

from shopcare.core.api.auth import api_auth
from shopcare.core.api.errors import ApiError
from shopcare.core.api.openapi import operation
from shopcare.core.api.schemas import DateTime, Number, one_of
from shopcare.core.api.shapes import Shape, dump
from shopcare.core.errors import NotFound
from shopcare.core.i18n import shop_zone
from shopcare.core.state import Routes
from shopcare.insights import report, stats
from shopcare.insights.periods import GRAINS, DayOutOfRange, Period, iso_day
from shopcare.insights.services import current_insights
from shopcare.insights.views import MAX_DAYS

#: The insights' endpoints (``state.add_api`` in the wiring); their shapes are below.
routes = Routes()


class InsightFigure(Shape):
    """A figure: value (null below the minimum sample or without data), its sample n and
    its 95 % interval."""

    value: Number | None
    n: int
    low: Number | None
    high: Number | None

    @model_validator(mode="before")
    @classmethod
    def _rounded(cls, figure: Any) -> Any:
        # A stats.Figure is written as its as_dict(): rounded to 2 decimals.
        return figure.as_dict() if isinstance(figure, stats.Figure) else figure


class InsightPeriod(Shape):
    start: date
    end: date = Field(description="exclusive")
    last_day: date


class InsightHeadline(Shape):
    current: InsightFigure
    previous: InsightFigure
    change: Annotated[str, one_of(["rise", "fall", "no_clear_change", "no_data"])]


class InsightColumn(Shape):
    key: str
    label: str
    kind: Annotated[str, one_of(["text", "int", "percent", "score", "hours"])]


class InsightChart(Shape):
    type: Annotated[str, one_of(["", "bar", "line"])]
    x: str
    y: list[str]


class InsightTable(Shape):
    key: str
    title: str
    note: str
    columns: list[InsightColumn]
    rows: list[dict[str, Any]]
    chart: InsightChart


class InsightRefunds(Shape):
    """What was refunded, by currency (decimal strings)."""

    current: dict[str, str]
    previous: dict[str, str]


class InsightDashboard(Shape):
    period: InsightPeriod
    comparison: InsightPeriod
    grain: Annotated[str, one_of(GRAINS)]
    headlines: dict[str, InsightHeadline]
    refunded: InsightRefunds
    tables: list[InsightTable]


class LostCustomer(Shape):
    email: str
    orders: int
    last_order: str | None
    last_order_at: DateTime | None
    usual_gap_days: Number | None
    days_since: Number
    cases: int
    return_reasons: list[str]
    spent_minor: int


class LostCustomers(Shape):
    customers: list[LostCustomer]
    reasons: dict[str, int]


class ReturnReason(Shape):
    reason: str
    units: int


class ProductInsights(Shape):
    sku: str
    name: str
    delivered: int
    returned: int
    return_rate: InsightFigure
    reasons: list[ReturnReason]
    guarantee_claims: int
    guarantee_units: int
    indices: dict[str, InsightFigure]
    tickets: dict[str, int]


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
    try:
        return iso_day(request.args.get(name, ""))
    except DayOutOfRange:  # a valid date shopcare will not count from
        raise ApiError(
            422, "invalid_period", "Dates run from 1970 to 2999.", {name: "out of range"}
        ) from None
    except ValueError:
        raise ApiError(
            400,
            "invalid_period",
            "A period needs start and end dates.",
            {name: "a date, YYYY-MM-DD"},
        ) from None


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
        200: ("The dashboard", InsightDashboard),
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
    return jsonify(dump(InsightDashboard, report.dashboard(current_insights(), period, grain)))


@routes.get("/insights/lost-customers")
@operation(
    "Lost customers: past their usual re-purchase interval, with their reasons",
    responses={200: ("The lost customers", LostCustomers)},
    tags=("insights",),
)
@api_auth(scopes=("insights:read",))
def insights_lost_customers() -> Response:
    insights = current_insights()
    found = insights.lost_customers()
    return jsonify(
        dump(LostCustomers, {"customers": found, "reasons": insights.lost_reasons(found)})
    )


@routes.get("/insights/products/<path:sku>")
@operation(
    "One product's return rate, return reasons and guarantee claims",
    parameters=PERIOD_PARAMETERS,
    responses={
        200: ("The product's figures", ProductInsights),
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
    return jsonify(dump(ProductInsights, found))
