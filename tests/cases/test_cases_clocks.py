"""The three clocks at their boundaries (Europe/Madrid, holidays of Spain)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from tests.cases.helpers import CONFIG, delivered_order, lines, madrid


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(CONFIG)


def test_withdrawal_last_second_of_day_14_across_dst(care: Any) -> None:
    # Delivered Wed 14 Oct 2026; day 14 is Wed 28 Oct, after the change to CET on the 25th.
    delivered_order(care, delivered=madrid(2026, 10, 14, 12, 0))
    inside = care.cases.eligibility("SO-1", "withdrawal", now=madrid(2026, 10, 28, 23, 59, 59))
    assert inside.eligible
    assert inside.until == madrid(2026, 10, 29, 0, 0)
    outside = care.cases.eligibility("SO-1", "withdrawal", now=madrid(2026, 10, 29, 0, 0, 0))
    assert not outside.eligible
    assert outside.lines[0].refusal == "window_closed"
    assert "October 28" in (outside.lines[0].message or "")


def test_withdrawal_ending_on_a_sunday_moves_to_monday(care: Any) -> None:
    # Delivered Sun 1 Nov 2026 -> day 14 is Sunday 15 Nov -> Monday 16 Nov.
    delivered_order(care, delivered=madrid(2026, 11, 1, 10, 0))
    assert care.cases.eligibility("SO-1", "withdrawal", now=madrid(2026, 11, 16, 23, 59)).eligible
    assert not care.cases.eligibility("SO-1", "withdrawal", now=madrid(2026, 11, 17, 0, 0)).eligible


def test_year_end_holiday_and_weekend(care: Any) -> None:
    # Pitfall: delivered Fri 11 Dec 2026: day 14 is 25 Dec (holiday), then a weekend.
    delivered_order(care, delivered=madrid(2026, 12, 11, 9, 0))
    late_evening = madrid(2026, 12, 28, 23, 30)
    assert care.cases.eligibility("SO-1", "withdrawal", now=late_evening).eligible
    after = madrid(2026, 12, 29, 0, 10)
    assert after.astimezone(UTC).day == 28  # still the 28th in UTC
    assert not care.cases.eligibility("SO-1", "withdrawal", now=after).eligible


def test_withdrawal_runs_from_the_last_parcel(care: Any) -> None:
    # Pitfall: placed 1 June, parcels delivered 10 and 18 June: 30 June in time, last day 2 July.
    care.orders.record("SO-1", "ann@example.com", madrid(2026, 6, 1, 10), lines())
    care.tracking.add_shipment(
        "SO-1",
        carrier="dhl",
        tracking_number="A1",
        lines={"MUG-1": 3},
        shipped_at=madrid(2026, 6, 2, 10),
    )
    care.tracking.add_shipment(
        "SO-1",
        carrier="dhl",
        tracking_number="A2",
        lines={"TEA-9": 1},
        shipped_at=madrid(2026, 6, 3, 10),
    )
    care.tracking.add_event(
        "SO-1",
        "delivered",
        occurred_at=madrid(2026, 6, 10, 12),
        tracking_number="A1",
        carrier="dhl",
    )
    early = care.cases.eligibility("SO-1", "withdrawal", now=madrid(2026, 6, 12, 12))
    assert early.eligible and not early.started and early.until is None
    care.tracking.add_event(
        "SO-1",
        "delivered",
        occurred_at=madrid(2026, 6, 18, 12),
        tracking_number="A2",
        carrier="dhl",
    )
    check = care.cases.eligibility("SO-1", "withdrawal", now=madrid(2026, 6, 30, 12))
    assert check.eligible and check.until == madrid(2026, 7, 3, 0, 0)
    assert not care.cases.eligibility("SO-1", "withdrawal", now=madrid(2026, 7, 3, 0, 0)).eligible
    case = care.cases.open("SO-1", "withdrawal", {"MUG-1": 1}, now=madrid(2026, 6, 30, 12))
    assert case.status == "approved"


def test_no_recorded_delivery_is_not_started_never_expired(care: Any) -> None:
    care.orders.record("SO-1", "ann@example.com", madrid(2025, 1, 1, 10), lines())
    result = care.cases.eligibility("SO-1", "withdrawal", now=madrid(2026, 6, 1, 12))
    assert result.eligible and not result.started and result.until is None
    assert all(line.refusal is None for line in result.lines)


def test_return_window_and_final_sale(app: Any, care: Any) -> None:
    app.config.update(SHOPCARE_RETURN_DAYS=30, SHOPCARE_FINAL_SALE=("TEA-9",))
    delivered_order(care, delivered=madrid(2026, 2, 1, 10))
    result = care.cases.eligibility("SO-1", "return", now=madrid(2026, 3, 3, 23, 59, 59))
    assert result.line("MUG-1").eligible
    assert result.line("TEA-9").refusal == "final_sale"
    closed = care.cases.eligibility("SO-1", "return", now=madrid(2026, 3, 4, 0, 0))
    assert closed.line("MUG-1").message == "The return window closed on March 3."


def test_return_days_per_category(app: Any, care: Any) -> None:
    app.config.update(SHOPCARE_RETURN_DAYS_BY={"kitchen": 60})
    delivered_order(care, delivered=madrid(2026, 2, 1, 10))
    result = care.cases.eligibility("SO-1", "return", now=madrid(2026, 3, 20, 12))
    assert result.line("MUG-1").eligible and not result.line("TEA-9").eligible


def test_last_day_of_a_36_month_guarantee(care: Any) -> None:
    delivered_order(care, delivered=madrid(2026, 3, 2, 10))
    assert care.cases.eligibility("SO-1", "guarantee", now=madrid(2029, 3, 2, 23, 59, 59)).eligible
    expired = care.cases.eligibility("SO-1", "guarantee", now=madrid(2029, 3, 3, 0, 0))
    assert not expired.eligible and expired.lines[0].refusal == "expired"


def test_guarantee_extended_by_an_addon(app: Any, care: Any) -> None:
    app.config.update(SHOPCARE_GUARANTEE_ADDONS={"EXT-2Y": 24})
    order_lines = [
        *lines(),
        {"sku": "EXT-2Y", "name": "Two more years", "quantity": 1, "unit_price": "9.00"},
    ]
    delivered_order(care, delivered=madrid(2026, 3, 2, 10), order_lines=order_lines)
    assert (
        care.cases.eligibility("SO-1", "guarantee", now=madrid(2031, 3, 2, 12))
        .line("MUG-1")
        .eligible
    )


def test_eligibility_unknown_kind_or_order(care: Any) -> None:
    from shopcare import ValidationError

    with pytest.raises(ValidationError) as error:
        care.cases.eligibility("NOPE", "return")
    assert error.value.field == "reference"
    delivered_order(care)
    with pytest.raises(ValidationError):
        care.cases.eligibility("SO-1", "exchange")


def test_not_delivered_yet_refuses_returns(care: Any) -> None:
    care.orders.record("SO-1", "ann@example.com", datetime.now(UTC) - timedelta(days=1), lines())
    result = care.cases.eligibility("SO-1", "return")
    assert result.lines[0].refusal == "not_delivered"


def test_return_and_guarantee_run_per_line_while_another_parcel_travels(care: Any) -> None:
    care.orders.record("SO-1", "ann@example.com", madrid(2026, 6, 1, 10), lines())
    care.tracking.add_shipment(
        "SO-1",
        carrier="dhl",
        tracking_number="A1",
        lines={"MUG-1": 3},
        shipped_at=madrid(2026, 6, 2, 10),
    )
    care.tracking.add_shipment(
        "SO-1",
        carrier="dhl",
        tracking_number="A2",
        lines={"TEA-9": 1},
        shipped_at=madrid(2026, 6, 3, 10),
    )
    care.tracking.add_event(
        "SO-1",
        "delivered",
        occurred_at=madrid(2026, 6, 10, 12),
        tracking_number="A1",
        carrier="dhl",
    )
    returns = care.cases.eligibility("SO-1", "return", now=madrid(2026, 6, 12, 12))
    assert returns.line("MUG-1").eligible and returns.line("MUG-1").until == madrid(
        2026, 7, 11, 0, 0
    )
    assert returns.line("TEA-9").refusal == "not_delivered"
    assert (
        care.cases.eligibility("SO-1", "guarantee", now=madrid(2026, 6, 12, 12))
        .line("MUG-1")
        .eligible
    )


class _PerCall:
    """The clocks as module functions reading each setting on every call (what
    ``clocks.Rules`` replaced), as the oracle of the test below."""

    @staticmethod
    def local_day(moment: datetime) -> date:
        from shopcare.cases.clocks import shop_zone

        return moment.astimezone(shop_zone()).date()

    @staticmethod
    def end_of_day(day: date) -> datetime:
        from shopcare.cases.clocks import shop_zone

        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=shop_zone())

    @staticmethod
    def withdrawal_last_day(delivered: date) -> date:
        from shopcare.core.config import setting
        from shopcare.core.workdays import is_public_holiday

        day = delivered + timedelta(days=int(setting("SHOPCARE_WITHDRAWAL_DAYS")))
        while day.weekday() >= 5 or is_public_holiday(day):
            day += timedelta(days=1)
        return day

    @staticmethod
    def _by_line(table: dict[str, Any], sku: str, category: str | None, default: Any) -> Any:
        if sku in table:
            return table[sku]
        if category is not None and category in table:
            return table[category]
        return default

    @staticmethod
    def return_days(sku: str, category: str | None) -> int:
        from shopcare.core.config import setting

        return int(
            _PerCall._by_line(
                setting("SHOPCARE_RETURN_DAYS_BY") or {},
                sku,
                category,
                setting("SHOPCARE_RETURN_DAYS"),
            )
        )

    @staticmethod
    def is_final_sale(sku: str, category: str | None) -> bool:
        from shopcare.core.config import setting

        final = set(setting("SHOPCARE_FINAL_SALE") or ())
        return sku in final or (category is not None and category in final)

    @staticmethod
    def guarantee_months(sku: str, category: str | None, order_skus: set[str]) -> int:
        from shopcare.core.config import setting

        months = int(
            _PerCall._by_line(
                setting("SHOPCARE_GUARANTEE_MONTHS_BY") or {},
                sku,
                category,
                setting("SHOPCARE_GUARANTEE_MONTHS"),
            )
        )
        addons = setting("SHOPCARE_GUARANTEE_ADDONS") or {}
        return months + sum(int(extra) for addon, extra in addons.items() if addon in order_skus)


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"SHOPCARE_COUNTRY": None, "SHOPCARE_DEFAULT_TIMEZONE": "America/New_York"},
        {"SHOPCARE_COUNTRY_SUBDIVISION": "MD", "SHOPCARE_WITHDRAWAL_DAYS": 30},
        {
            "SHOPCARE_RETURN_DAYS": 15,
            "SHOPCARE_RETURN_DAYS_BY": {"MUG-1": 60, "kitchen": 45, "garden": 0},
            "SHOPCARE_FINAL_SALE": ["TEA-9", "sale"],
            "SHOPCARE_GUARANTEE_MONTHS": 24,
            "SHOPCARE_GUARANTEE_MONTHS_BY": {"kitchen": 12, "LAMP": "48"},
            "SHOPCARE_GUARANTEE_ADDONS": {"EXT-1": 12, "EXT-2": "6"},
            "SHOPCARE_RETURN_REPLACES_WITHDRAWAL": True,
        },
    ],
)
def test_rules_read_once_give_what_each_clock_reads(app: Any, config: dict[str, Any]) -> None:
    """``clocks.Rules`` (the settings read once per check) against the clocks as they
    were written before it, which read each setting on every call (kept here as the
    test's oracle: :class:`_PerCall`)."""
    from shopcare.cases import clocks as rules_module

    clocks = _PerCall
    app.config.update(config)
    rules = rules_module.Rules.read()
    assert rules.zone == rules_module.shop_zone()
    assert rules.shipping_skus == frozenset(app.config["SHOPCARE_SHIPPING_SKUS"])
    start = madrid(2026, 1, 1, 0, 30)
    for hours in range(0, 2 * 365 * 24, 7):
        moment = start + timedelta(hours=hours)
        assert rules.local_day(moment) == clocks.local_day(moment)
        day = moment.date()
        assert rules.end_of_day(day) == clocks.end_of_day(day)
        assert rules.withdrawal_last_day(day) == clocks.withdrawal_last_day(day)
    products = [("MUG-1", "kitchen"), ("TEA-9", None), ("LAMP", "sale"), ("SPADE", "garden")]
    for sku, category in products:
        for skus in (set(), {sku}, {sku, "EXT-1"}, {"EXT-1", "EXT-2"}):
            assert rules.guarantee_months(sku, category, skus) == clocks.guarantee_months(
                sku, category, skus
            )
        assert rules.return_days(sku, category) == clocks.return_days(sku, category)
        assert rules.is_final_sale(sku, category) == clocks.is_final_sale(sku, category)


def test_a_setting_changed_at_runtime_counts_from_the_next_check(app: Any, care: Any) -> None:
    delivered_order(care, delivered=madrid(2026, 10, 14, 12, 0))
    now = madrid(2026, 10, 20, 12, 0)
    assert care.cases.eligibility("SO-1", "return", now=now).eligible
    app.config["SHOPCARE_FINAL_SALE"] = ["kitchen", "TEA-9"]
    assert not care.cases.eligibility("SO-1", "return", now=now).eligible
    app.config["SHOPCARE_FINAL_SALE"] = ()
    app.config["SHOPCARE_RETURN_DAYS"] = 3
    assert care.cases.eligibility("SO-1", "return", now=now).line("MUG-1").refusal == (
        "window_closed"
    )
    before = care.cases.eligibility("SO-1", "withdrawal", now=now).until
    app.config["SHOPCARE_WITHDRAWAL_DAYS"] = 30
    assert care.cases.eligibility("SO-1", "withdrawal", now=now).until > before
