"""Delivery estimates: from the shop's history, per country, and the carrier's fallback."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_interval
from flask_babel import force_locale

from shopcare.core.db import utcnow
from shopcare.tracking.estimates import TransitEstimate, percentile
from shopcare.tracking.views import date_window
from tests.tracking.helpers import make_order


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"SHOPCARE_ESTIMATE_MIN_SAMPLE": 8, "SHOPCARE_DEFAULT_TIMEZONE": "Europe/Madrid"}


def deliver(care, reference: str, carrier: str, days: float, *, country=None, ago=20) -> None:
    shipped = utcnow() - timedelta(days=ago)
    make_order(care, reference, placed_at=shipped - timedelta(hours=2))
    care.tracking.add_shipment(
        reference,
        carrier=carrier,
        tracking_number=reference,
        destination_country=country,
        shipped_at=shipped,
    )
    care.tracking.add_event(
        reference, "delivered", occurred_at=shipped + timedelta(days=days), notify=False
    )


def test_percentile_interpolates_like_percentile_cont():
    values = [1.0, 2.0, 3.0, 4.0, 10.0]
    assert percentile(values, 0.5) == 3.0
    assert percentile(values, 0.2) == pytest.approx(1.8)
    assert percentile(values, 0.8) == pytest.approx(5.2)
    assert percentile([7.0], 0.8) == 7.0


def test_without_history_the_carrier_default(care, db):
    estimate = care.tracking.estimate("dhl")
    assert estimate == TransitEstimate(2.0, 3.5, 5.0, 0, "carrier")
    madrid = ZoneInfo("Europe/Madrid")
    shipped = datetime(2026, 3, 10, 23, 30, tzinfo=madrid)  # late evening, shop time
    earliest, latest = estimate.window(shipped)
    assert earliest == datetime(2026, 3, 12, 0, 0, tzinfo=madrid)
    assert latest.astimezone(madrid).date().isoformat() == "2026-03-15"
    assert (latest.hour, latest.minute) == (23, 59)


def test_from_history_in_sql(care, db, count_queries):
    durations = [1.0, 1.5, 2.0, 2.0, 2.5, 3.0, 3.0, 4.0, 6.0, 9.0]
    for number, days in enumerate(durations):
        deliver(care, f"G-{number}", "gls", days)
    deliver(care, "OLD", "gls", 30.0, ago=400)  # outside the window
    deliver(care, "OTHER", "dhl", 1.0)  # another carrier
    db.session.commit()
    with count_queries() as statements:
        estimate = care.tracking.estimate("gls")
    assert len(statements) == 1
    assert estimate.source == "history" and estimate.sample == len(durations)
    ordered = sorted(durations)
    assert estimate.low_days == pytest.approx(percentile(ordered, 0.2), abs=1e-4)
    assert estimate.median_days == pytest.approx(percentile(ordered, 0.5), abs=1e-4)
    assert estimate.high_days == pytest.approx(percentile(ordered, 0.8), abs=1e-4)
    # Memoised for the rest of the run: no second query.
    with count_queries() as statements:
        assert care.tracking.estimate("gls") == estimate
    assert statements == []
    # A new shipment gets its window from the history.
    make_order(care, "NEW")
    shipment = care.tracking.add_shipment("NEW", carrier="gls", tracking_number="N")
    assert shipment.estimate_source == "history"


def test_by_country_when_it_has_enough_history(care, db):
    for number in range(8):
        deliver(care, f"ES-{number}", "gls", 1.0 + number * 0.1, country="ES")
        deliver(care, f"PT-{number}", "gls", 5.0 + number * 0.1, country="PT")
    db.session.commit()
    spain, portugal, france = (care.tracking.estimate("gls", c) for c in ("es", "PT", "FR"))
    assert spain.high_days < 2 and portugal.low_days > 5
    assert france.source == "history" and france.sample == 16  # the carrier as a whole
    assert spain.sample == portugal.sample == 8


def test_too_little_history_falls_back(care, db):
    for number in range(3):
        deliver(care, f"G-{number}", "gls", 9.0)
    db.session.commit()
    estimate = care.tracking.estimate("gls")
    assert estimate.source == "carrier" and estimate.sample == 3
    assert (estimate.low_days, estimate.high_days) == (1.0, 4.0)


def test_date_window_is_the_shop_days_in_the_shoppers_language(app):
    """The window is the two days in the shop's zone, written by Babel's own range
    pattern for the locale (whose exact wording is CLDR's, and changes between Babel
    releases: the test asks for the days, not for one release's spelling)."""
    madrid = ZoneInfo("Europe/Madrid")
    # 23:30 UTC on the 11th is already the 12th in Madrid; 22:59 UTC on the 14th is still the 14th.
    start = datetime(2026, 3, 11, 23, 30, tzinfo=UTC)
    end = datetime(2026, 3, 14, 22, 59, 59, tzinfo=UTC)
    assert start.astimezone(madrid).day == 12 and end.astimezone(madrid).day == 14
    for language in ("es", "en"):
        with app.test_request_context(), force_locale(language):
            expected = format_interval(
                date(2026, 3, 12), date(2026, 3, 14), "MMMMd", locale=language
            )
            assert date_window(start, end) == expected
            assert "12" in expected and "14" in expected and "11" not in expected
