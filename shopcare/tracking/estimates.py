"""Delivery estimates from the shop's own history.

For a carrier (and the destination country when known) the window runs from the
20th to the 80th percentile (``SHOPCARE_ESTIMATE_PERCENTILES``) of the transit times,
shipped → delivered, of the shop's recent deliveries (``SHOPCARE_ESTIMATE_WINDOW_DAYS``,
at most :data:`MAX_SAMPLE` of them). With fewer than ``SHOPCARE_ESTIMATE_MIN_SAMPLE``
deliveries the carrier's ``default_transit_days`` stand in.

The percentiles are computed by PostgreSQL (``percentile_cont``); SQLite returns just
the durations column, bounded, and Python interpolates the same way. An estimate is
computed when a shipment ships and stored on it, and memoised for the rest of the
request or CLI run, so the order page never recomputes it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from flask import g
from sqlalchemy import ColumnElement, Float, cast, func, literal, select

from shopcare.core.config import setting
from shopcare.core.db import session, utcnow
from shopcare.core.i18n import shop_zone
from shopcare.tracking.carriers import default_transit_days, normalize_carrier, normalize_country
from shopcare.tracking.models import Shipment

#: The most recent deliveries an estimate reads; older ones add little and cost more.
MAX_SAMPLE = 2000


@dataclass(frozen=True)
class TransitEstimate:
    """How many days a parcel of a carrier takes, and what the figure rests on.

    ``source`` is ``"history"`` (``sample`` of the shop's deliveries) or
    ``"carrier"`` (the configured default; ``sample`` is how many deliveries there were).
    """

    low_days: float
    median_days: float
    high_days: float
    sample: int
    source: str

    def window(self, shipped_at: datetime) -> tuple[datetime, datetime]:
        """The delivery window for a parcel shipped at ``shipped_at``: from the start
        of its first day to the end of its last day, in the shop's time zone."""
        zone = shop_zone()
        shipped_on = shipped_at.astimezone(zone).date()
        first = shipped_on + timedelta(days=math.floor(self.low_days))
        last = shipped_on + timedelta(days=max(math.ceil(self.high_days), 1))
        return _start_of(first, zone), _start_of(last + timedelta(days=1), zone) - timedelta(
            microseconds=1
        )


def _start_of(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile of ascending values, interpolated linearly (what
    PostgreSQL's ``percentile_cont`` returns)."""
    if not sorted_values:
        raise ValueError("no values")
    position = fraction * (len(sorted_values) - 1)
    below = math.floor(position)
    above = min(below + 1, len(sorted_values) - 1)
    weight = position - below
    return sorted_values[below] * (1 - weight) + sorted_values[above] * weight


def _transit_days() -> ColumnElement[Any]:
    """Shipped → delivered, in (fractional) days, in this database's dialect."""
    if session().get_bind().dialect.name == "postgresql":
        seconds = func.extract("epoch", Shipment.delivered_at - Shipment.shipped_at)
        return cast(seconds, Float) / literal(86400.0)
    return cast(func.julianday(Shipment.delivered_at) - func.julianday(Shipment.shipped_at), Float)


def _history(
    carrier: str, country: str | None, since: datetime, fractions: tuple[float, float, float]
) -> tuple[int, tuple[float, float, float] | None]:
    """How many recent deliveries there are and their three quantiles (one query)."""
    days = _transit_days().label("days")
    recent = select(days).where(
        Shipment.carrier == carrier,
        Shipment.delivered_at.is_not(None),
        Shipment.delivered_at >= since,
        Shipment.delivered_at >= Shipment.shipped_at,
    )
    if country is not None:
        recent = recent.where(Shipment.destination_country == country)
    recent = recent.order_by(Shipment.delivered_at.desc()).limit(MAX_SAMPLE)
    db = session()
    if db.get_bind().dialect.name == "postgresql":
        sample = recent.subquery()
        quantiles = [
            func.percentile_cont(fraction).within_group(sample.c.days) for fraction in fractions
        ]
        row = db.execute(select(func.count(), *quantiles).select_from(sample)).one()
        count = int(row[0])
        if not count:
            return 0, None
        return count, (float(row[1]), float(row[2]), float(row[3]))
    values = sorted(float(value) for value in db.scalars(recent))
    if not values:
        return 0, None
    low, mid, high = (percentile(values, fraction) for fraction in fractions)
    return len(values), (low, mid, high)


def transit_estimate(carrier: str, country: str | None = None) -> TransitEstimate:
    """The transit time of ``carrier`` (to ``country`` when it has enough history of
    its own, else to anywhere), or the carrier's default without enough history."""
    memo: dict[tuple[str, str | None], TransitEstimate] = g.setdefault(
        "shopcare_transit_estimates", {}
    )
    key = (carrier, country)
    if key not in memo:
        memo[key] = _compute(carrier, country)
    return memo[key]


def _compute(carrier: str, country: str | None) -> TransitEstimate:
    low_fraction, high_fraction = setting("SHOPCARE_ESTIMATE_PERCENTILES")
    fractions = (float(low_fraction), 0.5, float(high_fraction))
    minimum = max(1, int(setting("SHOPCARE_ESTIMATE_MIN_SAMPLE")))
    since = utcnow() - timedelta(days=int(setting("SHOPCARE_ESTIMATE_WINDOW_DAYS")))
    seen = 0
    for scope in [country, None] if country else [None]:
        count, quantiles = _history(carrier, scope, since, fractions)
        seen = max(seen, count)
        if quantiles is not None and count >= minimum:
            low, mid, high = quantiles
            return TransitEstimate(low, mid, high, count, "history")
    low_days, high_days = default_transit_days(carrier)
    return TransitEstimate(
        float(low_days), (low_days + high_days) / 2, float(high_days), seen, "carrier"
    )


def forget_estimates() -> None:
    """Drop the memoised estimates (after recording deliveries in the same run)."""
    g.pop("shopcare_transit_estimates", None)


def estimate(carrier: str, destination_country: str | None = None) -> TransitEstimate:
    """The transit time of ``carrier`` from the shop's own history (or its default).

    :raises ValidationError: for an unknown carrier or a malformed country code.
    """
    return transit_estimate(normalize_carrier(carrier), normalize_country(destination_country))
