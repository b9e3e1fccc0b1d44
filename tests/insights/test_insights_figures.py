"""Each figure against a hand-computed fixture (Europe/Madrid), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from shopcare.insights.stats import Figure
from tests.insights.helpers import CONFIG, case, madrid, order, shipment, utc


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(CONFIG)


MARCH = (date(2026, 3, 1), date(2026, 4, 1))


@pytest.fixture
def returns(care: Any) -> None:
    """March 2026: A delivered 5 March (MUG-1 x3 kitchen, TEA-9 x1), B 20 March (MUG-1 x2
    kitchen, SOCK x5 clothes); April: C 10 April (SOCK x5 clothes).
    Cases: A MUG-1 x2 return too_small approved (counts); B SOCK x1 return rejected (not);
    B MUG-1 x2 withdrawal received (counts, reason "withdrawal"); C SOCK x5 return
    cancelled (not); A TEA-9 x1 guarantee opened 25 March."""
    a = order(
        care,
        "A",
        [("MUG-1", 3, "10.00", "kitchen"), ("TEA-9", 1, "4.90")],
        delivered=madrid(2026, 3, 5, 10),
    )
    b = order(
        care,
        "B",
        [("MUG-1", 2, "10.00", "kitchen"), ("SOCK", 5, "3.00", "clothes")],
        delivered=madrid(2026, 3, 20, 10),
        email="bob@example.com",
    )
    c = order(care, "C", [("SOCK", 5, "3.00", "clothes")], delivered=madrid(2026, 4, 10, 10))
    case(
        a,
        "return",
        "resolved",
        {"MUG-1": 2},
        reason="too_small",
        outcome="refunded",
        paid_minor=1998,
        resolved_at=madrid(2026, 3, 28, 12),
    )
    case(b, "return", "rejected", {"SOCK": 1}, reason="wrong_item")
    case(b, "withdrawal", "received", {"MUG-1": 2})
    case(c, "return", "cancelled", {"SOCK": 5}, reason="too_large")
    case(
        a, "guarantee", "requested", {"TEA-9": 1}, reason="defective", opened=madrid(2026, 3, 25, 9)
    )
    # a guarantee claim opened in April does not count for March
    case(
        a, "guarantee", "requested", {"MUG-1": 1}, reason="defective", opened=madrid(2026, 4, 2, 9)
    )


def test_return_rate_is_returned_over_delivered_units(care: Any, returns: None) -> None:
    # delivered 3 + 1 + 2 + 5 = 11; returned 2 (return) + 2 (withdrawal) = 4 -> 36.36 %
    rate = care.insights.return_rate(*MARCH)
    assert rate.n == 11
    assert rate.value == pytest.approx(100 * 4 / 11)


def test_return_rate_by_product_category_and_reason(care: Any, returns: None) -> None:
    by_product = {
        r.key: (r.delivered, r.returned, r.rate.value)
        for r in care.insights.return_rate(*MARCH, by="product")
    }
    assert by_product == {"MUG-1": (5, 4, 80.0), "SOCK": (5, 0, 0.0), "TEA-9": (1, 0, 0.0)}
    by_category = {
        r.key: (r.delivered, r.returned) for r in care.insights.return_rate(*MARCH, by="category")
    }
    assert by_category == {"kitchen": (5, 4), "clothes": (5, 0), "": (1, 0)}
    by_reason = {
        r.key: (r.returned, round(r.rate.value, 2))
        for r in care.insights.return_rate(*MARCH, by="reason")
    }
    assert by_reason == {"too_small": (2, 18.18), "withdrawal": (2, 18.18)}
    assert [r.key for r in care.insights.top_returned(*MARCH)] == ["MUG-1"]


def test_return_rate_by_month_draws_gaps_as_no_data(care: Any, returns: None) -> None:
    """PITFALLS "Gaps drawn as zeros": April has deliveries and no counted return (0 %),
    May has no delivery at all (no data, n = 0)."""
    months = care.insights.return_rate(date(2026, 3, 1), date(2026, 6, 1), by="month")
    assert [(b.label, f) for b, f in months] == [
        ("2026-03", care.insights.return_rate(*MARCH)),
        ("2026-04", Figure(0.0, 5, 0.0, pytest.approx(43.45, abs=0.01))),
        ("2026-05", Figure(None, 0)),
    ]


def test_money_refunded_and_guarantee_claims(care: Any, returns: None) -> None:
    assert care.insights.refunded(*MARCH) == {"EUR": Decimal("19.98")}
    assert care.insights.refunded(date(2026, 4, 1), date(2026, 5, 1)) == {}
    assert care.insights.guarantee_claims(*MARCH) == [
        {"sku": "TEA-9", "name": "Product TEA-9", "claims": 1, "units": 1}
    ]


def test_product_page_figures(care: Any, returns: None) -> None:
    mug = care.insights.product("MUG-1", *MARCH)
    assert (mug["delivered"], mug["returned"], mug["return_rate"].value) == (5, 4, 80.0)
    assert mug["reasons"] == [
        {"reason": "too_small", "units": 2},
        {"reason": "withdrawal", "units": 2},
    ]
    assert care.insights.product("TEA-9", *MARCH)["guarantee_claims"] == 1
    assert care.insights.product("NOPE", *MARCH) is None


def test_empty_shop_has_no_data_anywhere(care: Any) -> None:
    assert care.insights.return_rate(*MARCH) == Figure(None, 0)
    assert care.insights.return_rate(*MARCH, by="product") == []
    assert care.insights.deliveries(*MARCH) == []
    assert care.insights.lost_customers(now=utc(2026, 6, 1)) == []
    assert care.insights.segments(*MARCH)["moves"] == []
    assert care.insights.loyalty(*MARCH) == {
        "steps": {"purchase": 0, "repurchase": 0, "recommendation": 0},
        "previous_steps": {"purchase": 0, "repurchase": 0, "recommendation": 0},
        "flows": [],
    }


def test_weeks_are_cut_in_the_shops_zone(care: Any) -> None:
    """PITFALLS "Buckets cut in UTC": an order delivered at 23:30 on Sunday 29 March 2026
    in Madrid (just after the clock change) is in week 13; one at 00:30 on Monday 30
    March (22:30 UTC on the Sunday) in week 14."""
    order(care, "W13", [("MUG-1", 1, "10.00")], delivered=madrid(2026, 3, 29, 23, 30))
    order(care, "W14", [("MUG-1", 2, "10.00")], delivered=madrid(2026, 3, 30, 0, 30))
    weeks = care.insights.return_rate(date(2026, 3, 23), date(2026, 4, 6), by="week")
    assert [(b.label, f.n) for b, f in weeks] == [("2026-W13", 1), ("2026-W14", 2)]


def test_period_boundaries_are_midnight_in_the_shops_zone(care: Any) -> None:
    # 00:30 on 1 April in Madrid is 22:30 UTC on 31 March: April's, not March's
    order(care, "APR", [("MUG-1", 1, "10.00")], delivered=madrid(2026, 4, 1, 0, 30))
    order(care, "MAR", [("MUG-1", 2, "10.00")], delivered=madrid(2026, 3, 31, 23, 59))
    assert care.insights.return_rate(*MARCH).n == 2
    assert care.insights.return_rate(date(2026, 4, 1), date(2026, 5, 1)).n == 1


def test_deliveries_on_time_and_transit_percentiles(care: Any) -> None:
    """dhl: 48 h (estimate kept), 120 h (estimate missed), 24 h (no estimate); ups: 72 h on
    time. dhl on time 1 of the 2 with an estimate = 50 %; transit sorted 24, 48, 120:
    p50 rank ceil(1.5) = 2 -> 48 h, p90 rank ceil(2.7) = 3 -> 120 h."""
    a = order(care, "A", [("MUG-1", 1, "10.00")], delivered=utc(2026, 3, 7))
    shipment(a, "dhl", utc(2026, 3, 1, 10), utc(2026, 3, 3, 10), utc(2026, 3, 4))
    shipment(a, "dhl", utc(2026, 3, 2), utc(2026, 3, 7), utc(2026, 3, 5))
    shipment(a, "dhl", utc(2026, 3, 10), utc(2026, 3, 11))
    shipment(a, "ups", utc(2026, 3, 2), utc(2026, 3, 5), utc(2026, 3, 6))
    shipment(a, "ups", utc(2026, 4, 2), utc(2026, 4, 5), utc(2026, 4, 6))  # April: not counted
    found = {row["carrier"]: row for row in care.insights.deliveries(*MARCH)}
    dhl, ups = found["dhl"], found["ups"]
    assert (dhl["delivered"], dhl["with_estimate"], dhl["on_time"].value) == (3, 2, 50.0)
    assert (dhl["transit_p50_hours"], dhl["transit_p90_hours"]) == (48.0, 120.0)
    assert (ups["delivered"], ups["on_time"].value, ups["transit_p50_hours"]) == (1, 100.0, 72.0)


def test_transit_percentiles_are_nearest_ranks_at_exact_ranks(care: Any) -> None:
    """70 dhl parcels with transits of 1, 2, …, 70 hours (given newest first): p90 is
    rank ceil(0.9 · 70) = 63 exactly -> 63 h (not the mean of two, not rank 64); p50
    rank 35 -> 35 h."""
    from datetime import timedelta

    a = order(care, "A", [("MUG-1", 1, "10.00")], delivered=utc(2026, 3, 7))
    for hours in range(70, 0, -1):
        shipment(a, "dhl", utc(2026, 3, 1), utc(2026, 3, 1) + timedelta(hours=hours))
    (dhl,) = care.insights.deliveries(*MARCH)
    assert (dhl["delivered"], dhl["transit_p50_hours"], dhl["transit_p90_hours"]) == (
        70,
        35.0,
        63.0,
    )


def test_complaint_times_are_nearest_ranks_at_exact_ranks(care: Any) -> None:
    """70 tickets first answered after 1, 2, …, 70 hours: p90 rank 63 -> 63 h."""
    from datetime import timedelta

    from tests.insights.test_insights_answers import ticket

    opened = madrid(2026, 3, 10, 9)
    for hours in range(1, 71):
        ticket(
            subject=f"late {hours}",
            created_at=opened,
            first_response_at=opened + timedelta(hours=hours),
        )
    found = care.insights.complaints(*MARCH)
    assert found["first_response"] == {"n": 70, "median_hours": 35.0, "p90_hours": 63.0}


def test_lost_customers(care: Any) -> None:
    """now = 1 June 2026. ann: 1, 11, 21 Jan (gaps 10, 10: usual 10, lost after 20 days;
    131 days since) -> lost. bob: 1 Jan, 1 May, 25 May (gaps 120, 24: usual 72, lost
    after 144; 7 days) -> not. cat: one order 1 March; the shop's gaps 10, 10, 24, 120
    have median 17, x 3 = 51 days; 92 days since -> lost. dan: one order 20 May -> not."""
    for day in (1, 11, 21):
        order(
            care,
            f"ANN-{day}",
            [("MUG-1", 1, "10.00")],
            placed=utc(2026, 1, day),
            email="Ann@example.com",
        )
    for i, placed in enumerate((utc(2026, 1, 1), utc(2026, 5, 1), utc(2026, 5, 25))):
        order(care, f"BOB-{i}", [("MUG-1", 1, "10.00")], placed=placed, email="bob@example.com")
    cat = order(
        care, "CAT-1", [("SOCK", 2, "3.00")], placed=utc(2026, 3, 1), email="cat@example.com"
    )
    order(care, "DAN-1", [("SOCK", 1, "3.00")], placed=utc(2026, 5, 20), email="dan@example.com")
    case(cat, "return", "approved", {"SOCK": 1}, reason="too_small")
    assert care.insights.shop_median_gap() == pytest.approx(17.0)
    lost = care.insights.lost_customers(now=utc(2026, 6, 1))
    assert [
        (r["email"], r["orders"], r["last_order"], r["usual_gap_days"], r["days_since"])
        for r in lost
    ] == [
        ("ann@example.com", 3, "ANN-21", 10.0, 131.0),
        ("cat@example.com", 1, "CAT-1", 17.0, 92.0),
    ]
    assert lost[1]["cases"] == 1 and lost[1]["return_reasons"] == ["too_small"]
    assert lost[0]["spent_minor"] == 3000
    assert care.insights.lost_reasons(lost) == {"too_small": 1}


@pytest.fixture
def customers(care: Any) -> None:
    """Before the period (March 2026): c5 2 orders of 20.00 (oldest), c4 3 of 30.00, c3 4
    of 50.00, c1 5 of 100.00 (newest); in the period: c2 one order of 10.00."""
    plan = [
        ("c5", 2, "20.00", 1),
        ("c4", 3, "30.00", 5),
        ("c3", 4, "50.00", 10),
        ("c1", 5, "100.00", 15),
    ]
    for name, orders, price, first_day in plan:
        for i in range(orders):
            order(
                care,
                f"{name}-{i}",
                [("MUG-1", 1, price)],
                placed=utc(2026, 2, first_day + i),
                email=f"{name}@example.com",
            )
    order(care, "c2-0", [("MUG-1", 1, "10.00")], placed=utc(2026, 3, 10), email="c2@example.com")


def test_segments_and_their_moves(care: Any, customers: None) -> None:
    """At the end of March, quintiles over 5 customers: R c5 1, c4 2, c3 3, c1 4, c2 5;
    F and M c2 1, c5 2, c4 3, c3 4, c1 5. FM = ceil((F + M)/2). c1 R4 FM5 champions,
    c2 R5 FM1 new, c3 R3 FM4 loyal, c4 R2 FM3 and c5 R1 FM2 at risk.
    Revenue 840.00: champions 500 (59.52 %), new 10 (1.19 %), loyal 200 (23.81 %),
    at risk 130 (15.48 %).
    At the end of February (4 customers, NTILE(5) gives 1-4): c5 R1 FM1 lost, c4 R2 FM2
    at risk, c3 R3 FM3 potential, c1 R4 FM4 champions. Moves: none -> new (c2),
    lost -> at risk (c5), potential -> loyal (c3)."""
    found = care.insights.segments(*MARCH)
    counts = {row["segment"]: (row["customers"], row["revenue_share"]) for row in found["segments"]}
    assert counts == {
        "champions": (1, 59.52),
        "loyal": (1, 23.81),
        "potential": (0, 0.0),
        "new": (1, 1.19),
        "at_risk": (2, 15.48),
        "cant_lose": (0, 0.0),
        "hibernating": (0, 0.0),
        "lost": (0, 0.0),
    }
    assert sorted((m["from"], m["to"], m["customers"]) for m in found["moves"]) == [
        ("lost", "at_risk", 1),
        ("none", "new", 1),
        ("potential", "loyal", 1),
    ]


def test_first_time_buyers_share_the_lowest_frequency_score(care: Any) -> None:
    """By hand, at the end of March 2026, five customers: a, b, c one order each on 20,
    21 and 22 March of 14.00, 12.00 and 10.00 (placed in that order, so c's order has the
    highest ID); d 3 orders of 30.00 on 1-3 February, e 4 of 40.00 on 5-8 February.
    R (last order): d 1, e 2, a 3, b 4, c 5. F: a, b and c level on 1 order share the
    lowest score, 1 (a tie-breaker by order ID would have given them 1, 2 and 3, and c,
    the newest, no "new"); d 4, e 5. M: c 1, b 2, a 3, d 4, e 5. FM = ceil((F + M)/2):
    c 1, b 2, a 2, d 4, e 5. So c (R5 FM1) new, b (R4 FM2) and a (R3 FM2) potential, d
    (R1 FM4) and e (R2 FM5) can't lose. Revenue 286.00: new 10 (3.50 %), potential 26
    (9.09 %), can't lose 250 (87.41 %)."""
    plan = [
        ("d", 3, "30.00", utc(2026, 2, 1)),
        ("e", 4, "40.00", utc(2026, 2, 5)),
        ("a", 1, "14.00", utc(2026, 3, 20)),
        ("b", 1, "12.00", utc(2026, 3, 21)),
        ("c", 1, "10.00", utc(2026, 3, 22)),
    ]
    for name, orders, price, first in plan:
        for i in range(orders):
            order(
                care,
                f"{name}-{i}",
                [("MUG-1", 1, price)],
                placed=first + timedelta(days=i),
                email=f"{name}@example.com",
            )
    found = care.insights.segments(*MARCH)
    counts = {
        row["segment"]: (row["customers"], row["revenue_share"])
        for row in found["segments"]
        if row["customers"]
    }
    assert counts == {"new": (1, 3.5), "potential": (2, 9.09), "cant_lose": (2, 87.41)}


