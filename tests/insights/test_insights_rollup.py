"""The daily rollup of the answers (``shopcare.insights.rollup``): the dashboard gives the
same figures from rollup + live days as from the answers alone; the worker's refresh is
idempotent, redoes the day of a late answer, rebuilds when the zone changes or answers
were erased, and two workers at once leave the same rows (PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from shopcare.insights import report, rollup
from shopcare.insights.models import DailyAnswers, Rollup
from shopcare.surveys.models import Answer
from tests.insights.helpers import CONFIG, answers, madrid, survey_fixture


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {**CONFIG, "SHOPCARE_INSIGHTS_MIN_N": 10}


NOW = madrid(2026, 3, 20, 12)  # the rollup covers days up to 19 March


def shop(fixture: Any) -> None:
    """Hand-computed answers (tests/insights/test_insights_answers.py) on days either
    side of the watermark and of a month's edge in Madrid: 00:30 on 1 March is still
    28 February in UTC, and is March's."""
    for when in (
        madrid(2026, 2, 10, 12),
        madrid(2026, 3, 1, 0, 30),
        madrid(2026, 3, 10, 12),
        madrid(2026, 3, 19, 23, 59),
        madrid(2026, 3, 20, 0, 1),  # today: live
    ):
        answers(fixture, "nps", [10, 10, 9, 9, 9, 8, 7, 6, 3, 0], when=when)
        answers(fixture, "csat", [5, 5, 4, 4, 4, 3, 2, 1, 5, 4], when=when)
        answers(fixture, "ces", [5, 6, 7, 5, 6, 4, 7, 6, 5, 6], when=when)
        answers(fixture, "product", [5] * 6 + [1] * 4, when=when, weight=2.0)
        answers(fixture, "check", [1, 0], when=when, kind="audit")


def rows() -> list[tuple[Any, ...]]:
    """The rollup's rows, comparable across runs."""
    return [
        (r.day, r.kind, r.area, r.type, r.question_id, r.value, r.answers, r.scored, r.weights)
        for r in select_all()
    ]


def select_all() -> list[DailyAnswers]:
    from shopcare.core.db import session

    session().expire_all()
    return list(
        session().scalars(
            select(DailyAnswers).order_by(
                DailyAnswers.day, DailyAnswers.question_id, DailyAnswers.value
            )
        )
    )


def live_dashboard(care: Any, period: Any) -> dict[str, Any]:
    """The dashboard with no usable rollup: everything read from the answers."""
    from shopcare.core.db import session

    session().execute(delete(Rollup))
    return report.dashboard(care.insights, period, "month")


def test_rollup_and_live_days_give_the_figures_of_the_answers(care: Any, db: Any) -> None:
    shop(survey_fixture())
    done = rollup.refresh(now=NOW)
    assert done.rebuilt == "first run" and done.rows > 0
    assert rollup.usable_until(madrid(2026, 1, 1).tzinfo) == date(2026, 3, 20)
    # the shop-local day: 00:30 in Madrid on 1 March is March's, not 28 February's
    days = {row.day for row in select_all()}
    assert days == {date(2026, 2, 10), date(2026, 3, 1), date(2026, 3, 10), date(2026, 3, 19)}
    for start, end in (
        (date(2026, 3, 1), date(2026, 3, 21)),  # rollup + today live, vs February
        (date(2026, 3, 2), date(2026, 4, 1)),  # the comparison period starts on 31 January
        (date(2026, 3, 20), date(2026, 3, 21)),  # today alone: all live
        (date(2026, 2, 1), date(2026, 3, 1)),  # closed days alone: all rollup
    ):
        rollup.refresh(now=NOW)  # after live_dashboard dropped the watermark: a rebuild
        period = care.insights.period(start, end)
        with_rollup = report.dashboard(care.insights, period, "month")
        # what the hand-computed fixtures give (test_insights_answers): per day NPS 20,
        # CSAT 70 %; March 1-21 holds four days, so n = 40
        if start == date(2026, 3, 1):
            nps = with_rollup["headlines"]["nps"]["current"]
            assert (nps["value"], nps["n"]) == (20.0, 40)
            assert with_rollup["headlines"]["csat"]["current"]["value"] == 70.0
            assert with_rollup["headlines"]["nps"]["previous"]["n"] == 10
        assert with_rollup == live_dashboard(care, period), (start, end)


