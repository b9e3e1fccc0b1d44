"""The customer facts (``shopcare.insights.customers``): the segments, the loyalty ladder
and the lost customers give the same figures from the facts as from the orders and
answers alone — on a generated shop, for periods whose edges fall on orders and answers,
with orders and answers added or changed since the worker's last run (read live), after
an erasure and a deleted order; the worker's refresh keeps them current and is
idempotent, and two workers at once leave the same rows (PostgreSQL)."""

from __future__ import annotations

import itertools
import random
import re
import threading
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from shopcare.core import privacy
from shopcare.insights import customers as facts_module
from shopcare.insights import rollup
from shopcare.insights.models import CustomerNps, CustomerOrder
from shopcare.orders.models import Order
from tests.insights import test_insights_figures as figures
from tests.insights.helpers import CONFIG, answers, madrid, order, survey_fixture, utc

#: the hand-computed fixture of tests/insights/test_insights_figures.py
customers = figures.customers

PERIODS = [
    (date(2025, 7, 1), date(2025, 10, 1)),
    (date(2025, 10, 1), date(2026, 1, 1)),
    (date(2026, 1, 1), date(2026, 2, 1)),  # starts on an order placed at midnight in Madrid
    (date(2025, 1, 1), date(2027, 1, 1)),  # before the first order: nobody then
    (date(2026, 3, 1), date(2026, 3, 2)),
]
NOWS = [utc(2026, 1, 1), utc(2026, 6, 1), utc(2027, 1, 1)]


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(CONFIG)


def generated_shop(care: Any, *, seed: int = 14, people: int = 30, prefix: str = "G") -> Any:
    """``people`` customers with 1-8 orders each between March 2025 and March 2026 (some
    at the same instant, some at midnight in Madrid, the edge of a period), of 1-3 lines,
    and NPS answers (some at the same instant) on some of their orders."""
    rng = random.Random(seed)
    fixture = survey_fixture()
    made = []
    for person in range(people):
        email = f"{prefix.lower()}{person}@example.com"
        count = rng.choice([1, 1, 1, 2, 2, 3, 5, 8])
        when = utc(2025, 3, 1) + timedelta(hours=rng.randrange(24 * 300))
        for number in range(count):
            if number and rng.random() < 0.15:
                pass  # the same instant as the previous order
            elif rng.random() < 0.1:
                when = madrid(2026, 1, 1)
            else:
                when = when + timedelta(hours=rng.randrange(1, 24 * 90))
            lines = [
                (
                    f"SKU-{rng.randrange(5)}-{line}",
                    rng.randrange(1, 3),
                    f"{rng.randrange(1, 90)}.50",
                )
                for line in range(rng.randrange(1, 4))
            ]
            made.append(order(care, f"{prefix}-{person}-{number}", lines, placed=when, email=email))
            if rng.random() < 0.5:
                answered = when + timedelta(days=rng.choice([0, 3, 10]))
                for _ in range(rng.choice([1, 1, 2])):  # two at once: ties broken by id
                    answers(fixture, "nps", [rng.randrange(11)], when=answered, the_order=made[-1])
    return fixture, made


def figures_of(care: Any, *, live: bool) -> dict[str, Any]:
    insights = care.insights
    return {
        "segments": [insights.segments(*period, live=live) for period in PERIODS],
        "loyalty": [insights.loyalty(*period, live=live) for period in PERIODS],
        "lost": [insights.lost_customers(now=now, live=live) for now in NOWS],
        "shop_gap": insights.shop_median_gap(live=live),
    }


def assert_same_figures(care: Any) -> None:
    from_facts = figures_of(care, live=False)
    assert from_facts == figures_of(care, live=True)
    # both ways of finding where customers stood at a period's end are compared with
    # the live figures: the latest rows (a period that ends after every fact) and the rest
    from shopcare.insights.services import _after_all

    assert [_after_all(care.insights.period(*period)) for period in PERIODS] == [
        False,
        False,
        False,
        True,
        False,
    ]
    # the dashboard's one statement for both gives what the two methods give
    for i, period in enumerate(PERIODS):
        both = care.insights.customer_figures(*period)
        assert both == (from_facts["segments"][i], from_facts["loyalty"][i])
    # the generated shop has customers in every step and several segments
    ladder = from_facts["loyalty"][3]["steps"]
    assert min(ladder.values()) > 0, ladder
    assert sum(1 for row in from_facts["segments"][3]["segments"] if row["customers"]) >= 4
    assert from_facts["lost"][1]


def fact_rows(db: Any) -> list[tuple[Any, ...]]:
    db.session.expire_all()
    return [
        (r.order_id, r.customer, r.placed_at, r.paid, r.orders, r.money, r.gap, r.next_at)
        for r in db.session.scalars(select(CustomerOrder).order_by(CustomerOrder.order_id))
    ] + [
        (r.answer_id, r.customer, r.answered_at, r.value, r.next_at)
        for r in db.session.scalars(select(CustomerNps).order_by(CustomerNps.answer_id))
    ]