def test_loyalty_ladder_and_flows(care: Any, customers: None) -> None:
    ladder = care.insights.loyalty(*MARCH)
    assert ladder["steps"] == {"purchase": 1, "repurchase": 4, "recommendation": 0}
    assert ladder["previous_steps"] == {"purchase": 0, "repurchase": 4, "recommendation": 0}
    assert sorted((f["from"], f["to"], f["customers"]) for f in ladder["flows"]) == [
        ("none", "purchase", 1),
        ("repurchase", "repurchase", 4),
    ]


@pytest.mark.parametrize("rolled", [False, True], ids=["live", "rolled-up"])
@pytest.mark.parametrize("grain", ["week", "month"])
def test_dashboard_return_figures_equal_the_public_api(
    care: Any, returns: None, grain: str, rolled: bool
) -> None:
    """The dashboard adds its return figures of both periods up from the delivered-units
    rollup and one grouped pass over the returned units (``ReturnsSummary``); they must
    be what ``return_rate`` gives for each ``by``, with the rollup and the returned
    lines' facts built or not."""
    from shopcare.insights import report, returned, units

    if rolled:
        assert units.refresh().days == 3
        assert returned.refresh().rows == 2  # A's MUG-1 return, B's MUG-1 withdrawal

    for start, end in (MARCH, (date(2026, 4, 1), date(2026, 5, 1))):
        period = care.insights.period(start, end)
        data = report.dashboard(care.insights, period, grain)
        tables = {table["key"]: table for table in data["tables"]}
        headline = data["headlines"]["return_rate"]
        assert headline["current"] == care.insights.return_rate(period).as_dict()
        assert headline["previous"] == care.insights.return_rate(period.previous()).as_dict()
        for by in ("product", "category", "reason"):
            expected = report.returns_by(care.insights, period, by)
            if by == "product":
                expected.rows = [row for row in expected.rows if row["returned"]]
            assert tables[f"returns_by_{by}"]["rows"] == expected.as_dict()["rows"], by
        expected_trend = report.returns_trend(care.insights, period, grain).as_dict()
        assert tables["returns_trend"]["rows"] == expected_trend["rows"]
    march = report.dashboard(care.insights, care.insights.period(*MARCH), grain)
    product = {t["key"]: t for t in march["tables"]}["returns_by_product"]["rows"]
    assert [(row["key"], row["delivered"], row["returned"]) for row in product] == [("MUG-1", 5, 4)]
    assert march["headlines"]["return_rate"]["current"]["n"] == 11


