"""The daily rollup of the survey answers, kept by the worker, read by the dashboard.

``shopcare_insights_daily_answers`` holds, per shop-local day, the answers grouped by
kind, area, type, question and value with their counts and weighted sums — exactly the
groups :class:`shopcare.insights.answers.Summary` adds up, so a year of figures reads a
few tens of thousands of grouped rows instead of every answer. The figures never go
stale: the days from the watermark (``shopcare_insights_rollups.until``, at most
today) on are read live from the answers, and so is everything when the rollup was cut
in another zone than the shop's current one.

The periodic task ``insights.rollup`` (every :data:`EVERY`, declared in
``shopcare.insights.wiring``) runs :func:`refresh`: it rolls up the days closed since
its last run, redoes the last :data:`RECHECK_DAYS` closed days and every older day that
got an answer since (answer ids above the watermark's ``last_id``), then checks that the
rollup counts as many answers as the table holds before today — when not (answers
erased, say), or when ``SHOPCARE_DEFAULT_TIMEZONE`` changed, it rebuilds everything.
Each day is replaced whole (delete, then insert its groups), and the watermark row is
locked (``SELECT … FOR UPDATE``) for the run, so two workers at once wait for each
other and leave the same rows. ``flask shopcare insights rebuild`` rebuilds by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

import click
from flask.cli import AppGroup
from sqlalchemy import delete, func, insert, select

from shopcare.core.db import session, utcnow
from shopcare.core.i18n import shop_zone
from shopcare.insights.marks import locked_watermark
from shopcare.insights.models import DailyAnswers, Rollup
from shopcare.insights.periods import _instant, day_buckets, local_day, today_in, zone_name
from shopcare.insights.sql import bucket_index
from shopcare.surveys.models import Answer

#: The rollup's name in ``shopcare_insights_rollups``.
ANSWERS = "answers"
#: How often the workers refresh the rollup.
EVERY = timedelta(minutes=10)
#: Closed days redone on every run whatever changed (answers committed late).
RECHECK_DAYS = 2
#: Days rolled up per query in a rebuild (keeps each ``CASE`` tree and result small).
CHUNK_DAYS = 92


@dataclass
class Report:
    """What one run did: ``rebuilt`` (everything redone, and why), the days redone."""

    rebuilt: str = ""
    days: int = 0
    rows: int = 0

    def __str__(self) -> str:
        what = f"rebuilt ({self.rebuilt})" if self.rebuilt else "refreshed"
        return f"answers rollup {what}: {self.days} day(s), {self.rows} row(s)"


def usable_until(zone: tzinfo) -> date | None:
    """The first day not rolled up (every day before it is), or ``None`` when there is
    no rollup for ``zone`` (never built, or cut in another zone): read it all live."""
    row = session().execute(select(Rollup.zone, Rollup.until).where(Rollup.name == ANSWERS)).first()
    if row is None or row.until is None or row.zone != zone_name(zone):
        return None
    return row.until


def _answers() -> Any:
    return Answer.value.is_not(None)


def _roll(first: date, end: date, zone: tzinfo) -> int:
    """Replace the rollup rows of the days ``[first, end)`` with the answers' groups."""
    rows = 0
    while first < end:
        stop = min(end, first + timedelta(days=CHUNK_DAYS))
        days = day_buckets(first, stop, zone)
        index = bucket_index(Answer.created_at, days).label("bucket")
        grouped = (
            session()
            .execute(
                select(
                    index,
                    Answer.kind,
                    Answer.area,
                    Answer.type,
                    Answer.question_id,
                    Answer.value,
                    func.count(Answer.id),
                    func.count(Answer.score),
                    func.coalesce(func.sum(Answer.weight), 0.0),
                    func.coalesce(func.sum(Answer.weight * Answer.score), 0.0),
                    func.coalesce(func.sum(Answer.weight * Answer.score * Answer.score), 0.0),
                )
                .where(
                    _answers(),
                    Answer.created_at >= days[0].start_utc,
                    Answer.created_at < days[-1].end_utc,
                )
                .group_by(
                    index, Answer.kind, Answer.area, Answer.type, Answer.question_id, Answer.value
                )
            )
            .all()
        )
        session().execute(
            delete(DailyAnswers).where(DailyAnswers.day >= first, DailyAnswers.day < stop)
        )
        values = [
            {
                "day": days[int(i)].start,
                "kind": kind,
                "area": area,
                "type": kind_type,
                "question_id": question,
                "value": value,
                "answers": int(n),
                "scored": int(scored),
                "weights": float(w),
                "total": float(t),
                "squares": float(s),
            }
            for i, kind, area, kind_type, question, value, n, scored, w, t, s in grouped
            if i is not None
        ]
        if values:
            session().execute(insert(DailyAnswers), values)
        rows += len(values)
        first = stop
    return rows


