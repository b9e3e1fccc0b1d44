"""SLA clocks: when a target of so many hours is due, counted in the shop's business
hours or in calendar hours (``SHOPCARE_FEEDBACK_SLA_BUSINESS_HOURS``).

Business hours are ``SHOPCARE_FEEDBACK_OPENING_HOURS`` (per weekday, in the shop's zone
``SHOPCARE_DEFAULT_TIMEZONE``) minus the public holidays of ``SHOPCARE_COUNTRY``
(:mod:`shopcare.core.workdays`, loaded for every year the clock crosses). Each day's
opening and closing are built as local wall-clock times and only then turned into
instants, so a clock change between two days moves nothing: 16:00 Friday plus four
business hours of 09:00-17:00 is 12:00 on Monday, CEST or CET alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shopcare.core.config import setting
from shopcare.core.errors import ConfigError
from shopcare.core.workdays import is_public_holiday

#: a target is never searched further than this many days ahead (a shop with no
#: opening hours at all would otherwise loop for ever)
MAX_DAYS = 3660


def _zone() -> ZoneInfo:
    return ZoneInfo(str(setting("SHOPCARE_DEFAULT_TIMEZONE")))


def _hours(day: date) -> tuple[time, time] | None:
    table = setting("SHOPCARE_FEEDBACK_OPENING_HOURS") or {}
    hours = table.get(day.weekday(), table.get(str(day.weekday())))
    if not hours or is_public_holiday(day):
        return None
    try:
        opens, closes = (time.fromisoformat(str(value)) for value in hours)
    except (TypeError, ValueError) as error:
        raise ConfigError(
            f"SHOPCARE_FEEDBACK_OPENING_HOURS: {hours!r} is not (HH:MM, HH:MM)"
        ) from error
    return (opens, closes) if opens < closes else None


def _windows(start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The shop's open periods (UTC instants) from the day of ``start`` on."""
    zone = _zone()
    day = start.astimezone(zone).date()
    for _ in range(MAX_DAYS):
        hours = _hours(day)
        if hours is not None:
            opens = datetime.combine(day, hours[0], tzinfo=zone).astimezone(UTC)
            closes = datetime.combine(day, hours[1], tzinfo=zone).astimezone(UTC)
            yield opens, closes
        day += timedelta(days=1)


def business() -> bool:
    return bool(setting("SHOPCARE_FEEDBACK_SLA_BUSINESS_HOURS"))


def add_hours(start: datetime, hours: float) -> datetime:
    """The instant ``hours`` of SLA time after ``start`` (aware; returned in UTC).

    :raises ConfigError: when the opening hours leave no open time within ten years.
    """
    return add_seconds(start, hours * 3600)


def add_seconds(start: datetime, seconds: float) -> datetime:
    """Like :func:`add_hours`, in seconds."""
    start = start.astimezone(UTC)
    if not business():
        return start + timedelta(seconds=seconds)
    remaining = timedelta(seconds=max(seconds, 0))
    for opens, closes in _windows(start):
        if closes <= start:
            continue
        cursor = max(start, opens)
        if cursor + remaining <= closes:
            return cursor + remaining
        remaining -= closes - cursor
    raise ConfigError("SHOPCARE_FEEDBACK_OPENING_HOURS: no open time within ten years")


def seconds_between(start: datetime, end: datetime) -> float:
    """SLA seconds from ``start`` to ``end`` (0 when ``end`` is not later)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return 0.0
    if not business():
        return (end - start).total_seconds()
    total = 0.0
    for opens, closes in _windows(start):
        if opens >= end:
            break
        low, high = max(opens, start), min(closes, end)
        if high > low:
            total += (high - low).total_seconds()
    return total


def target_hours(name: str, priority: str) -> float | None:
    """The target of ``name`` (``first_response`` or ``resolution``) for ``priority``,
    in hours, or ``None`` when there is none."""
    key = {
        "first_response": "SHOPCARE_FEEDBACK_SLA_FIRST_RESPONSE_HOURS",
        "resolution": "SHOPCARE_FEEDBACK_SLA_RESOLUTION_HOURS",
    }[name]
    value = (setting(key) or {}).get(priority)
    return None if value is None else float(value)