def test_delivered_units_rollup_follows_every_change(app: Any, care: Any, returns: None) -> None:
    """By hand (Madrid days): 5 March kitchen 3 (MUG-1) and no category 1 (TEA-9);
    20 March kitchen 2, clothes 5; 10 April clothes 5. A run with nothing changed writes
    nothing; an order whose delivery moves to 12 April changes two days; an order line's
    quantity changed changes its day; another zone is read live until the next run
    rebuilds."""
    from datetime import date as day

    from sqlalchemy import select

    from shopcare.core.db import session
    from shopcare.insights import units
    from shopcare.insights.models import DailyUnits
    from shopcare.orders.models import Order, OrderLine

    def rows() -> list[tuple[Any, str, int]]:
        return [
            (r.day, r.category, r.units)
            for r in session().scalars(
                select(DailyUnits).order_by(DailyUnits.day, DailyUnits.category)
            )
        ]

    first = units.refresh()
    assert (first.rebuilt, first.days) == ("first run", 3)
    assert rows() == [
        (day(2026, 3, 5), "", 1),
        (day(2026, 3, 5), "kitchen", 3),
        (day(2026, 3, 20), "clothes", 5),
        (day(2026, 3, 20), "kitchen", 2),
        (day(2026, 4, 10), "clothes", 5),
    ]
    assert (units.refresh().days, units.refresh().rows) == (0, 0)
    c = session().scalar(select(Order).where(Order.reference == "C"))
    c.delivered_at = madrid(2026, 4, 12, 10)
    line = session().scalar(
        select(OrderLine).join(Order).where(Order.reference == "A", OrderLine.sku == "MUG-1")
    )
    line.quantity = 4
    session().flush()
    assert units.refresh().days == 3
    assert rows() == [
        (day(2026, 3, 5), "", 1),
        (day(2026, 3, 5), "kitchen", 4),
        (day(2026, 3, 20), "clothes", 5),
        (day(2026, 3, 20), "kitchen", 2),
        (day(2026, 4, 12), "clothes", 5),
    ]
    april = care.insights.period(date(2026, 4, 1), date(2026, 5, 1))
    buckets = april.buckets("month")
    assert units.delivered(buckets) == {(0, "clothes"): 5}
    app.config["SHOPCARE_DEFAULT_TIMEZONE"] = "America/New_York"
    assert units.usable_until(care.insights.period(*MARCH).zone) is None
    assert units.refresh().rebuilt == "time zone changed"


