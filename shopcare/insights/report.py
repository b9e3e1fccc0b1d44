"""The dashboard as data: headline figures and tables, each table drawn as a chart,
shown as an accessible table beside it and downloadable as CSV — one structure for the
page, its CSV files and the JSON API, so they cannot disagree.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from shopcare.core.areas import AREAS
from shopcare.core.i18n import _l
from shopcare.insights import stats
from shopcare.insights.answers import Summary
from shopcare.insights.concurrent import gather
from shopcare.insights.periods import Period
from shopcare.insights.services import SEGMENTS, Insights, ReturnsSummary
from shopcare.insights.stats import Figure


@dataclass
class Column:
    key: str
    label: Any
    #: ``text``, ``int``, ``percent`` (a number shown with %), ``score`` (0-100), ``hours``
    kind: str = "text"


@dataclass
class Table:
    """One chart's data: its columns and rows, and how to draw it."""

    key: str
    title: Any
    columns: list[Column]
    rows: list[dict[str, Any]]
    #: ``line`` or ``bar``; ``x`` the label column, ``y`` the plotted columns
    chart: str = "bar"
    x: str = ""
    y: list[str] = field(default_factory=list)
    #: what the figures count, said under the table (a denominator, a rule)
    note: Any = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": str(self.title),
            "note": str(self.note),
            "columns": [
                {"key": c.key, "label": str(c.label), "kind": c.kind} for c in self.columns
            ],
            "rows": self.rows,
            "chart": {"type": self.chart, "x": self.x, "y": self.y},
        }

    def csv(self) -> str:
        """The table as CSV (UTF-8 with a BOM so spreadsheets keep accents; text cells
        that a spreadsheet would read as a formula are prefixed with ``'``)."""
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out)
        writer.writerow([_inert(str(c.label)) for c in self.columns])
        for row in self.rows:
            writer.writerow(
                [
                    _inert(v) if isinstance(v := row.get(c.key), str) else ("" if v is None else v)
                    for c in self.columns
                ]
            )
        return out.getvalue()