def test_the_dashboard_reads_the_rollup_for_closed_days(care: Any, db: Any) -> None:
    """Erase the answers of the closed days without telling the rollup: the dashboard
    still counts them (it read the rollup), and today's come from the answers."""
    shop(survey_fixture())
    rollup.refresh(now=NOW)
    db.session.execute(delete(Answer).where(Answer.created_at < madrid(2026, 3, 20)))
    period = care.insights.period(date(2026, 3, 1), date(2026, 3, 21))
    data = report.dashboard(care.insights, period, "month")
    assert data["headlines"]["nps"]["current"]["n"] == 40
    assert live_dashboard(care, period)["headlines"]["nps"]["current"]["n"] == 10


def test_refresh_is_idempotent_and_a_late_answer_redoes_its_day(care: Any) -> None:
    fixture = survey_fixture()
    shop(fixture)
    rollup.refresh(now=NOW)
    first = rows()
    again = rollup.refresh(now=NOW)
    assert again.rebuilt == "" and again.days == rollup.RECHECK_DAYS
    assert rows() == first
    # an answer arrives late for 10 February (imported, say): its day is redone alone
    answers(fixture, "nps", [10, 10], when=madrid(2026, 2, 10, 18))
    late = rollup.refresh(now=NOW)
    assert late.rebuilt == "" and late.days == rollup.RECHECK_DAYS + 1
    nines = [r for r in select_all() if r.day == date(2026, 2, 10) and r.type == "nps"]
    assert {r.value: r.answers for r in nines}[10] == 4
    period = care.insights.period(date(2026, 2, 1), date(2026, 3, 1))
    assert report.dashboard(care.insights, period)["headlines"]["nps"]["current"]["n"] == 12


def test_a_new_day_is_rolled_up_when_it_closes(care: Any) -> None:
    shop(survey_fixture())
    rollup.refresh(now=NOW)
    assert date(2026, 3, 20) not in {row.day for row in select_all()}
    tomorrow = rollup.refresh(now=NOW + timedelta(days=1))
    assert tomorrow.rebuilt == ""
    assert date(2026, 3, 20) in {row.day for row in select_all()}
    assert rollup.usable_until(madrid(2026, 1, 1).tzinfo) == date(2026, 3, 21)


def test_erased_answers_make_the_next_run_rebuild(care: Any, db: Any) -> None:
    shop(survey_fixture())
    rollup.refresh(now=NOW)
    db.session.execute(delete(Answer).where(Answer.created_at < madrid(2026, 3, 1)))
    done = rollup.refresh(now=NOW)
    assert "rolled up" in done.rebuilt
    assert date(2026, 2, 10) not in {row.day for row in select_all()}


def test_a_time_zone_change_is_detected_and_rebuilds(app: Any, care: Any) -> None:
    from zoneinfo import ZoneInfo

    shop(survey_fixture())
    rollup.refresh(now=NOW)
    app.config["SHOPCARE_DEFAULT_TIMEZONE"] = "UTC"
    # until the worker runs, the dashboard reads no rollup cut in Madrid
    assert rollup.usable_until(ZoneInfo("UTC")) is None
    done = rollup.refresh(now=NOW)
    assert "time zone changed from Europe/Madrid to UTC" in done.rebuilt
    # 00:30 on 1 March in Madrid is 23:30 on 28 February in UTC
    assert date(2026, 2, 28) in {row.day for row in select_all()}
    assert date(2026, 3, 1) not in {row.day for row in select_all()}


def test_the_worker_runs_it_and_the_cli_rebuilds(app: Any, care: Any, db: Any) -> None:
    shop(survey_fixture())
    db.session.commit()
    assert app.extensions["shopcare"].periodic_tasks["insights.rollup"].run is rollup.refresh_task
    result = app.test_cli_runner().invoke(args=["shopcare", "work"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.sum(DailyAnswers.answers))) == 5 * 42
    before = rows()
    db.session.execute(delete(DailyAnswers).where(DailyAnswers.day == date(2026, 2, 10)))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["shopcare", "insights", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "rebuilt (asked)" in result.output
    assert rows() == before


def test_two_workers_at_once_leave_the_same_rows(
    app: Any, care: Any, db: Any, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("SQLite serialises writers with a database lock; the race needs PostgreSQL")
    fixture = survey_fixture()
    shop(fixture)
    db.session.commit()
    rollup.refresh(now=NOW)
    db.session.commit()
    answers(fixture, "nps", [10, 10], when=madrid(2026, 2, 10, 18))
    db.session.commit()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def work() -> None:
        with app.app_context():
            try:
                barrier.wait()
                rollup.refresh(now=NOW + timedelta(days=1))
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
    raced = rows()
    rollup.refresh(now=NOW + timedelta(days=1), full=True)
    db.session.commit()
    assert rows() == raced
    assert sum(r[6] for r in raced) == 5 * 42 + 2