def test_returned_lines_facts_follow_every_change_since_the_last_run(
    care: Any, db: Any, returns: None
) -> None:
    """After the worker's run the dashboard reads the returned lines from their facts,
    and what changed since is read live, so its figures stay those of the orders and
    cases: a case opened since (with an old opening time), a case moved to "cancelled",
    an order whose delivery moves into March, an order recorded again with another
    category; the next run holds them all."""
    from datetime import timedelta

    from sqlalchemy import select, update

    from shopcare.cases.models import Case
    from shopcare.core.db import session, utcnow
    from shopcare.insights import report, returned
    from shopcare.insights.models import ReturnedLine
    from shopcare.orders.models import Order

    def held() -> list[tuple[str, str, str, int]]:
        rows = session().scalars(select(ReturnedLine).order_by(ReturnedLine.case_line_id))
        return sorted((row.sku, row.category, row.reason, row.quantity) for row in rows)

    def returned_by() -> dict[str, dict[str, int]]:
        """The dashboard's March units asked back by reason and by category, checked
        against the public API (always read live)."""
        period = care.insights.period(*MARCH)
        tables = {t["key"]: t["rows"] for t in report.dashboard(care.insights, period)["tables"]}
        found = {}
        for by in ("reason", "category"):
            expected = report.returns_by(care.insights, period, by).as_dict()["rows"]
            assert tables[f"returns_by_{by}"] == expected, by
            found[by] = {row["key"]: row["returned"] for row in expected}
        trend = report.returns_trend(care.insights, period, "month").as_dict()["rows"]
        assert tables["returns_trend"] == trend
        return found

    before_run = returned_by()  # no run yet: everything live
    assert before_run["reason"] == {"too_small": 2, "withdrawal": 2}
    # the fixture's rows last changed an hour before an order and a guarantee claim
    # made now: beyond RECHECK of the newest change the run sees, so the dashboard
    # reads them from the facts (what changes after the run is read live)
    an_hour_ago = utcnow() - timedelta(hours=1)
    session().execute(update(Case).values(updated_at=an_hour_ago))
    session().execute(update(Order).values(updated_at=an_hour_ago))
    d = order(care, "D", [("SOCK", 1, "3.00", "clothes")], delivered=madrid(2026, 4, 20, 10))
    case(d, "guarantee", "requested", {"SOCK": 1}, reason="defective")
    assert returned.refresh().rows == 2
    assert held() == [("MUG-1", "kitchen", "too_small", 2), ("MUG-1", "kitchen", "withdrawal", 2)]
    assert returned_by() == before_run
    orders = {o.reference: o for o in session().scalars(select(Order))}
    # opened since the run, though dated before it
    case(
        orders["A"],
        "return",
        "requested",
        {"TEA-9": 1},
        reason="damaged",
        opened=madrid(2026, 3, 6),
    )
    # the withdrawal cancelled (an ORM change of the row sets its updated_at)
    withdrawal = session().scalar(select(Case).where(Case.kind == "withdrawal"))
    withdrawal.status = "cancelled"
    session().flush()
    assert returned_by()["reason"] == {"too_small": 2, "damaged": 1}
    # C (SOCK x5) delivered in March after all, with a new return on it
    orders["C"].delivered_at = madrid(2026, 3, 25, 10)
    session().flush()
    case(orders["C"], "return", "approved", {"SOCK": 3}, reason="too_large")
    # A recorded again with MUG-1 in another category
    order(
        care,
        "A",
        [("MUG-1", 3, "10.00", "home"), ("TEA-9", 1, "4.90")],
        delivered=madrid(2026, 3, 5, 10),
    )
    changed = returned_by()
    assert changed["reason"] == {"too_large": 3, "too_small": 2, "damaged": 1}
    assert changed["category"] == {"clothes": 3, "home": 2, "": 1, "kitchen": 0}
    assert returned.refresh().rows == 3
    assert held() == [
        ("MUG-1", "home", "too_small", 2),
        ("SOCK", "clothes", "too_large", 3),
        ("TEA-9", "", "damaged", 1),
    ]
    assert returned_by() == changed