def _inert(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _rate_columns() -> list[Column]:
    return [
        Column("rate", _l("Return rate (%)"), "percent"),
        Column("low", _l("Lower bound (95%)"), "percent"),
        Column("high", _l("Upper bound (95%)"), "percent"),
    ]


def _figure(fig: Figure) -> dict[str, Any]:
    data = fig.as_dict()
    return {"rate": data["value"], "low": data["low"], "high": data["high"]}


def headline(current: Figure, previous: Figure) -> dict[str, Any]:
    """A figure beside its comparison and what changed (``stats.change``)."""
    return {
        "current": current.as_dict(),
        "previous": previous.as_dict(),
        "change": stats.change(current, previous),
    }


def returns_trend(
    insights: Insights, period: Period, grain: str, found: ReturnsSummary | None = None
) -> Table:
    rows = []
    trend = found.trend() if found is not None else insights.return_rate(period, by=grain)
    for bucket, fig in trend:
        rows.append(
            {
                "bucket": bucket.label,
                "first_day": bucket.start.isoformat(),
                "last_day": (bucket.end - timedelta(days=1)).isoformat(),
                "delivered": fig.n,
                **_figure(fig),
            }
        )
    return Table(
        "returns_trend",
        _l("Return rate by week") if grain == "week" else _l("Return rate by month"),
        [
            Column("bucket", _l("Period")),
            Column("first_day", _l("First day")),
            Column("last_day", _l("Last day")),
            Column("delivered", _l("Units delivered"), "int"),
            *_rate_columns(),
        ],
        rows,
        chart="line",
        x="bucket",
        y=["rate"],
        note=_l(
            "Returned units / delivered units, for orders delivered in each period. "
            "A period with no delivery has no rate (a gap, not 0 %)."
        ),
    )


def returns_by(
    insights: Insights,
    period: Period,
    by: str,
    limit: int | None = None,
    found: ReturnsSummary | None = None,
) -> Table:
    if found is None:
        rates = insights.return_rate(period, by=by)
    elif by == "reason":
        rates = found.reasons()
    elif by == "product" and limit:
        rates = found.top(limit)
    else:
        rates = found.by(by)
    names = translated(reason_labels()) if by == "reason" else {}
    rows = [
        {
            "key": r.key,
            "name": names.get(r.key, r.name),
            "delivered": r.delivered,
            "returned": r.returned,
            **_figure(r.rate),
        }
        for r in rates
    ]
    if limit:
        rows = [row for row in rows if row["returned"]][:limit]
    titles = {
        "product": _l("Most returned products"),
        "category": _l("Return rate by category"),
        "reason": _l("Returns by reason"),
    }
    first = {"product": _l("SKU"), "category": _l("Category"), "reason": _l("Reason")}[by]
    # a reason by its label (the code stays in the rows' "key")
    columns = [Column("name" if by == "reason" else "key", first)]
    if by == "product":
        columns.append(Column("name", _l("Product")))
    columns += [
        Column("delivered", _l("Units delivered"), "int"),
        Column("returned", _l("Units returned"), "int"),
        *_rate_columns(),
    ]
    note = (
        _l("Each reason's units over all units delivered in the period.")
        if by == "reason"
        else _l("Returned units / delivered units, for orders delivered in the period.")
    )
    x = "name" if by == "reason" else "key"
    return Table(f"returns_by_{by}", titles[by], columns, rows, x=x, y=["rate"], note=note)


def reason_labels() -> dict[str, Any]:
    """Return reasons by their code (a case without a reason counts under its kind)."""
    from shopcare.cases.forms import REASON_LABELS

    return {**REASON_LABELS, "withdrawal": _l("Withdrawal"), "return": _l("Return")}


def guarantees(
    insights: Insights, period: Period, found: list[dict[str, Any]] | None = None
) -> Table:
    return Table(
        "guarantee_claims",
        _l("Guarantee claims per product"),
        [
            Column("sku", _l("SKU")),
            Column("name", _l("Product")),
            Column("claims", _l("Claims"), "int"),
            Column("units", _l("Units"), "int"),
        ],
        insights.guarantee_claims(period) if found is None else found,
        x="sku",
        y=["claims"],
        note=_l("Claims opened in the period (cancelled claims left out)."),
    )


def deliveries(
    insights: Insights, period: Period, found: list[dict[str, Any]] | None = None
) -> Table:
    from shopcare.tracking.carriers import carriers

    known = carriers()
    rows = []
    for row in insights.deliveries(period) if found is None else found:
        on_time = row["on_time"].as_dict()
        rows.append(
            {
                "carrier": row["carrier"],
                "name": str(known.get(row["carrier"], {}).get("name") or row["carrier"]),
                "delivered": row["delivered"],
                "with_estimate": row["with_estimate"],
                "on_time": on_time["value"],
                "low": on_time["low"],
                "high": on_time["high"],
                "transit_p50_hours": row["transit_p50_hours"],
                "transit_p90_hours": row["transit_p90_hours"],
            }
        )
    return Table(
        "deliveries",
        _l("Deliveries by carrier"),
        [
            Column("name", _l("Carrier")),
            Column("delivered", _l("Parcels delivered"), "int"),
            Column("with_estimate", _l("With a delivery estimate"), "int"),
            Column("on_time", _l("On time (%)"), "percent"),
            Column("low", _l("Lower bound (95%)"), "percent"),
            Column("high", _l("Upper bound (95%)"), "percent"),
            Column("transit_p50_hours", _l("Transit, median (hours)"), "hours"),
            Column("transit_p90_hours", _l("Transit, 90th percentile (hours)"), "hours"),
        ],
        rows,
        x="name",
        y=["on_time"],
        note=_l(
            "On time: delivered by the latest day of the estimate, out of the parcels "
            "that had an estimate. Transit: shipped to delivered."
        ),
    )


def segments(
    insights: Insights, period: Period, found: dict[str, Any] | None = None
) -> tuple[Table, Table]:
    found = insights.segments(period) if found is None else found
    names = translated(segment_labels())
    counts = Table(
        "segments",
        _l("Customer segments (recency, frequency, money)"),
        [
            Column("segment", _l("Segment")),
            Column("customers", _l("Customers"), "int"),
            Column("revenue_share", _l("Share of revenue (%)"), "percent"),
        ],
        [{**row, "segment": names[row["segment"]]} for row in found["segments"]],
        x="segment",
        y=["customers"],
        note=_l("Customers by the orders they placed before the period's end, cut in fifths."),
    )
    moves = Table(
        "segment_moves",
        _l("Movement between segments"),
        [
            Column("from", _l("At the comparison period's end")),
            Column("to", _l("At this period's end")),
            Column("customers", _l("Customers"), "int"),
        ],
        [
            {
                "from": names.get(m["from"]) or str(_l("No order yet")),
                "to": names[m["to"]],
                "customers": m["customers"],
            }
            for m in found["moves"]
        ],
        chart="",
    )
    return counts, moves


def segment_labels() -> dict[str, Any]:
    return dict(
        zip(
            SEGMENTS,
            (
                _l("Champions"),
                _l("Loyal"),
                _l("Potential"),
                _l("New"),
                _l("At risk"),
                _l("Can't lose"),
                _l("Hibernating"),
                _l("Lost"),
            ),
            strict=True,
        )
    )


def step_labels() -> dict[str, Any]:
    return {
        "none": _l("No order yet"),
        "purchase": _l("Purchase (one order)"),
        "repurchase": _l("Repurchase (two or more)"),
        "recommendation": _l("Recommendation (promoter)"),
    }


def loyalty(
    insights: Insights, period: Period, found: dict[str, Any] | None = None
) -> tuple[Table, Table]:
    now = insights.loyalty(period) if found is None else found
    labels = translated(step_labels())
    ladder = Table(
        "loyalty",
        _l("Loyalty ladder"),
        [
            Column("step", _l("Step")),
            Column("customers", _l("Customers at this period's end"), "int"),
            Column("previous", _l("At the comparison period's end"), "int"),
        ],
        [
            {
                "step": labels[step],
                "customers": now["steps"][step],
                "previous": now["previous_steps"][step],
            }
            for step in ("purchase", "repurchase", "recommendation")
        ],
        x="step",
        y=["customers", "previous"],
        note=_l(
            "Purchase: one order; repurchase: two or more; recommendation: the "
            "customer's latest NPS answer was 9 or 10 (a promoter)."
        ),
    )
    flows = Table(
        "loyalty_flows",
        _l("Moves on the ladder"),
        [
            Column("from", _l("At the comparison period's end")),
            Column("to", _l("At this period's end")),
            Column("customers", _l("Customers"), "int"),
        ],
        [
            {
                "from": labels[f["from"]],
                "to": labels[f["to"]],
                "customers": f["customers"],
            }
            for f in now["flows"]
        ],
        chart="",
    )
    return ladder, flows


def _fig_row(fig: Figure) -> dict[str, Any]:
    data = fig.as_dict()
    return {"value": data["value"], "n": data["n"], "low": data["low"], "high": data["high"]}


def _fig_columns(label: Any, kind: str = "percent") -> list[Column]:
    return [
        Column("value", label, kind),
        Column("n", _l("n"), "int"),
        Column("low", _l("Lower bound (95%)"), kind),
        Column("high", _l("Upper bound (95%)"), kind),
    ]


def summary(insights: Insights, period: Period) -> Summary:
    """The survey figures of ``period`` and its comparison period, in one scan."""
    return Summary(period, period.previous(), insights.minimum())


def indices(insights: Insights, period: Period, found_summary: Summary | None = None) -> Table:
    answers = found_summary or summary(insights, period)
    found = answers.indices()
    audits = answers.indices(kind="audit")
    rows = []
    for area, label in AREAS.items():
        audit = audits[area].as_dict()
        rows.append(
            {
                "area": str(label),
                **_fig_row(found[area]),
                "audit": audit["value"],
                "audit_n": audit["n"],
            }
        )
    return Table(
        "indices",
        _l("The eight indices"),
        [
            Column("area", _l("Area")),
            *_fig_columns(_l("Index (0-100)"), "score"),
            Column("audit", _l("Mystery shopper (0-100)"), "score"),
            Column("audit_n", _l("Audit answers"), "int"),
        ],
        rows,
        x="area",
        y=["value", "audit"],
        note=_l(
            "Each answer scored 100 · (v - 1)/(k - 1) on its scale; an index is the weighted "
            "mean of its area's answers. Hidden below %(n)s answers.",
            n=insights.minimum(),
        ),
    )


def index_trend(insights: Insights, period: Period, found_summary: Summary | None = None) -> Table:
    rows = []
    for bucket, figures in (found_summary or summary(insights, period)).trend():
        row: dict[str, Any] = {"bucket": bucket.label}
        for area in AREAS:
            row[area] = figures[area].as_dict()["value"]
        rows.append(row)
    return Table(
        "index_trend",
        _l("The indices by month"),
        [
            Column("bucket", _l("Month")),
            *[Column(area, label, "score") for area, label in AREAS.items()],
        ],
        rows,
        chart="line",
        x="bucket",
        y=list(AREAS),
        note=_l("A month with too few answers for an area is a gap, not a zero."),
    )


def distribution(
    insights: Insights, period: Period, question_type: str, found_summary: Summary | None = None
) -> Table:
    counts = (found_summary or summary(insights, period)).distribution(
        question_type, key="csat" if question_type == "rating" else None
    )
    titles = {
        "nps": _l("NPS answers (0-10)"),
        "rating": _l("CSAT answers (1-5)"),
        "ces": _l("CES answers (1-7)"),
    }
    return Table(
        f"{question_type}_distribution" if question_type != "rating" else "csat_distribution",
        titles[question_type],
        [Column("value", _l("Answer")), Column("answers", _l("Answers"), "int")],
        [{"value": str(value), "answers": count} for value, count in counts.items()],
        x="value",
        y=["answers"],
    )


def complaints_tables(
    insights: Insights, period: Period, found: dict[str, Any] | None = None
) -> list[Table]:
    found = found or insights.complaints(period)
    kinds = translated(kind_labels())
    areas = translated(AREAS)
    other = str(_l("Other"))
    volume = Table(
        "complaints_volume",
        _l("Tickets by kind and area"),
        [
            Column("kind", _l("Kind")),
            Column("area", _l("Area")),
            Column("tickets", _l("Tickets"), "int"),
        ],
        [
            {
                "kind": kinds.get(row["kind"], row["kind"]),
                "area": areas.get(row["area"], other),
                "tickets": row["tickets"],
            }
            for row in found["volume"]
        ],
        x="kind",
        y=["tickets"],
        note=_l("Tickets opened in the period."),
    )
    times = Table(
        "complaints_times",
        _l("Response and resolution times"),
        [
            Column("measure", _l("Measure")),
            Column("n", _l("Tickets"), "int"),
            Column("median_hours", _l("Median (hours)"), "hours"),
            Column("p90_hours", _l("90th percentile (hours)"), "hours"),
        ],
        [
            {"measure": str(_l("First response")), **found["first_response"]},
            {"measure": str(_l("Resolution")), **found["resolution"]},
        ],
        x="measure",
        y=["median_hours", "p90_hours"],
        note=_l("Calendar hours from the ticket's opening, for tickets that have it."),
    )
    sla_rows = []
    for key, label in (
        ("first_response_sla", _l("First response")),
        ("resolution_sla", _l("Resolution")),
    ):
        share = found[key]
        data = share.figure.as_dict()
        sla_rows.append(
            {
                "target": str(label),
                "met": share.met,
                "with_target": share.denominator,
                "share": data["value"],
                "low": data["low"],
                "high": data["high"],
            }
        )
    sla = Table(
        "complaints_sla",
        _l("Share within target"),
        [
            Column("target", _l("Target")),
            Column("met", _l("Met"), "int"),
            Column("with_target", _l("Tickets with this target, due"), "int"),
            Column("share", _l("Within target (%)"), "percent"),
            Column("low", _l("Lower bound (95%)"), "percent"),
            Column("high", _l("Upper bound (95%)"), "percent"),
        ],
        sla_rows,
        x="target",
        y=["share"],
        note=_l(
            "Met out of the tickets opened in the period that have this target and are "
            "done or past due: late ones and open ones past due count as missed; tickets "
            "without a target are not counted."
        ),
    )
    handling = Table(
        "complaints_handling",
        _l("Satisfaction with the handling (1-5)"),
        [Column("value", _l("Answer")), Column("answers", _l("Answers"), "int")],
        [{"value": str(v), "answers": n} for v, n in found["handling_distribution"].items()],
        x="value",
        y=["answers"],
    )
    return [volume, times, sla, handling]


def translated(labels: dict[str, Any]) -> dict[str, str]:
    """``labels`` (lazy strings) translated once, for tables with a label per row."""
    return {key: str(label) for key, label in labels.items()}


def kind_labels() -> dict[str, Any]:
    return {
        "complaint": _l("Complaint"),
        "suggestion": _l("Suggestion"),
        "compliment": _l("Compliment"),
        "question": _l("Question"),
    }


#: Every table the dashboard shows, by key: what builds it (CSV downloads look here).
def builders(grain: str) -> dict[str, Callable[[Insights, Period], Table]]:
    return {
        "indices": indices,
        "index_trend": index_trend,
        "nps_distribution": lambda i, p: distribution(i, p, "nps"),
        "csat_distribution": lambda i, p: distribution(i, p, "rating"),
        "ces_distribution": lambda i, p: distribution(i, p, "ces"),
        "complaints_volume": lambda i, p: complaints_tables(i, p)[0],
        "complaints_times": lambda i, p: complaints_tables(i, p)[1],
        "complaints_sla": lambda i, p: complaints_tables(i, p)[2],
        "complaints_handling": lambda i, p: complaints_tables(i, p)[3],
        # the return tables from the dashboard's own summary, so a CSV has the page's numbers
        "returns_trend": lambda i, p: returns_trend(i, p, grain, i.returns_summary(p, grain)),
        "returns_by_product": lambda i, p: returns_by(
            i, p, "product", limit=_top(), found=i.returns_summary(p, grain)
        ),
        "returns_by_category": lambda i, p: returns_by(
            i, p, "category", found=i.returns_summary(p, grain)
        ),
        "returns_by_reason": lambda i, p: returns_by(
            i, p, "reason", found=i.returns_summary(p, grain)
        ),
        "guarantee_claims": guarantees,
        "deliveries": deliveries,
        "segments": lambda i, p: segments(i, p)[0],
        "segment_moves": lambda i, p: segments(i, p)[1],
        "loyalty": lambda i, p: loyalty(i, p)[0],
        "loyalty_flows": lambda i, p: loyalty(i, p)[1],
    }


def _top() -> int:
    from shopcare.core.config import setting

    return int(setting("SHOPCARE_INSIGHTS_TOP"))


def dashboard(insights: Insights, period: Period, grain: str = "month") -> dict[str, Any]:
    """Everything the dashboard shows for ``period`` against the period of the same
    length before it: ``{"period", "comparison", "grain", "headlines": {name:
    {"current", "previous", "change"}}, "refunded": {"current": {currency: str},
    "previous": …}, "tables": [Table.as_dict()]}``."""
    previous = period.previous()
    top = _top()

    def returns() -> ReturnsSummary:
        found = insights.returns_summary(period, grain)
        found.top(top)  # computed here, in its lane
        return found

    # independent questions, longest first: on PostgreSQL several at once (one snapshot)
    got = gather(
        {
            "customers": lambda: insights.customer_figures(period),
            "returned": returns,
            "deliveries": lambda: insights.deliveries(period),
            "tickets": lambda: insights.complaints(period),
            "tickets_before": lambda: insights.complaints(previous),
            "answers": lambda: summary(insights, period).prepared(),
            "guarantees": lambda: insights.guarantee_claims(period),
            "small": lambda: (
                insights.response_rate(period),
                insights.response_rate(previous),
                insights.refunded(period),
                insights.refunded(previous),
            ),
        }
    )
    tickets, tickets_before = got["tickets"], got["tickets_before"]
    answers, returned = got["answers"], got["returned"]
    response_rate, response_rate_before, refunded, refunded_before = got["small"]
    found_segments, found_ladder = got["customers"]
    seg, moves = segments(insights, period, found_segments)
    ladder, flows = loyalty(insights, period, found_ladder)
    tables = [
        indices(insights, period, answers),
        index_trend(insights, period, answers),
        distribution(insights, period, "nps", answers),
        distribution(insights, period, "rating", answers),
        distribution(insights, period, "ces", answers),
        *complaints_tables(insights, period, tickets),
        returns_trend(insights, period, grain, returned),
        returns_by(insights, period, "product", limit=top, found=returned),
        returns_by(insights, period, "category", found=returned),
        returns_by(insights, period, "reason", found=returned),
        guarantees(insights, period, got["guarantees"]),
        deliveries(insights, period, got["deliveries"]),
        seg,
        moves,
        ladder,
        flows,
    ]
    return {
        "period": period.as_dict(),
        "comparison": previous.as_dict(),
        "grain": grain,
        "headlines": {
            "nps": headline(answers.nps(), answers.nps("previous")),
            "csat": headline(answers.csat(), answers.csat("previous")),
            "ces": headline(answers.ces(), answers.ces("previous")),
            "response_rate": headline(response_rate, response_rate_before),
            "handling": headline(tickets["handling"], tickets_before["handling"]),
            "return_rate": headline(returned.total(), returned.total("previous")),
        },
        "refunded": {
            "current": {k: str(v) for k, v in refunded.items()},
            "previous": {k: str(v) for k, v in refunded_before.items()},
        },
        "tables": [table.as_dict() for table in tables],
    }