def _watermark(name: str = ANSWERS) -> Rollup:
    """The watermark row of the rollup ``name``, locked for this transaction."""
    return locked_watermark(name)


def _runs(days: set[date]) -> list[tuple[date, date]]:
    """Consecutive days as ``[(first, end)]`` ranges (end exclusive), oldest first."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] == day:
            runs[-1] = (runs[-1][0], day + timedelta(days=1))
        else:
            runs.append((day, day + timedelta(days=1)))
    return runs


def refresh(*, now: datetime | None = None, full: bool = False) -> Report:
    """Bring the rollup up to the shop-local day before today (the caller commits; the
    worker does). ``full`` rebuilds every day. Returns what was done."""
    zone = shop_zone()
    today = today_in(zone, now)
    state = _watermark()
    newest = int(session().scalar(select(func.max(Answer.id))) or 0)
    report = Report()
    if state.until is None:
        report.rebuilt = "first run"
    elif state.zone != zone_name(zone):
        report.rebuilt = f"time zone changed from {state.zone} to {zone_name(zone)}"
    elif full:
        report.rebuilt = "asked"
    if not report.rebuilt:
        assert state.until is not None
        redo_from = min(state.until, today) - timedelta(days=RECHECK_DAYS)
        report.rows += _roll(redo_from, today, zone)
        report.days += max(0, (today - redo_from).days)
        late = session().scalars(
            select(Answer.created_at)
            .where(
                _answers(),
                Answer.id > state.last_id,
                Answer.created_at < _instant(redo_from, zone),
            )
            .distinct()
        )
        for first, end in _runs({local_day(moment, zone) for moment in late}):
            report.rows += _roll(first, end, zone)
            report.days += (end - first).days
        rolled = session().scalar(
            select(func.coalesce(func.sum(DailyAnswers.answers), 0)).where(DailyAnswers.day < today)
        )
        held = session().scalar(
            select(func.count(Answer.id)).where(
                _answers(), Answer.created_at < _instant(today, zone)
            )
        )
        if int(rolled or 0) != int(held or 0):
            report = Report(rebuilt=f"{int(rolled or 0)} answers rolled up, {held} held")
    if report.rebuilt:
        session().execute(delete(DailyAnswers))
        oldest = session().scalar(select(func.min(Answer.created_at)).where(_answers()))
        first = local_day(oldest, zone) if oldest is not None else today
        report.rows = _roll(first, today, zone)
        report.days = max(0, (today - first).days)
    state.zone = zone_name(zone)
    state.until = today
    state.last_id = newest
    state.updated_at = utcnow()
    session().flush()
    return report


def refresh_all(*, now: datetime | None = None, full: bool = False) -> tuple[Any, Any, Any, Any]:
    """The answers' daily rollup, the delivered units' (``shopcare.insights.units``), the
    customer facts (``shopcare.insights.customers``) and the returned lines' facts
    (``shopcare.insights.returned``: rebuilt every run), each brought up to date (or
    rebuilt with ``full``); the caller commits. Returns their four reports."""
    from shopcare.insights import customers, returned, units

    return (
        refresh(now=now, full=full),
        units.refresh(now=now, full=full),
        customers.refresh(full=full),
        returned.refresh(),
    )


def refresh_task() -> None:
    """The periodic task ``insights.rollup`` (the worker commits): :func:`refresh_all`."""
    refresh_all()


insights_group = AppGroup("insights", help="The satisfaction dashboard.")


@insights_group.command("rebuild")
def rebuild_command() -> None:
    """Rebuild the daily rollups of the survey answers and of the delivered units, the
    customer facts and the returned lines' facts from scratch (after changing
    SHOPCARE_DEFAULT_TIMEZONE; the worker also does it when it sees the change)."""
    for report in refresh_all(full=True):
        click.echo(str(report))
    session().commit()
