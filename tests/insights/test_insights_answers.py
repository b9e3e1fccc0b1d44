"""Survey and complaint figures against hand-computed fixtures (Europe/Madrid)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from shopcare.insights.stats import Figure
from tests.insights.helpers import CONFIG, answers, madrid, order, survey_fixture, utc


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {**CONFIG, "SHOPCARE_INSIGHTS_MIN_N": 10}


MARCH = (date(2026, 3, 1), date(2026, 4, 1))
IN_MARCH = madrid(2026, 3, 10, 12)


def test_nps_csat_ces_by_hand(care: Any) -> None:
    """NPS: 10 answers 10,10,9,9,9,8,7,6,3,0 -> 5 promoters, 3 detractors: NPS 20;
    adjusted-Wald: n' = 13, p' = 5.75/13 = 0.442308, d' = 3.75/13 = 0.288462,
    diff 0.153846, var = (0.730769 - 0.023669)/13 = 0.054392, margin = 1.959964·0.233221
    = 0.457105 -> -30.33 to 61.10.
    CSAT: 10 answers 5,5,4,4,4,3,2,1,5,4 -> 7 of 10 -> 70 %.
    CES: 5,6,7,5,6,4,7,6,5,6 -> 5.7 (t interval 5.02 to 6.38, see the stats tests)."""
    fixture = survey_fixture()
    answers(fixture, "nps", [10, 10, 9, 9, 9, 8, 7, 6, 3, 0], when=IN_MARCH)
    answers(fixture, "csat", [5, 5, 4, 4, 4, 3, 2, 1, 5, 4], when=IN_MARCH)
    answers(fixture, "ces", [5, 6, 7, 5, 6, 4, 7, 6, 5, 6], when=IN_MARCH)
    answers(fixture, "nps", [0] * 5, when=madrid(2026, 4, 1, 0, 5))  # April: not March
    nps = care.insights.nps(*MARCH)
    assert (nps.value, nps.n, round(nps.low, 2), round(nps.high, 2)) == (20.0, 10, -30.33, 61.10)
    assert care.insights.csat(*MARCH).value == 70.0
    ces = care.insights.ces(*MARCH)
    assert (ces.value, round(ces.low, 2), round(ces.high, 2)) == (5.7, 5.02, 6.38)
    assert care.insights.distribution("nps", *MARCH) == {
        0: 1,
        1: 0,
        2: 0,
        3: 1,
        4: 0,
        5: 0,
        6: 1,
        7: 1,
        8: 1,
        9: 3,
        10: 2,
    }
    assert care.insights.distribution("rating", *MARCH) == {1: 1, 2: 1, 3: 1, 4: 4, 5: 3}


def test_figures_hidden_below_the_minimum_and_shown_at_it(care: Any) -> None:
    fixture = survey_fixture()
    answers(fixture, "nps", [10] * 9, when=IN_MARCH)
    assert care.insights.nps(*MARCH) == Figure(None, 9)  # 9 answers, minimum 10
    answers(fixture, "nps", [10], when=IN_MARCH)
    assert care.insights.nps(*MARCH).value == 100.0  # exactly the minimum: shown


def test_single_answer_and_no_answer(care: Any) -> None:
    assert care.insights.nps(*MARCH) == Figure(None, 0)
    assert care.insights.indices(*MARCH)["satisfaction"] == Figure(None, 0)
    answers(survey_fixture(), "csat", [5], when=IN_MARCH)
    assert care.insights.csat(*MARCH) == Figure(None, 1)


def test_index_is_the_weighted_mean_of_scores(care: Any) -> None:
    """product area: 6 answers of 5 (score 100) with weight 2 and 4 answers of 1 (score 0)
    with weight 1: mean = (6·2·100)/(6·2 + 4·1) = 1200/16 = 75.0, n = 10.
    Audit (mystery shopper) on infrastructure: checks 1, 1, 0 -> 66.67, n = 3."""
    fixture = survey_fixture()
    answers(fixture, "product", [5] * 6, when=IN_MARCH, weight=2.0)
    answers(fixture, "product", [1] * 4, when=IN_MARCH)
    answers(fixture, "check", [1, 1, 0], when=IN_MARCH, kind="audit")
    found = care.insights.indices(*MARCH)
    assert found["product"].value == 75.0 and found["product"].n == 10
    assert found["product"].low < 75.0 < found["product"].high
    assert found["infrastructure"] == Figure(None, 0)  # audits are not customers' answers
    audit = care.insights.audits(*MARCH)["infrastructure"]
    assert (round(audit.value, 2), audit.n) == (66.67, 3)
    trend = care.insights.index_trend(date(2026, 2, 1), date(2026, 4, 1))
    assert [(b.label, f["product"].value) for b, f in trend] == [
        ("2026-02", None),
        ("2026-03", 75.0),
    ]


def test_response_rate(care: Any) -> None:
    """4 invitations sent in March, 1 completed, 1 withdrawn (never delivered): 1 of 3."""
    from shopcare.core.db import session
    from shopcare.surveys.models import Invitation

    survey, version, _ = survey_fixture()
    for i, (status, completed) in enumerate(
        [("completed", IN_MARCH), ("sent", None), ("expired", None), ("withdrawn", None)]
    ):
        the_order = order(care, f"INV-{i}", [("MUG-1", 1, "10.00")], delivered=IN_MARCH)
        session().add(
            Invitation(
                token=f"t{i}",
                order_id=the_order.id,
                survey_id=survey.id,
                version_id=version.id,
                email="a@example.com",
                status=status,
                created_at=IN_MARCH,
                expires_at=IN_MARCH + timedelta(days=30),
                completed_at=completed,
            )
        )
    session().flush()
    rate = care.insights.response_rate(*MARCH)
    assert (rate.n, round(rate.value, 2)) == (3, 33.33)


def test_promoters_stand_on_the_recommendation_step(care: Any) -> None:
    fixture = survey_fixture()
    first = order(
        care, "P-1", [("MUG-1", 1, "10.00")], placed=utc(2026, 3, 2), email="pat@example.com"
    )
    order(care, "Q-1", [("MUG-1", 1, "10.00")], placed=utc(2026, 3, 2), email="quin@example.com")
    answers(fixture, "nps", [10], when=IN_MARCH, the_order=first)
    ladder = care.insights.loyalty(*MARCH)
    assert ladder["steps"] == {"purchase": 1, "repurchase": 0, "recommendation": 1}
    assert ("none", "recommendation", 1) in [
        (f["from"], f["to"], f["customers"]) for f in ladder["flows"]
    ]


def ticket(**fields: Any) -> Any:
    from shopcare.core.db import session
    from shopcare.feedback.models import Ticket

    number = len(fields) + id(fields) % 100000
    made = Ticket(
        request_key=f"t-{number}-{fields.get('subject', '')}",
        kind=fields.pop("kind", "complaint"),
        subject=fields.pop("subject", "s"),
        message="m",
        created_at=fields.pop("created_at", madrid(2026, 3, 2, 9)),
        **fields,
    )
    session().add(made)
    session().flush()
    return made


def test_sla_share_states_its_denominator(care: Any) -> None:
    """PITFALLS "An SLA share with an unstated denominator": 10 tickets, 4 without a
    target; of the 6 with one: 3 met, 1 breached and closed, 2 open and overdue ->
    3 of 6 = 50 %, shown with n and the rule."""
    opened = madrid(2026, 3, 2, 9)
    due = opened + timedelta(hours=8)
    for i in range(4):
        ticket(subject=f"none{i}", status="closed", resolved_at=opened + timedelta(hours=1))
    for i in range(3):
        ticket(
            subject=f"met{i}",
            status="closed",
            resolution_due_at=due,
            resolved_at=opened + timedelta(hours=2),
        )
    ticket(
        subject="late", status="closed", resolution_due_at=due, resolved_at=due + timedelta(hours=1)
    )
    for i in range(2):
        ticket(subject=f"open{i}", status="in_progress", resolution_due_at=due)
    found = care.insights.complaints(*MARCH, now=madrid(2026, 3, 20))
    share = found["resolution_sla"]
    assert (share.met, share.denominator, share.figure.value) == (3, 6, 50.0)
    assert "3 of 6" in share.rule
    assert found["volume"] == [{"kind": "complaint", "area": "other", "tickets": 10}]


def test_complaint_times_and_handling(care: Any) -> None:
    """First responses after 1, 2, 3, 10 hours: median (rank 2) 2 h, p90 (rank 4) 10 h.
    Handling: 5, 4, 2 of 1-5 -> 2 of 3 (shown: below the minimum of 10, hidden)."""
    opened = madrid(2026, 3, 3, 9)
    for i, (hours, score) in enumerate([(1, 5), (2, 4), (3, 2), (10, None)]):
        ticket(
            subject=f"t{i}",
            created_at=opened,
            first_response_at=opened + timedelta(hours=hours),
            satisfaction_score=score,
        )
    found = care.insights.complaints(*MARCH)
    assert found["first_response"] == {"n": 4, "median_hours": 2.0, "p90_hours": 10.0}
    assert found["resolution"] == {"n": 0, "median_hours": None, "p90_hours": None}
    assert found["handling"] == Figure(None, 3)
    assert found["handling_distribution"] == {1: 0, 2: 1, 3: 0, 4: 1, 5: 1}


def test_product_page_has_its_indices_and_tickets(care: Any) -> None:
    """Answers about orders with MUG-1 count for MUG-1's page, others do not: ten 5s
    about the mug's order (100), ten 1s about the tea's (0)."""
    mug = order(care, "M-1", [("MUG-1", 1, "10.00")], delivered=IN_MARCH)
    tea = order(care, "T-1", [("TEA-9", 1, "4.00")], delivered=IN_MARCH)
    fixture = survey_fixture()
    answers(fixture, "product", [5] * 10, when=IN_MARCH, the_order=mug)
    answers(fixture, "product", [1] * 10, when=IN_MARCH, the_order=tea)
    ticket(subject="mug", order_id=mug.id, created_at=IN_MARCH)
    page = care.insights.product("MUG-1", *MARCH)
    assert page["indices"]["product"].value == 100.0
    assert page["tickets"] == {"complaint": 1}
    assert care.insights.product("TEA-9", *MARCH)["indices"]["product"].value == 0.0


def test_dashboard_figures_equal_the_public_api(care: Any) -> None:
    """The dashboard adds its survey figures up from one grouped scan of both periods;
    they must be the figures ``care.insights`` gives one by one."""
    from shopcare.insights import report

    fixture = survey_fixture()
    for when in (IN_MARCH, madrid(2026, 2, 10, 12)):
        answers(fixture, "nps", [10, 10, 9, 9, 9, 8, 7, 6, 3, 0], when=when)
        answers(fixture, "csat", [5, 5, 4, 4, 4, 3, 2, 1, 5, 4], when=when)
        answers(fixture, "ces", [5, 6, 7, 5, 6, 4, 7, 6, 5, 6], when=when)
        answers(fixture, "product", [5] * 6 + [1] * 4, when=when, weight=2.0)
        answers(fixture, "check", [1, 0], when=when, kind="audit")
    period = care.insights.period(date(2026, 3, 2), date(2026, 4, 1))
    data = report.dashboard(care.insights, period, "month")
    for name in ("nps", "csat", "ces"):
        assert data["headlines"][name]["current"] == getattr(care.insights, name)(period).as_dict()
        assert (
            data["headlines"][name]["previous"]
            == getattr(care.insights, name)(period.previous()).as_dict()
        )
    tables = {table["key"]: table for table in data["tables"]}
    product = next(row for row in tables["indices"]["rows"] if row["area"] == "Products")
    assert product["value"] == care.insights.indices(period)["product"].as_dict()["value"]
    assert product["n"] == 10
    infrastructure = next(
        r for r in tables["indices"]["rows"] if r["area"] == "Site, pick-up points and packaging"
    )
    assert infrastructure["audit"] == 50.0 and infrastructure["audit_n"] == 2
    assert [row["answers"] for row in tables["csat_distribution"]["rows"]] == [1, 1, 1, 4, 3]
    assert sum(row["answers"] for row in tables["nps_distribution"]["rows"]) == 10


def test_dashboard_lanes_read_one_snapshot_and_give_the_same_figures(
    app: Any, care: Any, db: Any, is_postgres: bool
) -> None:
    """On PostgreSQL the dashboard's independent figures are computed on several
    connections at once (``SHOPCARE_INSIGHTS_CONNECTIONS``), each importing the request
    transaction's snapshot: the same dashboard as one connection gives, from committed
    data. While the request's own transaction has written something, every figure is
    computed on its own connection (the others could not see the writes)."""
    from sqlalchemy import event

    from shopcare.insights import report

    fixture = survey_fixture()
    mug = order(care, "M-1", [("MUG-1", 2, "10.00", "kitchen")], delivered=IN_MARCH)
    for when in (IN_MARCH, madrid(2026, 2, 10, 12)):
        answers(fixture, "nps", [10, 10, 9, 9, 9, 8, 7, 6, 3, 0], when=when, the_order=mug)
        answers(fixture, "csat", [5, 5, 4, 4, 4, 3, 2, 1, 5, 4], when=when)
    ticket(subject="late", order_id=mug.id, created_at=IN_MARCH)
    period = care.insights.period(date(2026, 3, 2), date(2026, 4, 1))
    seen: set[int] = set()

    def spy(conn: Any, *args: Any) -> None:
        seen.add(id(conn.connection.dbapi_connection))

    event.listen(db.engine, "before_cursor_execute", spy)
    try:
        app.config["SHOPCARE_INSIGHTS_CONNECTIONS"] = 3
        uncommitted = report.dashboard(care.insights, period, "month")
        assert len(seen) == 1  # the writes above are this transaction's own
        db.session.commit()
        app.config["SHOPCARE_INSIGHTS_CONNECTIONS"] = 1
        seen.clear()
        alone = report.dashboard(care.insights, period, "month")
        assert len(seen) == 1
        db.session.rollback()
        app.config["SHOPCARE_INSIGHTS_CONNECTIONS"] = 3
        seen.clear()
        together = report.dashboard(care.insights, period, "month")
        # the request's own connection and one per lane (each lane keeps its connection
        # for all the figures it takes): more than one on PostgreSQL, at most 1 + 3; the
        # request's alone on SQLite
        assert (len(seen) > 1) is is_postgres
        assert len(seen) <= 4
        db.session.rollback()
    finally:
        event.remove(db.engine, "before_cursor_execute", spy)
    assert together == alone == uncommitted
    assert together["headlines"]["nps"]["current"]["n"] == 10
