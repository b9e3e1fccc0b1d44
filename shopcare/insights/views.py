"""The dashboard's staff pages (``/care/insights``, endpoints ``shopcare.insights.*``):
the dashboard, a CSV of each of its tables, the lost customers and one product's page.
Views parse the period, call ``care.insights`` and render; every view is staff-only."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast

from babel.dates import format_date
from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from markupsafe import Markup, escape

from shopcare.core.access import staff_required
from shopcare.core.areas import AREAS
from shopcare.core.i18n import _, _l, formats, shop_zone
from shopcare.insights import report
from shopcare.insights.periods import (
    GRAINS,
    PRESETS,
    DayOutOfRange,
    Period,
    iso_day,
    preset,
    today_in,
)
from shopcare.insights.services import current_insights
from shopcare.staff.blueprint import staff_context

blueprint = Blueprint("insights", __name__, url_prefix="/insights")
blueprint.context_processor(staff_context)


@blueprint.context_processor
def _formatting() -> dict[str, Any]:
    """``insights_date(day)`` (a calendar date in the page's language) and
    ``insights_money(amount, currency)``."""

    def insights_date(day: date) -> str:
        return format_date(day, format="medium", locale=str(get_locale() or "en"))

    def insights_money(amount: str, currency: str) -> str:
        return formats().money(Decimal(amount), currency)

    return {"insights_date": insights_date, "insights_money": insights_money}


#: The longest custom period (days): a chart of more weeks stops being readable.
MAX_DAYS = 3 * 366


def preset_labels() -> dict[str, Any]:
    return {
        "30d": _l("Last 30 days"),
        "90d": _l("Last 90 days"),
        "365d": _l("Last 365 days"),
        "quarter": _l("This quarter"),
        "custom": _l("Custom"),
    }


@dataclass
class PeriodChoice:
    """The period a request asks for, and what was wrong with it (field → message)."""

    period: Period
    preset: str
    grain: str
    errors: dict[str, str] = field(default_factory=dict)

    def args(self) -> dict[str, str]:
        """The query arguments that ask for this period again (links, CSV)."""
        if self.preset == "custom":
            return {
                "preset": "custom",
                "from": self.period.start.isoformat(),
                "to": self.period.last_day.isoformat(),
                "grain": self.grain,
            }
        return {"preset": self.preset, "grain": self.grain}


def _day(value: str | None, field: str, errors: dict[str, str]) -> date | None:
    """The date in ``value``, or ``None`` with the reason in ``errors[field]``."""
    try:
        return iso_day(value)
    except DayOutOfRange:
        errors[field] = _("Dates run from 1970 to 2999.")
    except ValueError:
        errors[field] = (
            _("Enter the first day as a date (YYYY-MM-DD).")
            if field == "from"
            else _("Enter the last day as a date (YYYY-MM-DD).")
        )
    return None


def parse_period(args: Any) -> PeriodChoice:
    """The period in ``args``: ``preset`` (``30d`` default, ``90d``, ``365d``,
    ``quarter``, ``custom``); for ``custom``, ``from`` and ``to`` (ISO dates, ``to``
    included); ``grain`` (``week``/``month``; default by length). Anything wrong is
    reported by field and the default period is shown instead."""
    zone = shop_zone()
    today = today_in(zone)
    errors: dict[str, str] = {}
    name = args.get("preset") or "30d"
    period: Period | None = None
    if name == "custom":
        first, last = _day(args.get("from"), "from", errors), _day(args.get("to"), "to", errors)
        if first and last:
            if last < first:
                errors["to"] = _("The last day cannot be before the first day.")
            elif (last - first).days >= MAX_DAYS:
                errors["to"] = _("A period is at most %(days)d days.", days=MAX_DAYS)
            else:
                period = Period(first, last + timedelta(days=1), zone)
    elif name not in PRESETS:
        errors["preset"] = _("Choose one of the periods offered.")
    if period is None:  # a preset, or the default in place of a custom period with errors
        name = name if name in PRESETS else "30d"
        period = preset(name, today, zone)
    grain = args.get("grain")
    if grain not in GRAINS:
        if grain:
            errors["grain"] = _("Choose weeks or months.")
        grain = "week" if period.days <= 120 else "month"
    return PeriodChoice(period, name, grain, errors)


def _csv(text: str, filename: str) -> Response:
    return Response(
        text,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@blueprint.route("/")
@staff_required
def dashboard() -> str:
    """The dashboard for the requested period against the one before it."""
    choice = parse_period(request.args)
    data = report.dashboard(current_insights(), choice.period, choice.grain)
    return render_template(
        "shopcare/insights/dashboard.html",
        data=data,
        choice=choice,
        table_rows=functools.partial(table_rows, product_args=choice.args()),
        presets=preset_labels(),
        grains={"week": _l("Weeks"), "month": _l("Months")},
        change_labels=change_labels(),
        headline_labels={
            "nps": _l("NPS"),
            "csat": _l("CSAT"),
            "ces": _l("CES (1-7)"),
            "response_rate": _l("Survey response rate"),
            "handling": _l("Satisfied with complaint handling"),
            "return_rate": _l("Return rate"),
        },
        headline_units={
            "nps": "",
            "csat": " %",
            "ces": "",
            "response_rate": " %",
            "handling": " %",
            "return_rate": " %",
        },
    )


def table_rows(
    table: dict[str, Any], labels: list[str], no_data: str, *, product_args: dict[str, Any]
) -> Markup:
    """The body rows (``<tr>``…) of one dashboard table (``report.Table.as_dict()``), each
    cell with its column's translated label (``labels``) for the stacked phone layout:
    ``—`` for a missing value (read out as ``no_data``), percentages and hours with one
    decimal, the products' SKUs linked to their page (with ``product_args``, the chosen
    period). Written here rather than in ``_table.html``: a dashboard has about 2,000
    cells, and the template's loop was most of the page's own time. Every value is
    escaped."""
    cells = [(column["key"], column["kind"]) for column in table["columns"]]
    marks = [f'<td data-label="{escape(label)}">' for label in labels]
    missing = f'<span aria-label="{escape(no_data)}">—</span>'
    linked = table["key"] == "returns_by_product"
    out: list[str] = []
    for row in table["rows"]:
        out.append("<tr>")
        for (key, kind), mark in zip(cells, marks, strict=True):
            value = row[key]
            out.append(mark)
            if value is None:
                out.append(missing)
            elif kind == "percent":
                out.append(f"{value:.1f} %")
            elif kind in ("hours", "score"):
                out.append(f"{value:.1f}")
            elif linked and key == "key":
                href = url_for("shopcare.insights.product", sku=value, **product_args)
                out.append(f'<a href="{escape(href)}">{escape(value)}</a>')
            elif type(value) is int:  # counts, most of the cells: nothing to escape
                out.append(str(value))
            else:
                out.append(str(escape(value)))
            out.append("</td>")
        out.append("</tr>\n")
    return Markup("".join(out))  # nosec B704: every value escaped or a number


def change_labels() -> dict[str, Any]:
    return {
        "rise": _l("Rise"),
        "fall": _l("Fall"),
        "no_clear_change": _l("No clear change"),
        "no_data": _l("Not enough data to compare"),
    }


@blueprint.route("/<table>.csv")
@staff_required
def table_csv(table: str) -> Response:
    """One dashboard table as CSV, for the same period as the page. A period it cannot
    read leads to the dashboard, which says what is wrong beside the field, instead of
    a CSV of another period."""
    choice = parse_period(request.args)
    builders = report.builders(choice.grain)
    if table not in builders:
        abort(404)
    if choice.errors:
        asked = {k: v for k, v in request.args.items() if k in ("preset", "from", "to", "grain")}
        target = url_for(".dashboard", **asked)  # type: ignore[arg-type]
        return cast(Response, redirect(target))
    built = builders[table](current_insights(), choice.period)
    name = f"{table}-{choice.period.start.isoformat()}-{choice.period.last_day.isoformat()}.csv"
    return _csv(built.csv(), name)


def lost_table() -> report.Table:
    """The lost customers, their return reasons by name (``reasons``: the codes)."""
    insights = current_insights()
    labels = report.translated(report.reason_labels())
    rows = [
        {
            **row,
            "last_order_at": row["last_order_at"].date().isoformat()
            if row["last_order_at"]
            else None,
            "reasons": row["return_reasons"],
            "return_reasons": ", ".join(labels.get(r, r) for r in row["return_reasons"]),
        }
        for row in insights.lost_customers()
    ]
    columns = [
        report.Column("email", _l("Customer")),
        report.Column("orders", _l("Orders"), "int"),
        report.Column("last_order", _l("Last order")),
        report.Column("last_order_at", _l("Placed on")),
        report.Column("usual_gap_days", _l("Usual gap (days)"), "hours"),
        report.Column("days_since", _l("Days since"), "hours"),
        report.Column("cases", _l("Returns and claims"), "int"),
        report.Column("return_reasons", _l("Reasons given")),
    ]
    return report.Table("lost_customers", _l("Lost customers"), columns, rows, chart="")


@blueprint.route("/lost")
@staff_required
def lost() -> str:
    """Customers whose usual re-purchase interval has passed, and their reasons."""
    table = lost_table()
    reasons: dict[str, int] = {}
    for row in table.rows:
        for reason in row["reasons"]:
            reasons[reason] = reasons.get(reason, 0) + 1
    labels = report.translated(report.reason_labels())
    return render_template(
        "shopcare/insights/lost.html",
        table=table.as_dict(),
        reasons=[
            (labels.get(reason, reason), count)
            for reason, count in sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
        ],
    )


@blueprint.route("/lost.csv")
@staff_required
def lost_csv() -> Response:
    return _csv(lost_table().csv(), "lost-customers.csv")


@blueprint.route("/products/<path:sku>")
@staff_required
def product(sku: str) -> str:
    """One product: return rate, reasons and guarantee claims over the period."""
    choice = parse_period(request.args)
    insights = current_insights()
    found = insights.product(sku, choice.period)
    if found is None:
        abort(404)
    before = insights.product(sku, choice.period.previous())
    return render_template(
        "shopcare/insights/product.html",
        product=found,
        before=before,
        change=report.stats.change(
            found["return_rate"], before["return_rate"] if before else found["return_rate"]
        ),
        choice=choice,
        change_labels=change_labels(),
        presets=preset_labels(),
        areas=AREAS,
        kind_labels=report.kind_labels(),
        reason_labels=report.translated(report.reason_labels()),
    )