def refresh(db: Any, **kwargs: Any) -> Any:
    done = facts_module.refresh(**kwargs)
    db.session.commit()
    return done


def test_the_facts_give_the_figures_of_the_orders_and_answers(care: Any, db: Any) -> None:
    generated_shop(care)
    db.session.commit()
    assert facts_module.facts() is None  # never refreshed: everything live
    done = refresh(db)
    assert done.rebuilt == "first run" and done.customers == 30
    found = facts_module.facts()
    assert found is not None and found.live == 0
    assert_same_figures(care)
    # an order's facts: orders and money so far, the gap, when the next came
    rows = db.session.scalars(
        select(CustomerOrder).order_by(CustomerOrder.customer, CustomerOrder.orders)
    ).all()
    by_customer: dict[str, list[CustomerOrder]] = {}
    for row in rows:
        by_customer.setdefault(row.customer, []).append(row)
    for history in by_customer.values():
        assert [row.orders for row in history] == list(range(1, len(history) + 1))
        assert history[-1].money == sum(row.paid for row in history)
        assert history[-1].next_at is None and history[0].gap is None
        for earlier, later in itertools.pairwise(history):
            assert earlier.next_at == later.placed_at
            assert later.gap == pytest.approx(
                (later.placed_at - earlier.placed_at).days
                + (later.placed_at - earlier.placed_at).seconds / 86400
            )


@pytest.fixture
def refreshed_first(care: Any, db: Any) -> None:
    """The facts refreshed before the orders are made (asked for before ``customers``)."""
    refresh(db)


def test_the_hand_computed_segments_and_ladder_from_the_facts(
    care: Any, db: Any, customers: None
) -> None:
    """The fixture's figures (tests/insights/test_insights_figures.py), the facts
    refreshed after the orders: read from the table."""
    db.session.commit()
    refresh(db)
    found = facts_module.facts()
    assert found is not None and found.live == 0
    figures.test_segments_and_their_moves(care, None)
    figures.test_loyalty_ladder_and_flows(care, None)
    both = care.insights.customer_figures(*figures.MARCH)
    assert both == (care.insights.segments(*figures.MARCH), care.insights.loyalty(*figures.MARCH))
    assert both[1]["steps"] == {"purchase": 1, "repurchase": 4, "recommendation": 0}


def test_the_hand_computed_segments_and_ladder_read_live_since_the_last_run(
    care: Any, db: Any, refreshed_first: None, customers: None
) -> None:
    """The same, the facts refreshed before the orders: the five customers read live."""
    found = facts_module.facts()
    assert found is not None and found.live == 5
    figures.test_segments_and_their_moves(care, None)
    figures.test_loyalty_ladder_and_flows(care, None)


@pytest.mark.parametrize("refreshed", ["before", "after"])
def test_the_hand_computed_lost_customers_from_the_facts(
    care: Any, db: Any, refreshed: str
) -> None:
    if refreshed == "before":
        refresh(db)
        figures.test_lost_customers(care)
        return
    figures.test_lost_customers(care)
    db.session.commit()
    refresh(db)
    assert facts_module.facts().live == 0  # type: ignore[union-attr]
    lost = care.insights.lost_customers(now=utc(2026, 6, 1))
    assert [(r["email"], r["last_order"], r["days_since"], r["cases"]) for r in lost] == [
        ("ann@example.com", "ANN-21", 131.0, 0),
        ("cat@example.com", "CAT-1", 92.0, 1),
    ]
    assert lost == care.insights.lost_customers(now=utc(2026, 6, 1), live=True)
    assert care.insights.shop_median_gap() == pytest.approx(17.0)


def test_orders_and_answers_since_the_last_run_are_read_live(care: Any, db: Any) -> None:
    fixture, made = generated_shop(care)
    db.session.commit()
    refresh(db)
    kept = fact_rows(db)
    # a new customer, a new order of an existing one, a new NPS answer, an order that
    # changed hands and lines, and an old order moved in time
    order(care, "NEW-1", [("MUG-1", 1, "12.00")], placed=utc(2025, 12, 31), email="new@example.com")
    order(care, "NEW-2", [("MUG-1", 3, "5.00")], placed=utc(2025, 11, 2), email="g3@example.com")
    answers(fixture, "nps", [10], when=utc(2025, 12, 1), the_order=made[0])
    answers(fixture, "nps", [0, 10], when=utc(2026, 2, 1), the_order=made[-1])
    moved = made[5]
    care.orders.record(
        moved.reference,
        "g7@example.com",
        utc(2025, 9, 9),
        [{"sku": "X", "name": "X", "quantity": 2, "unit_price": "40.00"}],
    )
    db.session.commit()
    assert fact_rows(db) == kept  # the worker has not run
    found = facts_module.facts()
    assert found is not None and found.live >= 5
    assert_same_figures(care)
    # the worker's task keeps them current; a second run changes nothing
    rollup.refresh_task()
    db.session.commit()
    assert facts_module.facts().live == 0  # type: ignore[union-attr]
    assert_same_figures(care)
    current = fact_rows(db)
    assert current != kept
    assert refresh(db).rebuilt == ""
    assert fact_rows(db) == current
    assert refresh(db, full=True).rebuilt == "asked"
    assert fact_rows(db) == current


