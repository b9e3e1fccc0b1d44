"""SLA arithmetic in business hours (PITFALLS "SLA across a clock change", "Holidays
across the year end"), the pause, and the breach notified once per ticket and target."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shopcare.core import signals
from shopcare.feedback import sla
from shopcare.feedback.models import Ticket
from tests.feedback.helpers import CONFIG, madrid


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(CONFIG)


def test_clock_change_friday_to_monday(app: Any) -> None:
    # 25 Oct 2026: CEST → CET. 16:00 Friday + 4 business hours = 12:00 Monday CET, not 11:00.
    due = sla.add_hours(madrid(2026, 10, 23, 16, 0), 4)
    assert due.astimezone(madrid(2026, 1, 1).tzinfo) == madrid(2026, 10, 26, 12, 0)
    assert due == datetime(2026, 10, 26, 11, 0, tzinfo=UTC)  # 12:00 CET is 11:00 UTC


def test_holidays_across_the_year_end(app: Any) -> None:
    # 15:00 Thu 31 Dec 2026 + 8 h: 2 h on Thursday, New Year's Day and the weekend skipped,
    # 6 h on Monday 4 January 2027 → 15:00 (the 2027 holidays are loaded too).
    assert sla.add_hours(madrid(2026, 12, 31, 15, 0), 8) == madrid(2027, 1, 4, 15, 0)


def test_weekend_and_holiday(app: Any) -> None:
    # Friday 17:30 (closed) + 1 h → Monday 10:00.
    assert sla.add_hours(madrid(2026, 11, 27, 17, 30), 1) == madrid(2026, 11, 30, 10, 0)
    # Tuesday 8 Dec 2026 is a national holiday in Spain (Immaculate Conception):
    # Monday 16:00 + 2 h → Wednesday 10:00.
    assert sla.add_hours(madrid(2026, 12, 7, 16, 0), 2) == madrid(2026, 12, 9, 10, 0)
    # before opening time the clock starts at opening
    assert sla.add_hours(madrid(2026, 12, 2, 7, 0), 1) == madrid(2026, 12, 2, 10, 0)


def test_region_holidays(app: Any) -> None:
    # Friday 28 April 2028 16:00 + 2 h: 1 h on Friday; Monday 1 May is Labour Day;
    # Tuesday 2 May is a holiday in the Community of Madrid only.
    assert sla.add_hours(madrid(2028, 4, 28, 16, 0), 2) == madrid(2028, 5, 2, 10, 0)
    app.config["SHOPCARE_COUNTRY_SUBDIVISION"] = "MD"
    assert sla.add_hours(madrid(2028, 4, 28, 16, 0), 2) == madrid(2028, 5, 3, 10, 0)


def test_seconds_between_is_the_inverse(app: Any) -> None:
    start = madrid(2026, 10, 23, 16, 0)
    due = sla.add_hours(start, 4)
    assert sla.seconds_between(start, due) == 4 * 3600
    assert sla.seconds_between(due, start) == 0


def test_calendar_hours(app: Any) -> None:
    app.config["SHOPCARE_FEEDBACK_SLA_BUSINESS_HOURS"] = False
    start = madrid(2026, 10, 23, 16, 0)
    assert sla.add_hours(start, 4) == start + timedelta(hours=4)


def test_targets_at_intake_and_the_pause(app: Any, care: Any, db: Any) -> None:
    start = madrid(2026, 11, 27, 16, 0)  # a Friday
    ticket = care.feedback.submit(
        "question", "Sizes?", "Which size?", email="a@example.com", now=start
    )
    assert ticket.priority == "normal"
    # normal: first response 8 h → Monday 16:00 (1 h Friday, 7 h Monday 09-16)
    assert ticket.first_response_due_at == madrid(2026, 11, 30, 16, 0)
    # staff answer Monday 10:00 and wait for the shopper (6 resolution hours used of 40)
    care.feedback.reply(
        ticket.reference,
        "Which one?",
        waiting=True,
        now=madrid(2026, 11, 30, 10, 0),
        actor=_staff(),
    )
    assert ticket.status == "waiting_on_customer" and ticket.sla_paused_at is not None
    due_before = ticket.resolution_due_at
    # the shopper answers two business days later: the due time moves on by the pause
    care.feedback.reply(
        ticket.reference, "Size M", now=madrid(2026, 12, 2, 10, 0), actor=_shopper()
    )
    assert ticket.status == "in_progress" and ticket.sla_paused_at is None
    assert sla.seconds_between(due_before, ticket.resolution_due_at) == 16 * 3600
    db.session.commit()


def _staff() -> Any:
    from shopcare.core.events import Actor

    return Actor.staff("sam")


def _shopper() -> Any:
    from shopcare.core.events import Actor

    return Actor.shopper(None, "a@example.com")


def _breaches(app: Any) -> list[tuple[str, str]]:
    got: list[tuple[str, str]] = []

    def receiver(sender: Any, ticket: Any, target: str, due_at: Any) -> None:
        got.append((ticket.reference, target))

    signals.complaint_sla_breached.connect(receiver, app, weak=False)
    return got


def test_breach_fires_once_and_once_more_after_a_reopen(app: Any, care: Any, db: Any) -> None:
    got = _breaches(app)
    try:
        start = datetime.now(UTC) - timedelta(days=30)
        ticket = care.feedback.submit(
            "complaint", "Late", "Still waiting", email="a@example.com", now=start
        )
        db.session.commit()
        assert care.feedback.sweep_sla() == 2
        assert care.feedback.sweep_sla() == 0  # five minutes later: nothing new
        db.session.commit()
        assert sorted(got) == [
            (ticket.reference, "first_response"),
            (ticket.reference, "resolution"),
        ]
        care.feedback.resolve(ticket.reference, "Sorry, refunded.", actor=_staff())
        care.feedback.reopen(
            ticket.reference, actor=_staff(), now=datetime.now(UTC) - timedelta(days=20)
        )
        db.session.commit()
        assert care.feedback.sweep_sla() == 1  # the new resolution target, once
        assert care.feedback.sweep_sla() == 0
        db.session.commit()
        assert got.count((ticket.reference, "resolution")) == 2
        assert got.count((ticket.reference, "first_response")) == 1
    finally:
        signals.complaint_sla_breached.receivers.clear()


def test_two_workers_sweeping_at_once_notify_once(
    app: Any, care: Any, db: Any, is_postgres: bool
) -> None:
    got = _breaches(app)
    try:
        start = datetime.now(UTC) - timedelta(days=30)
        for n in range(5):
            care.feedback.submit(
                "complaint", f"Late {n}", "Still waiting", email="a@example.com", now=start
            )
        db.session.commit()
        barrier = threading.Barrier(2)
        counts: list[int] = []

        def worker() -> None:
            with app.app_context():
                try:
                    barrier.wait()
                    counts.append(app.extensions["shopcare"].care.feedback.sweep_sla())
                    db.session.commit()
                except Exception:
                    db.session.rollback()
                    raise
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        # then both again, five minutes later
        for _ in range(2):
            counts.append(care.feedback.sweep_sla())
            db.session.commit()
        assert sum(counts) == 10
        assert len(got) == 10 and len(set(got)) == 10
        assert (
            db.session.query(Ticket).filter(Ticket.resolution_breached_at.is_not(None)).count() == 5
        )
    finally:
        signals.complaint_sla_breached.receivers.clear()


def test_a_paused_ticket_is_not_breached(app: Any, care: Any, db: Any) -> None:
    start = datetime.now(UTC) - timedelta(days=30)
    ticket = care.feedback.submit("question", "Q", "Q?", email="a@example.com", now=start)
    care.feedback.reply(
        ticket.reference,
        "Tell us more",
        waiting=True,
        actor=_staff(),
        now=start + timedelta(minutes=5),
    )
    db.session.commit()
    assert care.feedback.sweep_sla() == 0
    assert care.feedback.sla_state(ticket) == "paused"
