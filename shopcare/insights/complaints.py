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
from shopcare.insights.sql import seconds_between


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
    that have it: ``{"n", "median_hours", "p90_hours"}`` (nearest rank, calendar hours)."""
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
        session()
        .execute(
            select(
                func.sum(
                    case((and_(due.is_not(None), done.is_not(None), done <= due), 1), else_=0)
                ),
                func.sum(case((and_(due.is_not(None), done.is_not(None), done > due), 1), else_=0)),
                func.sum(case((and_(due.is_not(None), done.is_(None), due < now), 1), else_=0)),
            ).where(_in(period))
        )
        .one()
    )
    return stats.sla_share(
        met=int(met or 0), breached=int(breached or 0), overdue=int(overdue or 0)
    )


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
