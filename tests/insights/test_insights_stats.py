"""The intervals and rules the dashboard's figures rest on, against published worked
examples and hand computations (no database)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from shopcare.insights import stats
from shopcare.insights.periods import Period, preset
from shopcare.insights.stats import Figure


def close(figure: Figure, value: float, low: float, high: float, places: int = 2) -> None:
    assert figure.value is not None and figure.low is not None and figure.high is not None
    assert round(figure.value, places) == value
    assert round(figure.low, places) == low
    assert round(figure.high, places) == high


# -- Wilson --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        # Newcombe, R. G. (1998), "Two-sided confidence intervals for the single
        # proportion: comparison of seven methods", Statistics in Medicine 17, 857-872,
        # Table II, method 3 (Wilson score, no continuity correction):
        (81, 263, 25.53, 36.62),  # 0.2553 - 0.3662
        (15, 148, 6.24, 16.05),  # 0.0624 - 0.1605
        (0, 20, 0.0, 16.11),  # 0.0000 - 0.1611
        (1, 29, 0.61, 17.18),  # 0.0061 - 0.1718
    ],
)
def test_wilson_matches_newcombes_worked_examples(
    successes: int, n: int, low: float, high: float
) -> None:
    figure = stats.wilson(successes, n, minimum=1)
    assert figure.low is not None and figure.high is not None
    assert round(figure.low, 2) == low
    assert round(figure.high, 2) == high
    assert figure.value == pytest.approx(100 * successes / n)


def test_csat_is_hidden_below_the_minimum_and_shown_at_it() -> None:
    assert stats.wilson(20, 29) == Figure(None, 29)  # default minimum 30: too few answers
    assert stats.wilson(20, 29).hidden
    # exactly 30 answers, 24 of 4 or 5: 80 %; Wilson by hand:
    # p = 0.8, z² = 3.841459; centre = (0.8 + 3.841459/60) / (1 + 3.841459/30)
    #   = 0.864024/1.128049 = 0.765947
    # half = 1.959964·√(0.8·0.2/30 + 3.841459/3600) / 1.128049
    #   = 1.959964·√0.0064004/1.128049 = 1.959964·0.0800025/1.128049 = 0.139003
    close(stats.wilson(24, 30), 80.0, 62.69, 90.49)


def test_empty_data_is_no_data_not_zero() -> None:
    for figure in (stats.wilson(0, 0), stats.nps(0, 0, 0), stats.mean_t(0, 0, 0)):
        assert figure == Figure(None, 0)
        assert not figure.hidden


# -- NPS, adjusted-Wald ----------------------------------------------------------------


def test_nps_adjusted_wald_by_hand() -> None:
    """The adjusted-Wald interval of Rocks (2016), The American Statistician 70(4),
    365-372, as Sauro and Lewis recommend it (MeasuringU, 2021: add 3 to n and 3/4 to
    promoters and detractors). 100 answers, 50 promoters, 20 detractors:
    n' = 103, p' = 50.75/103 = 0.492718, d' = 20.75/103 = 0.201456,
    p' - d' = 0.291262, var = (0.694175 - 0.084834)/103 = 0.0059159,
    margin = 1.96·0.076915 = 0.150751 -> 14.05 to 44.20 around the NPS of 30."""
    close(stats.nps(50, 20, 100), 30.0, 14.05, 44.20)


def test_nps_at_the_extremes_stays_within_minus_100_and_100() -> None:
    everyone = stats.nps(30, 0, 30)
    assert everyone.value == 100.0
    assert everyone.high is not None and everyone.high <= 100.0
    nobody = stats.nps(0, 30, 30)
    assert nobody.low is not None and nobody.low >= -100.0


def test_nps_single_answer_is_hidden_by_default_and_shown_when_allowed() -> None:
    assert stats.nps(1, 0, 1) == Figure(None, 1)
    one = stats.nps(1, 0, 1, minimum=1)
    assert one.value == 100.0 and one.low is not None and one.low < 0


def test_nps_refuses_counts_that_do_not_add_up() -> None:
    with pytest.raises(ValueError):
        stats.nps(20, 20, 30)


# -- t interval ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("df", "quantile"),
    # Student's t, two-sided 95 % (the 0.975 quantile), as printed in every table
    # (e.g. NIST/SEMATECH e-Handbook of Statistical Methods, table 1.3.6.7.2).
    [
        (1, 12.706),
        (2, 4.303),
        (3, 3.182),
        (4, 2.776),
        (5, 2.571),
        (9, 2.262),
        (29, 2.045),
        (100, 1.984),
    ],
)
def test_t_quantile_matches_the_printed_table(df: int, quantile: float) -> None:
    assert round(stats.t_quantile(0.975, df), 3) == quantile
    assert stats.t_quantile(0.025, df) == pytest.approx(-stats.t_quantile(0.975, df))


@pytest.mark.parametrize("df", [3, 7, 30, 250, 4_000, 99_999])
@pytest.mark.parametrize("p", [0.6, 0.9, 0.975, 0.999])
def test_t_quantile_inverts_the_distribution_function(df: int, p: float) -> None:
    """Newton's method from the Cornish-Fisher start lands where the distribution
    function gives ``p`` back, from a few degrees of freedom to a big dashboard's."""
    assert stats.t_cdf(stats.t_quantile(p, df), df) == pytest.approx(p, abs=1e-10)