def test_dashboard_sorts_get_room_for_the_transaction_only(
    app: Any, care: Any, is_postgres: bool
) -> None:
    """``SHOPCARE_INSIGHTS_WORK_MEM`` is PostgreSQL's ``work_mem`` for the dashboard's
    transaction (``SET LOCAL``): set while it runs, gone after it; a value that is not an
    amount is a configuration error, never SQL. The JIT and parallel workers are off for
    the transaction too (the JIT's compiling cost seconds on the quantile scores'
    statement; the lanes are the dashboard's parallelism)."""
    from sqlalchemy import text

    from shopcare.core.db import session
    from shopcare.core.errors import ConfigError
    from shopcare.insights.sql import roomy_sorts

    if not is_postgres:
        roomy_sorts()  # nothing to set on SQLite, and nothing fails
        return
    server = session().execute(text("SHOW work_mem")).scalar()
    jit = session().execute(text("SHOW jit")).scalar()
    workers = session().execute(text("SHOW max_parallel_workers_per_gather")).scalar()
    assert workers != "0"
    session().commit()
    care.insights.segments(*MARCH)
    assert session().execute(text("SHOW work_mem")).scalar() == "64MB"
    assert session().execute(text("SHOW jit")).scalar() == "off"
    assert session().execute(text("SHOW max_parallel_workers_per_gather")).scalar() == "0"
    session().rollback()
    assert session().execute(text("SHOW work_mem")).scalar() == server
    assert session().execute(text("SHOW jit")).scalar() == jit
    assert session().execute(text("SHOW max_parallel_workers_per_gather")).scalar() == workers
    app.config["SHOPCARE_INSIGHTS_WORK_MEM"] = "64MB'; DROP TABLE shopcare_orders; --"
    with pytest.raises(ConfigError, match="SHOPCARE_INSIGHTS_WORK_MEM"):
        roomy_sorts()
    app.config["SHOPCARE_INSIGHTS_WORK_MEM"] = None
    roomy_sorts()
    assert session().execute(text("SHOW work_mem")).scalar() == server