def test_an_erasure_rekeys_the_facts_and_a_deleted_order_rebuilds_them(care: Any, db: Any) -> None:
    generated_shop(care)
    db.session.commit()
    refresh(db)
    exported = privacy.export("g1@example.com")
    assert exported["insights"] and exported["insights"][0]["fact"] == "order"
    result = privacy.erase("g1@example.com")
    db.session.commit()
    assert result.counts["customer_orders"] >= 1
    keys = {row[1] for row in fact_rows(db)}
    assert "g1@example.com" not in keys and result.alias in keys
    assert_same_figures(care)
    assert privacy.export("g1@example.com")["insights"] == []
    # an order deleted behind the facts' back: the counts no longer match, so rebuild
    db.session.execute(delete(Order).where(Order.reference == "G-2-0"))
    db.session.commit()
    done = refresh(db)
    assert "orders" in done.rebuilt
    assert_same_figures(care)
    assert db.session.scalar(select(func.count()).select_from(CustomerOrder)) == db.session.scalar(
        select(func.count()).select_from(Order)
    )


def test_many_changed_customers_are_read_live_whole(care: Any, db: Any, monkeypatch: Any) -> None:
    generated_shop(care)
    db.session.commit()
    refresh(db)
    generated_shop(care, seed=15, people=4, prefix="H")
    db.session.commit()
    monkeypatch.setattr(facts_module, "LIVE_LIMIT", 3)
    assert facts_module.facts() is None
    assert_same_figures(care)


def test_the_cli_rebuilds_them(app: Any, care: Any, db: Any) -> None:
    generated_shop(care, people=3)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["shopcare", "insights", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "customer facts rebuilt (first run): 3 customer(s)" in result.output
    result = app.test_cli_runner().invoke(args=["shopcare", "insights", "rebuild"])
    assert "customer facts rebuilt (asked)" in result.output


def test_two_workers_at_once_leave_the_same_rows(
    app: Any, care: Any, db: Any, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("SQLite serialises writers with a database lock; the race needs PostgreSQL")
    fixture, made = generated_shop(care)
    db.session.commit()
    refresh(db)
    order(care, "NEW-1", [("MUG-1", 1, "12.00")], placed=utc(2025, 12, 31), email="g4@example.com")
    answers(fixture, "nps", [9], when=utc(2025, 12, 1), the_order=made[3])
    db.session.commit()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def work() -> None:
        with app.app_context():
            try:
                barrier.wait()
                facts_module.refresh()
                db.session.commit()
            except BaseException as error:  # reported below
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    raced = fact_rows(db)
    refresh(db, full=True)
    assert fact_rows(db) == raced
    assert_same_figures(care)


def test_the_promoters_can_be_read_from_their_partial_index(
    care: Any, db: Any, is_postgres: bool
) -> None:
    """The dashboard's customers statement can read the promoters at each instant from
    ``ix_shopcare_insights_customer_nps_promoters`` (the answers of 9 and 10). At the
    benchmark's scale it replaces a pass over every NPS answer for the period's start
    (an index-only scan of the promoters); here, on a small shop, the planner is kept
    off sequential scans to show the index applies."""
    if not is_postgres:
        pytest.skip("SQLite looks each customer's answers up by their customer index")
    from sqlalchemy import event

    generated_shop(care)
    db.session.commit()
    refresh(db)
    seen: list[tuple[str, Any]] = []

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        care.insights.customer_figures(*PERIODS[1])
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    statement, parameters = next((s, p) for s, p in seen if "promoters_before" in s)
    with db.engine.connect() as connection:
        cursor = connection.connection.dbapi_connection.cursor()
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN " + statement, parameters)
        plan = [row[0] for row in cursor.fetchall()]
        connection.rollback()
    # each instant's promoters: an index scan, or a bitmap scan of the index
    indexes = re.findall(r"(?:using|on) (ix_shopcare_insights_customer_nps_\w+)", "\n".join(plan))
    assert indexes == ["ix_shopcare_insights_customer_nps_promoters"] * 2, plan
