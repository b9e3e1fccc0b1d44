"""The daily rollup of delivered units, kept by the worker, read by the return figures.

A return rate is returned units over delivered units. The returned units are few (the
case lines of returns and withdrawals) and are always read live; the delivered units are
every order line of every delivered order — two hundred thousand lines for a year and its
comparison year at 100,000 orders a year. ``shopcare_insights_daily_units`` holds them
per shop-local day of delivery and product category (``units``: the quantities added
up), so the dashboard's return rate of both periods, its trend and its categories add up
a few thousand rows instead of joining every line to its order.

It never goes stale for what happens now: the days from the watermark
(``shopcare_insights_rollups.until``, at most today) on are read live, and so is
everything when the rollup was cut in another zone than the shop's current one. An order
recorded *with a delivery in a closed day* (an import) counts there from the next run.

The periodic task ``insights.rollup`` (``shopcare.insights.rollup.refresh_task``) runs
:func:`refresh`: it computes every closed day's totals again in one grouped pass per
:data:`CHUNK_DAYS` days and writes only the days whose totals differ, so a changed
order, a line added, a delivery moved to another day or an erased order is reflected
after one run, whatever changed it. The watermark row is locked for the run (two workers
wait for each other). ``flask shopcare insights rebuild`` runs it by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, select

from shopcare.core.db import session, utcnow
from shopcare.core.i18n import shop_zone
from shopcare.insights.marks import locked_watermark
from shopcare.insights.models import DailyUnits, Rollup
from shopcare.insights.periods import (
    Bucket,
    _instant,
    day_buckets,
    local_day,
    today_in,
    zone_name,
)
from shopcare.insights.sql import bucket_index
from shopcare.orders.models import Order, OrderLine

#: The rollup's name in ``shopcare_insights_rollups``.
UNITS = "units"
#: Days computed per query (keeps each ``CASE`` tree and result small).
CHUNK_DAYS = 92


@dataclass
class Report:
    """What one run did: the days whose totals changed, and the rows written."""

    days: int = 0
    rows: int = 0
    rebuilt: str = ""

    def __str__(self) -> str:
        what = f"rebuilt ({self.rebuilt})" if self.rebuilt else "refreshed"
        return f"delivered units rollup {what}: {self.days} day(s) changed, {self.rows} row(s)"


def _category() -> Any:
    """The line's category, ``""`` without one (one object per query: PostgreSQL must see
    the grouped expression and the selected one as the same, bind parameter included)."""
    return func.coalesce(OrderLine.category, "").label("category")


def _live(first: date, end: date, zone: Any) -> dict[date, dict[str, int]]:
    """``{day: {category: units}}`` for the shop-local days ``[first, end)``, from the
    orders and their lines."""
    found: dict[date, dict[str, int]] = {}
    while first < end:
        stop = min(end, first + timedelta(days=CHUNK_DAYS))
        days = day_buckets(first, stop, zone)
        index = bucket_index(Order.delivered_at, days).label("bucket")
        category = _category()
        rows = session().execute(
            select(index, category, func.sum(OrderLine.quantity))
            .select_from(OrderLine)
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.delivered_at >= days[0].start_utc, Order.delivered_at < days[-1].end_utc)
            .group_by(index, category)
        )
        for i, group, units in rows:
            if i is not None and units:
                found.setdefault(days[int(i)].start, {})[group] = int(units)
        first = stop
    return found


def refresh(*, now: datetime | None = None, full: bool = False) -> Report:
    """Bring the rollup up to the shop-local day before today (the caller commits; the
    worker does): every closed day's totals computed again, the days that differ
    replaced. ``full`` replaces every day. Returns what was done."""
    zone = shop_zone()
    today = today_in(zone, now)
    state = locked_watermark(UNITS)
    report = Report()
    if full:
        report.rebuilt = "asked"
    elif state.zone != zone_name(zone):
        report.rebuilt = "first run" if state.until is None else "time zone changed"
    if report.rebuilt:
        session().execute(delete(DailyUnits))
    oldest = session().scalar(select(func.min(Order.delivered_at)))
    held: dict[date, dict[str, int]] = {}
    for day, category, units in session().execute(
        select(DailyUnits.day, DailyUnits.category, DailyUnits.units)
    ):
        held.setdefault(day, {})[category] = int(units)
    live = _live(local_day(oldest, zone), today, zone) if oldest is not None else {}
    changed = sorted(day for day in set(held) | set(live) if held.get(day) != live.get(day))
    for chunk in range(0, len(changed), 500):
        days = changed[chunk : chunk + 500]
        session().execute(delete(DailyUnits).where(DailyUnits.day.in_(days)))
        values = [
            {"day": day, "category": category, "units": units}
            for day in days
            for category, units in sorted(live.get(day, {}).items())
        ]
        if values:
            session().execute(insert(DailyUnits), values)
        report.rows += len(values)
    report.days = len(changed)
    state.zone = zone_name(zone)
    state.until = today
    state.updated_at = utcnow()
    session().flush()
    return report


def usable_until(zone: Any) -> date | None:
    """The first day not rolled up, or ``None`` when there is no rollup for ``zone``."""
    row = session().execute(select(Rollup.zone, Rollup.until).where(Rollup.name == UNITS)).first()
    if row is None or row.until is None or row.zone != zone_name(zone):
        return None
    return row.until


def delivered(buckets: Sequence[Bucket]) -> dict[tuple[int, str], int]:
    """Delivered units per ``(bucket index, category)`` for contiguous ``buckets`` (whole
    shop-local days): the rolled-up days from the rollup, the rest (today, or all without
    a usable rollup) live from the orders. Equal to adding up the order lines of the
    orders delivered in each bucket."""
    found: dict[tuple[int, str], int] = {}
    if not buckets:
        return found
    zone = shop_zone()
    until = usable_until(zone)
    first, end = buckets[0].start, buckets[-1].end
    split = first if until is None else max(first, min(until, end))
    if split > first:
        index = bucket_index(DailyUnits.day, buckets, dates=True).label("bucket")
        for i, category, units in session().execute(
            select(index, DailyUnits.category, func.sum(DailyUnits.units))
            .where(DailyUnits.day >= first, DailyUnits.day < split)
            .group_by(index, DailyUnits.category)
        ):
            if i is not None:
                found[(int(i), category)] = found.get((int(i), category), 0) + int(units)
    if split < end:
        index = bucket_index(Order.delivered_at, buckets).label("bucket")
        category = _category()
        for i, group, units in session().execute(
            select(index, category, func.sum(OrderLine.quantity))
            .select_from(OrderLine)
            .join(Order, Order.id == OrderLine.order_id)
            .where(
                and_(
                    Order.delivered_at >= _instant(split, zone),
                    Order.delivered_at < buckets[-1].end_utc,
                )
            )
            .group_by(index, category)
        ):
            if i is not None:
                found[(int(i), group)] = found.get((int(i), group), 0) + int(units or 0)
    return found
