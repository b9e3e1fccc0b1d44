"""The returned lines' facts, kept by the worker, read by the dashboard's return figures.

A return rate's numerator is the units asked back on the case lines of returns and
withdrawals that count (``COUNTING``), by the delivery of their order. Read live, that is
one join of the case lines with their cases, order lines and orders: a pass over every
order line of the shop (two hundred thousand at 100,000 orders a year) for a few
thousand case lines. ``shopcare_insights_returned_lines`` holds what that join gives, one
row per counting case line with its order's delivery, the line's SKU and category and the
case's reason, so the dashboard reads a few thousand narrow rows instead.

It never goes stale: at read time (:func:`lines`) the cases opened since the worker's last
run (ids above the watermark's ``last_id``), the cases changed since (``updated_at`` above
its ``seen_at``, less :data:`RECHECK` for rows committed late; every change of a case sets
it) and the cases of the orders changed since (``orders.updated_at``: a delivery recorded
or moved, lines recorded again, an erasure) are read live, and their rows in the table are
left out. Before the first run everything is read live. An order deleted outright (nothing
in shopcare does it) counts until the next run.

The periodic task ``insights.rollup`` runs :func:`refresh` with the other rollups: it
rebuilds the table from the join (one pass: about 0.1 s for the benchmark's 15,000 cases)
and sets the two watermarks, locked for the run so that two workers wait for each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, text, union

from shopcare.cases.models import COUNTING, Case, CaseLine
from shopcare.core.db import session, utcnow
from shopcare.insights.marks import locked_watermark
from shopcare.insights.models import ReturnedLine, Rollup
from shopcare.orders.models import Order, OrderLine

#: The case kinds whose units are returned units.
RETURN_KINDS = ("return", "withdrawal")
#: The watermark rows' names in ``shopcare_insights_rollups``.
CASES = "returned_cases"
ORDERS = "returned_orders"
#: How far before the last run's newest change time a change is still read live (rows
#: committed after the run with an earlier time).
RECHECK = timedelta(minutes=10)

COLUMNS = ("case_line_id", "case_id", "order_id", "delivered_at", "sku", "category", "reason")


def source(*where: Any) -> Any:
    """The join the table holds: ``COLUMNS`` and ``quantity`` of every counting case line
    of a return or withdrawal on a delivered order (and ``where``); the live return
    figures (``Insights.return_rate`` by reason, a product's reasons) read it too."""
    return (
        select(
            CaseLine.id.label("case_line_id"),
            Case.id.label("case_id"),
            Order.id.label("order_id"),
            Order.delivered_at.label("delivered_at"),
            OrderLine.sku.label("sku"),
            func.coalesce(OrderLine.category, "").label("category"),
            func.coalesce(Case.reason, Case.kind).label("reason"),
            CaseLine.quantity.label("quantity"),
        )
        .select_from(CaseLine)
        .join(Case, Case.id == CaseLine.case_id)
        .join(OrderLine, OrderLine.id == CaseLine.order_line_id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Case.kind.in_(RETURN_KINDS),
            Case.status.in_(COUNTING),
            Order.delivered_at.is_not(None),
            *where,
        )
    )


def _marks() -> tuple[Rollup, Rollup] | None:
    """The two watermarks, or ``None`` before the first run."""
    rows = {
        row.name: row
        for row in session().scalars(select(Rollup).where(Rollup.name.in_([CASES, ORDERS])))
    }
    cases, orders = rows.get(CASES), rows.get(ORDERS)
    if cases is None or orders is None or cases.until is None or orders.until is None:
        return None
    return cases, orders


def _changed(column: Any, stamp: Any, mark: Rollup) -> Any:
    """Rows added (id above ``last_id``) or changed (``stamp`` above ``seen_at`` less
    :data:`RECHECK`) since the run that set ``mark``."""
    added = column > mark.last_id
    if mark.seen_at is None:
        return added
    return or_(added, stamp > mark.seen_at - RECHECK)


def lines(start_utc: datetime, end_utc: datetime) -> Any:
    """The returned lines of the orders delivered in ``[start_utc, end_utc)``,
    as a subquery of ``delivered_at``, ``sku``, ``category``, ``reason`` and ``quantity``:
    the table's rows for the cases and orders unchanged since the last run, the join's
    for the others (everything from the join before the first run). The same rows as
    the join alone gives."""
    window = (Order.delivered_at >= start_utc, Order.delivered_at < end_utc)
    marks = _marks()
    if marks is None:
        return source(*window).subquery("returned_lines")
    case_mark, order_mark = marks
    changed_cases = select(Case.id).where(_changed(Case.id, Case.updated_at, case_mark))
    changed_orders = select(Order.id).where(_changed(Order.id, Order.updated_at, order_mark))
    held = select(
        ReturnedLine.delivered_at,
        ReturnedLine.sku,
        ReturnedLine.category,
        ReturnedLine.reason,
        ReturnedLine.quantity,
    ).where(
        ReturnedLine.delivered_at >= start_utc,
        ReturnedLine.delivered_at < end_utc,
        ReturnedLine.case_id.not_in(changed_cases),
        ReturnedLine.order_id.not_in(changed_orders),
    )
    live = source(
        *window,
        Case.id.in_(union(changed_cases, select(Case.id).where(Case.order_id.in_(changed_orders)))),
    ).subquery("changed_lines")
    fresh = select(live.c.delivered_at, live.c.sku, live.c.category, live.c.reason, live.c.quantity)
    return held.union_all(fresh).subquery("returned_lines")


@dataclass
class Report:
    """What one run wrote."""

    rows: int = 0

    def __str__(self) -> str:
        return f"returned lines rebuilt: {self.rows} row(s)"


def refresh() -> Report:
    """Rebuild the table from the join and set the watermarks (the caller commits; the
    worker does)."""
    case_mark = locked_watermark(CASES)  # locked: one refresh at a time
    order_mark = locked_watermark(ORDERS)
    newest_case, case_seen = (
        session().execute(select(func.max(Case.id), func.max(Case.updated_at))).one()
    )
    newest_order, order_seen = (
        session().execute(select(func.max(Order.id), func.max(Order.updated_at))).one()
    )
    session().execute(delete(ReturnedLine))
    joined = source().subquery()
    session().execute(
        insert(ReturnedLine).from_select(
            [*COLUMNS, "quantity"], select(*(joined.c[name] for name in (*COLUMNS, "quantity")))
        )
    )
    report = Report(int(session().scalar(select(func.count()).select_from(ReturnedLine)) or 0))
    if session().get_bind().dialect.name == "postgresql":
        # the planner's row count for the fresh table
        session().execute(text("ANALYZE shopcare_insights_returned_lines"))
    now = utcnow()
    for mark, last_id, seen in (
        (case_mark, newest_case, case_seen),
        (order_mark, newest_order, order_seen),
    ):
        mark.until = now.date()  # built (rows of instants: no zone)
        mark.last_id = int(last_id or 0)
        mark.seen_at = seen
        mark.updated_at = now
    session().flush()
    return report
