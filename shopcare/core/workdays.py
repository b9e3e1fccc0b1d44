"""The shop's public holidays: one rule for every domain that counts working days or
business hours (the cases' withdrawal period, the suggestion box's SLA).

Holidays come from the ``holidays`` package for ``SHOPCARE_COUNTRY`` (and
``SHOPCARE_COUNTRY_SUBDIVISION``), loaded per calendar year on demand, so a period
crossing the year end sees the next year's holidays too.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from shopcare.core.config import setting


@lru_cache(maxsize=64)
def _holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


def is_public_holiday(day: date) -> bool:
    """Whether ``day`` is a public holiday of the shop's country (and region); never
    when ``SHOPCARE_COUNTRY`` is not set."""
    return is_holiday_in(day, setting("SHOPCARE_COUNTRY"), setting("SHOPCARE_COUNTRY_SUBDIVISION"))


def is_holiday_in(day: date, country: Any, subdivision: Any) -> bool:
    """:func:`is_public_holiday` for the given ``SHOPCARE_COUNTRY`` and
    ``SHOPCARE_COUNTRY_SUBDIVISION`` values (a caller that read them once)."""
    if not country:
        return False
    return day in _holidays(str(country), subdivision, day.year)
