"""Periods and chart buckets, cut in the shop's time zone.

A :class:`Period` is a half-open range of whole days ``[start, end)`` in the shop's zone
(``SHOPCARE_DEFAULT_TIMEZONE``); its instants in UTC are what queries compare with. Its
comparison period is the one of the same length just before it (PITFALLS, "Comparison
periods of another length"). Weeks run Monday to Sunday and months from the 1st, both in
the shop's zone: an order at 00:30 on Monday 30 March 2026 in Madrid (22:30 UTC on the
Sunday) opens week 14, while one at 23:30 the evening before stays in week 13 (PITFALLS,
"Buckets cut in UTC").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

#: The period presets the dashboard offers (besides a custom range).
PRESETS = ("30d", "90d", "365d", "quarter")
#: How a chart cuts a period.
GRAINS = ("week", "month")


def _instant(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class Period:
    """Whole days ``[start, end)`` in ``zone``: ``start`` is the first day, ``end`` the
    day after the last."""

    start: date
    end: date
    zone: tzinfo

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("a period ends after it starts")

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last_day(self) -> date:
        """The period's last day (``end`` is the day after it)."""
        return self.end - timedelta(days=1)

    @property
    def start_utc(self) -> datetime:
        """The first instant of the period, aware, in UTC."""
        return _instant(self.start, self.zone)

    @property
    def end_utc(self) -> datetime:
        """The first instant after the period, aware, in UTC."""
        return _instant(self.end, self.zone)

    def previous(self) -> Period:
        """The period of the same number of days just before this one."""
        return Period(self.start - timedelta(days=self.days), self.start, self.zone)

    def buckets(self, grain: str = "month") -> list[Bucket]:
        """The weeks (Monday-Sunday) or calendar months that cut this period, the first
        and last clipped to it, each with its UTC bounds."""
        if grain not in GRAINS:
            raise ValueError(f"grain is one of {', '.join(GRAINS)}")
        found: list[Bucket] = []
        day = self.start
        while day < self.end:
            if grain == "week":
                following = day - timedelta(days=day.weekday()) + timedelta(days=7)
            else:
                following = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
            following = min(following, self.end)
            found.append(
                Bucket(day, following, _instant(day, self.zone), _instant(following, self.zone))
            )
            day = following
        return found

    def as_dict(self) -> dict[str, str]:
        """``{"start", "end", "last_day"}`` as ISO dates (``end`` exclusive)."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "last_day": self.last_day.isoformat(),
        }


@dataclass(frozen=True)
class Bucket:
    """One week or month of a chart: days ``[start, end)`` and their UTC instants."""

    start: date
    end: date
    start_utc: datetime
    end_utc: datetime

    @property
    def label(self) -> str:
        """``2026-W13`` for a week (ISO week of its first day), ``2026-03`` for a month
        (or the clipped range's first day when it does not start on the 1st or a Monday)."""
        if self.start.weekday() == 0 and (self.end - self.start).days <= 7:
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.start.day == 1:
            return self.start.strftime("%Y-%m")
        return self.start.isoformat()


def preset(name: str, today: date, zone: tzinfo) -> Period:
    """The period a preset names, ending with ``today`` (included): ``30d``, ``90d``,
    ``365d``, or ``quarter`` (from the quarter's first day to today).

    :raises ValueError: for an unknown preset.
    """
    end = today + timedelta(days=1)
    if name == "quarter":
        first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        return Period(first, end, zone)
    if name in ("30d", "90d", "365d"):
        return Period(end - timedelta(days=int(name[:-1])), end, zone)
    raise ValueError(f"preset is one of {', '.join(PRESETS)}")


def day_buckets(first: date, end: date, zone: tzinfo) -> list[Bucket]:
    """One bucket per shop-local day ``[first, end)`` with its UTC bounds: what the daily
    rollups cut their source rows by."""
    return [
        Bucket(
            first + timedelta(days=i),
            first + timedelta(days=i + 1),
            _instant(first + timedelta(days=i), zone),
            _instant(first + timedelta(days=i + 1), zone),
        )
        for i in range((end - first).days)
    ]


def today_in(zone: tzinfo, now: datetime | None = None) -> date:
    """Today's date in ``zone`` (``now`` aware, default the current time)."""
    return (now or datetime.now(UTC)).astimezone(zone).date()


def zone_name(zone: tzinfo) -> str:
    """The zone's IANA key (``Europe/Madrid``), what a rollup's watermark remembers."""
    return str(getattr(zone, "key", None) or zone)


def local_day(moment: Any, zone: tzinfo) -> date:
    """The day in ``zone`` of ``moment`` (an aware or naive-UTC datetime, or its ISO
    text as SQLite may return it)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).date()


#: Days shopcare counts from and to: a valid date outside is "out of range".
FIRST_YEAR, LAST_YEAR = 1970, 2999
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class DayOutOfRange(ValueError):
    """A well-formed date before :data:`FIRST_YEAR` or after :data:`LAST_YEAR`."""


def iso_day(value: str | None) -> date:
    """``value`` as a calendar date, written ``YYYY-MM-DD`` and nothing else (Python's
    ``date.fromisoformat`` also takes ``20260101`` and ISO weeks such as ``2026-W01``).

    :raises DayOutOfRange: a date before 1970 or after 2999.
    :raises ValueError: anything else that is not such a date.
    """
    if not _ISO_DAY.fullmatch(value or ""):
        raise ValueError(f"not a YYYY-MM-DD date: {value!r}")
    day = date.fromisoformat(value or "")
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise DayOutOfRange(f"{day.isoformat()} is outside {FIRST_YEAR}-{LAST_YEAR}")
    return day