def test_t_quantile_tends_to_the_normal_quantile() -> None:
    assert stats.t_quantile(0.975, 10**7) == pytest.approx(stats.Z95, abs=1e-6)


@pytest.mark.parametrize(("p", "df"), [(0.0, 5), (1.0, 5), (0.5, 0), (0.5, -1)])
def test_t_quantile_refuses_what_has_no_quantile(p: float, df: float) -> None:
    with pytest.raises(ValueError):
        stats.t_quantile(p, df)


def test_ces_mean_with_t_interval_by_hand() -> None:
    """Ten CES answers 5,6,7,5,6,4,7,6,5,6: sum 57, squares 333, mean 5.7,
    s² = (333 - 10·5.7²)/9 = 8.1/9 = 0.9, s = 0.948683, s/√10 = 0.3,
    t(0.975, 9) = 2.262157 -> 5.7 ± 0.678647 = 5.02 to 6.38."""
    values = [5, 6, 7, 5, 6, 4, 7, 6, 5, 6]
    figure = stats.mean_t(len(values), sum(values), sum(v * v for v in values), minimum=10)
    close(figure, 5.7, 5.02, 6.38)
    assert stats.mean_t(9, 51, 300, minimum=10) == Figure(None, 9)


def test_a_single_value_has_no_interval() -> None:
    assert stats.mean_t(1, 6, 36, minimum=1) == Figure(6.0, 1)


def test_answer_score_formula() -> None:
    # DOMAIN.md: 100·(v - 1)/(k - 1)
    assert stats.answer_score(1, 5) == 0.0
    assert stats.answer_score(4, 5) == 75.0
    assert stats.answer_score(7, 7) == 100.0


# -- "no clear change" -----------------------------------------------------------------


def test_overlapping_intervals_are_no_clear_change() -> None:
    # 60 % of 30 against 70 % of 30: intervals 42-76 and 52-83 overlap
    before, after = stats.wilson(18, 30), stats.wilson(21, 30)
    assert stats.change(after, before) == stats.NO_CLEAR_CHANGE
    assert stats.change(before, after) == stats.NO_CLEAR_CHANGE


def test_separate_intervals_are_a_rise_or_a_fall() -> None:
    before, after = stats.wilson(30, 300), stats.wilson(150, 300)
    assert stats.change(after, before) == stats.RISE
    assert stats.change(before, after) == stats.FALL


def test_a_hidden_figure_is_never_compared() -> None:
    assert stats.change(stats.wilson(5, 10), stats.wilson(150, 300)) == stats.NO_DATA


# -- SLA share (PITFALLS: "An SLA share with an unstated denominator") -----------------


def test_sla_share_counts_only_tickets_with_a_target() -> None:
    """10 tickets, 4 without a target; of the 6 with one: 3 met, 1 breached and closed,
    2 open and overdue: 3 of 6 = 50 %, with n = 6 and the rule."""
    share = stats.sla_share(met=3, breached=1, overdue=2)
    assert share.figure.value == 50.0
    assert share.figure.n == 6
    assert share.met == 3 and share.denominator == 6
    assert "6" in share.rule and "3" in share.rule


# -- periods ---------------------------------------------------------------------------

MADRID = ZoneInfo("Europe/Madrid")


def test_comparison_period_has_the_same_length() -> None:
    """PITFALLS: 2 March - 31 March against the previous period compares with the 30
    days before: 31 January - 1 March."""
    march = Period(date(2026, 3, 2), date(2026, 4, 1), MADRID)
    before = march.previous()
    assert march.days == before.days == 30
    assert before.start == date(2026, 1, 31)
    assert before.last_day == date(2026, 3, 1)


def test_period_bounds_are_midnight_in_the_shops_zone() -> None:
    march = Period(date(2026, 3, 1), date(2026, 4, 1), MADRID)
    assert march.start_utc.isoformat() == "2026-02-28T23:00:00+00:00"  # CET
    assert march.end_utc.isoformat() == "2026-03-31T22:00:00+00:00"  # CEST


def test_weeks_run_monday_to_sunday_in_the_shops_zone() -> None:
    weeks = Period(date(2026, 3, 23), date(2026, 4, 6), MADRID).buckets("week")
    assert [w.label for w in weeks] == ["2026-W13", "2026-W14"]
    assert weeks[1].start_utc.isoformat() == "2026-03-29T22:00:00+00:00"


def test_buckets_are_clipped_to_the_period() -> None:
    months = Period(date(2026, 1, 15), date(2026, 3, 10), MADRID).buckets("month")
    assert [(m.start, m.end) for m in months] == [
        (date(2026, 1, 15), date(2026, 2, 1)),
        (date(2026, 2, 1), date(2026, 3, 1)),
        (date(2026, 3, 1), date(2026, 3, 10)),
    ]


def test_presets() -> None:
    today = date(2026, 5, 17)
    assert preset("30d", today, MADRID).start == date(2026, 4, 18)
    assert preset("30d", today, MADRID).last_day == today
    assert preset("quarter", today, MADRID).start == date(2026, 4, 1)
    with pytest.raises(ValueError):
        preset("week", today, MADRID)
