"""Complaint-handling figures from ``shopcare.feedback``'s tickets: volume by kind and
area, first-response and resolution times, the share within target (with its stated
denominator) and the shoppers' satisfaction with the handling."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select

from shopcare.core.db import session
from shopcare.feedback.models import Ticket
from shopcare.insights import stats
from shopcare.insights.periods import Period
from shopcare.insights.sql import dialect, nearest_ranks, seconds_between


def _in(period: Period) -> Any:
    return and_(Ticket.created_at >= period.start_utc, Ticket.created_at < period.end_utc)


def volume(period: Period) -> list[dict[str, Any]]:
    """Tickets opened in the period by kind and area: ``[{"kind", "area", "tickets"}]``."""
    rows = (
        session()
        .execute(
            select(Ticket.kind, Ticket.area, func.count())
            .where(_in(period))
            .group_by(Ticket.kind, Ticket.area)
            .order_by(func.count().desc(), Ticket.kind, Ticket.area)
        )
        .all()
    )
    return [{"kind": k, "area": a, "tickets": int(n)} for k, a, n in rows]


def times(period: Period, done: Any) -> dict[str, Any]:
    """Hours from opening to ``done`` (a Ticket column) for tickets opened in the period
    that have it: ``{"n", "median_hours", "p90_hours"}`` (nearest rank, calendar hours),
    with window functions (SQLite; :func:`figures` takes them by ``percentile_disc`` on
    PostgreSQL)."""
    hours = seconds_between(Ticket.created_at, done) / 3600.0
    ranked = (
        select(
            hours.label("hours"),
            func.row_number().over(order_by=hours).label("rank"),
            func.count().over().label("n"),
        )
        .where(_in(period), done.is_not(None))
        .subquery()
    )

    def nearest(percent: int) -> Any:
        return func.max(case((ranked.c.rank == (ranked.c.n * percent + 99) // 100, ranked.c.hours)))

    n, median, p90 = (
        session().execute(select(func.count(), nearest(50), nearest(90)).select_from(ranked)).one()
    )
    return _times(n, median, p90)


def _times(n: Any, median: Any, p90: Any) -> dict[str, Any]:
    return {
        "n": int(n),
        "median_hours": None if median is None else round(float(median), 1),
        "p90_hours": None if p90 is None else round(float(p90), 1),
    }


def sla(period: Period, done: Any, due: Any, now: datetime) -> stats.SlaShare:
    """The share of tickets opened in the period, with a target (``due``), that met it:
    done by the due time. Missed: done late, or still not done when due has passed.
    Tickets without a target, and those not done whose due time is still ahead, are not
    in the denominator."""
    met, breached, overdue = (
        session().execute(select(*_sla_sums(done, due, now)).where(_in(period))).one()
    )
    return _sla(met, breached, overdue)


def handling(period: Period, minimum: int) -> tuple[stats.Figure, dict[int, int]]:
    """Satisfaction with the handling (1-5, asked when a ticket is closed): the share of
    4 and 5 (Wilson) and the distribution, for tickets opened in the period."""
    rows = (
        session()
        .execute(
            select(Ticket.satisfaction_score, func.count())
            .where(_in(period), Ticket.satisfaction_score.is_not(None))
            .group_by(Ticket.satisfaction_score)
        )
        .all()
    )
    counts = {value: 0 for value in range(1, 6)}
    counts.update({int(v or 0): int(n) for v, n in rows})
    return stats.wilson(counts[4] + counts[5], sum(counts.values()), minimum=minimum), counts


def figures(period: Period, now: datetime, minimum: int) -> dict[str, Any]:
    """Everything :meth:`Insights.complaints` reports for one period: on PostgreSQL in
    two statements (the volume, then every other figure as filtered aggregates over one
    scan of the period's tickets), on SQLite one statement per figure."""
    if dialect() != "postgresql":
        handled, spread = handling(period, minimum)
        return {
            "volume": volume(period),
            "first_response": times(period, Ticket.first_response_at),
            "resolution": times(period, Ticket.resolved_at),
            "first_response_sla": sla(
                period, Ticket.first_response_at, Ticket.first_response_due_at, now
            ),
            "resolution_sla": sla(period, Ticket.resolved_at, Ticket.resolution_due_at, now),
            "handling": handled,
            "handling_distribution": spread,
        }
    measures: list[Any] = []
    for done in (Ticket.first_response_at, Ticket.resolved_at):
        hours = seconds_between(Ticket.created_at, done) / 3600.0
        has = done.is_not(None)
        measures += [func.count(done), nearest_ranks((50, 90), hours).filter(has)]
    for done, due in (
        (Ticket.first_response_at, Ticket.first_response_due_at),
        (Ticket.resolved_at, Ticket.resolution_due_at),
    ):
        measures += _sla_sums(done, due, now)
    score = Ticket.satisfaction_score
    measures += [func.count().filter(score == value) for value in range(1, 6)]
    row = session().execute(select(*measures).where(_in(period))).one()
    counts = {value: int(row[10 + value - 1] or 0) for value in range(1, 6)}
    return {
        "volume": volume(period),
        "first_response": _times(row[0], *(row[1] or (None, None))),
        "resolution": _times(row[2], *(row[3] or (None, None))),
        "first_response_sla": _sla(*row[4:7]),
        "resolution_sla": _sla(*row[7:10]),
        "handling": stats.wilson(counts[4] + counts[5], sum(counts.values()), minimum=minimum),
        "handling_distribution": counts,
    }


def _sla_sums(done: Any, due: Any, now: datetime) -> list[Any]:
    """Tickets that met the target, closed late, and are open past it (see :func:`sla`)."""
    return [
        func.sum(case((and_(due.is_not(None), done.is_not(None), done <= due), 1), else_=0)),
        func.sum(case((and_(due.is_not(None), done.is_not(None), done > due), 1), else_=0)),
        func.sum(case((and_(due.is_not(None), done.is_(None), due < now), 1), else_=0)),
    ]


def _sla(met: Any, breached: Any, overdue: Any) -> stats.SlaShare:
    return stats.sla_share(
        met=int(met or 0), breached=int(breached or 0), overdue=int(overdue or 0)
    )
