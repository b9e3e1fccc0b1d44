"""The outbox in one process: enqueueing in the caller's transaction, the worker
sending real e-mail to a loopback SMTP server, retries, leases, periodic tasks, the CLI."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import select, update

from shopcare import NotFound, TransitionError, ValidationError
from shopcare.core.db import utcnow
from shopcare.core.events import events_for, record_event
from shopcare.core.outbox import (
    OutboxItem,
    PeriodicTask,
    enqueue_job,
    enqueue_mail,
    list_items,
    retry,
)
from shopcare.core.outbox.mail import message_id
from shopcare.core.outbox.worker import Worker, backoff, work
from shopcare.core.state import State, get_state


@pytest.fixture(autouse=True)
def declared(app, care):
    """The made-up actions the test jobs and tasks write."""
    care.add_events("order.noted", "order.counted", "shop.ticked", "shop.half_done", app=app)


@pytest.fixture
def app_config(smtp_server: Any) -> dict[str, Any]:
    return {
        **smtp_server.config,
        "SHOPCARE_EXTERNAL_URL": "https://shop.example",
        "SHOPCARE_SHOP_NAME": "Tea & Co",
        "SHOPCARE_OUTBOX_MAX_ATTEMPTS": 3,
    }


class Handlers:
    """Declares a test's job handlers and periodic tasks on its own app's state (a new
    app for each test, so nothing outlives the test)."""

    def __init__(self, state: State) -> None:
        self.state = state

    def job(self, kind: str) -> Callable[[F], F]:
        def declare(handler: F) -> F:
            self.state.add_job(kind, handler)
            return handler

        return declare

    def periodic(self, kind: str, *, every: timedelta) -> Callable[[T], T]:
        def declare(task: T) -> T:
            self.state.add_periodic(kind, task, every=every)
            return task

        return declare


F = TypeVar("F", bound=Callable[[dict[str, Any]], None])
T = TypeVar("T", bound=Callable[[], None])


@pytest.fixture
def handlers(app: Any) -> Handlers:
    return Handlers(get_state(app))


def items(db: Any) -> list[OutboxItem]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxItem).order_by(OutboxItem.id)))


def time_passes(db: Any) -> None:
    """Make every queued item due now (instead of waiting out its back-off)."""
    db.session.execute(
        update(OutboxItem).where(OutboxItem.status == "queued").values(due_at=utcnow())
    )
    db.session.commit()


def test_enqueue_is_part_of_the_callers_transaction(db, smtp_server):
    enqueue_mail("ann@example.com", "test", {}, dedupe_key="t:1")
    enqueue_job("noop", {"a": 1})
    db.session.rollback()
    assert items(db) == []
    work()
    assert smtp_server.messages == []

    enqueue_mail("ann@example.com", "test", {}, dedupe_key="t:1")
    db.session.commit()
    assert [(i.kind, i.status, i.payload["to"]) for i in items(db)] == [
        ("mail", "queued", "ann@example.com")
    ]


def test_enqueue_validates_and_dedupes(db):
    with pytest.raises(ValidationError, match="to"):
        enqueue_mail("not an address", "test", {}, dedupe_key="k")
    with pytest.raises(ValidationError, match="template"):
        enqueue_mail("ann@example.com", "no/such", {}, dedupe_key="k")
    with pytest.raises(ValidationError, match="context"):
        enqueue_mail("ann@example.com", "test", {"when": utcnow()}, dedupe_key="k")
    with pytest.raises(ValidationError, match="run_at"):
        enqueue_job("x", {}, run_at=utcnow().replace(tzinfo=None))
    with pytest.raises(ValidationError, match="kind"):
        enqueue_job("mail", {})
    with pytest.raises(ValidationError, match="dedupe_key"):
        enqueue_mail("ann@example.com", "test", {}, dedupe_key="")
    assert enqueue_job("x", {}, dedupe_key="once") is not None
    assert enqueue_job("x", {}, dedupe_key="once") is None
    db.session.commit()
    assert enqueue_mail("a@example.com", "test", {}, dedupe_key="once") is None
    item = enqueue_mail("a@example.com", "test", {}, locale="es-MX", dedupe_key="m")
    assert item is not None and item.payload["locale"] == "es"
    assert (
        enqueue_mail("b@example.com", "test", {}, locale="fr", dedupe_key="f").payload["locale"]
        == "en"
    )


def test_worker_sends_text_and_html_in_spanish(db, smtp_server):
    enqueue_mail("Ana@Example.com", "test", {}, locale="es", dedupe_key="welcome:ana")
    enqueue_mail("bob@example.com", "test", {}, dedupe_key="welcome:bob")
    db.session.commit()
    report = work()
    assert (report.done, report.retried, report.failed) == (2, 0, 0)

    spanish, english = sorted(smtp_server.messages, key=lambda m: m["To"] != "Ana@example.com")
    assert spanish["Subject"] == "Mensaje de prueba de Tea & Co"
    assert spanish["From"] == "care@shop.example"
    assert spanish["Message-ID"] == message_id("welcome:ana")
    assert spanish["X-Shopcare-Dedupe"] == "welcome:ana"
    assert spanish["Auto-Submitted"] == "auto-generated"
    text = spanish.get_body(("plain",)).get_content()
    html = spanish.get_body(("html",)).get_content()
    assert "Este es un mensaje de prueba" in text
    assert "https://shop.example/care/" in text
    assert '<html lang="es">' in html and "Tea &amp; Co" in html
    assert 'href="https://shop.example/care/"' in html
    assert english["Subject"] == "Test message from Tea & Co"
    assert smtp_server.collector.envelopes[0][0] == "care@shop.example"

    rows = items(db)
    assert [(r.status, r.attempts) for r in rows] == [("done", 1), ("done", 1)]
    assert all(r.sent_at is not None and r.finished_at is not None for r in rows)
    assert work().done == 0  # nothing is sent twice
    assert len(smtp_server.messages) == 2


def test_mail_sender_setting_wins(app, db, smtp_server):
    app.config["SHOPCARE_MAIL_SENDER"] = "Tea & Co care <care@tea.example>"
    enqueue_mail("ann@example.com", "test", {}, dedupe_key="s")
    db.session.commit()
    work()
    (sender,) = smtp_server.wait_for(1)[0]["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Tea & Co care", "care@tea.example")


def test_smtp_down_backs_off_then_everything_arrives_once(db, smtp_server):
    smtp_server.stop()
    for number in range(5):
        enqueue_mail(f"s{number}@example.com", "test", {}, dedupe_key=f"outage:{number}")
    db.session.commit()
    before = utcnow()
    report = work()
    assert report.retried == 5
    rows = items(db)
    assert {(r.status, r.attempts) for r in rows} == {("queued", 1)}
    assert all(r.due_at >= before + backoff(1) for r in rows)
    assert all("Connection refused" in (r.last_error or "") for r in rows)

    work()  # not due yet: nothing is tried
    assert {r.attempts for r in items(db)} == {1}

    time_passes(db)
    work()  # still down: a second attempt, and a longer wait
    assert {(r.status, r.attempts) for r in items(db)} == {("queued", 2)}
    assert backoff(2) == 2 * backoff(1)

    smtp_server.start()
    time_passes(db)
    assert work().done == 5
    assert sorted(m["To"] for m in smtp_server.messages) == [
        f"s{number}@example.com" for number in range(5)
    ]
    time_passes(db)
    work()
    assert len(smtp_server.messages) == 5


def test_job_fails_after_max_attempts_then_retry(app, db, handlers, signals_recorder):
    calls: list[dict[str, Any]] = []
    broken = True

    @handlers.job("test.flaky")
    def flaky(payload: dict[str, Any]) -> None:
        calls.append(payload)
        record_event("order", payload["order"], "order.noted")  # rolled back on failure
        if broken:
            raise RuntimeError("warehouse API is down")

    enqueue_job("test.flaky", {"order": 5})
    db.session.commit()
    with signals_recorder("outbox-item-failed") as received:
        for _ in range(3):
            work()
            time_passes(db)
    (item,) = items(db)
    assert (item.status, item.attempts, len(calls)) == ("failed", 3, 3)
    assert "RuntimeError: warehouse API is down" in item.last_error
    assert [(name, kwargs["item"].id) for name, _, kwargs in received] == [
        ("outbox-item-failed", item.id)
    ]
    assert events_for("order", 5) == []  # no half-done work was committed
    assert work().done == 0  # failed items stay failed

    runner = app.test_cli_runner()
    listed = runner.invoke(args=["shopcare", "outbox", "list", "--failed"])
    assert f"{item.id}" in listed.output and "warehouse API is down" in listed.output
    assert runner.invoke(args=["shopcare", "outbox", "retry"]).exit_code == 2
    result = runner.invoke(args=["shopcare", "outbox", "retry", str(item.id)])
    assert result.exit_code == 0, result.output
    assert [(i.status, i.attempts) for i in items(db)] == [("queued", 0)]

    broken = False
    assert work().done == 1
    assert [e.action for e in events_for("order", 5)] == ["order.noted"]
    assert runner.invoke(args=["shopcare", "outbox", "retry", str(item.id)]).exit_code == 1


def test_retry_service_and_all_failed(app, db, handlers):
    @handlers.job("test.boom")
    def boom(payload: dict[str, Any]) -> None:
        raise ValueError("boom")

    for number in range(2):
        enqueue_job("test.boom", {"n": number})
    db.session.commit()
    for _ in range(3):
        work()
        time_passes(db)
    assert [i.status for i in list_items("failed")] == ["failed", "failed"]
    with pytest.raises(NotFound):
        retry(10**9)
    first = list_items("failed")[-1]
    assert retry(first.id).status == "queued"
    with pytest.raises(TransitionError):
        retry(first.id)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["shopcare", "outbox", "retry", "--all-failed"])
    assert "1 item(s) queued again" in result.output
    assert {i.status for i in items(db)} == {"queued"}


def test_unknown_job_kind_is_retried_with_a_clear_error(db):
    enqueue_job("test.nobody", {})
    db.session.commit()
    work()
    (item,) = items(db)
    assert item.status == "queued" and "no job handler for 'test.nobody'" in item.last_error


def test_refused_recipient_fails_at_once(db, smtp_server, signals_recorder):
    enqueue_mail("bounce@example.com", "test", {}, dedupe_key="bounce")
    enqueue_mail("ok@example.com", "test", {}, dedupe_key="ok")
    db.session.commit()
    with signals_recorder("outbox-item-failed") as received:
        report = work()
    assert (report.done, report.failed) == (1, 1)
    assert len(received) == 1
    bounced = received[0][2]["item"]
    assert bounced.attempts == 1 and "550" in bounced.last_error
    assert [m["To"] for m in smtp_server.messages] == ["ok@example.com"]


def test_expired_lease_is_claimed_again_and_the_late_worker_loses(db, handlers):
    done: list[int] = []

    @handlers.job("test.count")
    def count(payload: dict[str, Any]) -> None:
        record_event("order", 9, "order.counted")
        done.append(payload["n"])

    enqueue_job("test.count", {"n": 1})
    db.session.commit()
    slow, fast = Worker(name="slow"), Worker(name="fast")
    (held,) = slow.claim()
    assert fast.claim() == []  # the lease holds

    # The slow worker's lease runs out (it died, or hung longer than the lease).
    db.session.execute(update(OutboxItem).values(due_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    (again,) = fast.claim()
    assert again.id == held.id and again.attempts == 2 and again.token != held.token

    from shopcare.core.outbox.mail import MailSender

    with MailSender() as sender:
        assert slow.process(held, sender) == "retried"  # lost its lease: work rolled back
        assert fast.process(again, sender) == "done"
    assert done == [1, 1]  # the handler ran twice (at least once) …
    assert [e.action for e in events_for("order", 9)] == ["order.counted"]  # … its effect once
    assert [(i.status, i.attempts) for i in items(db)] == [("done", 2)]


def test_lease_ran_out_on_every_attempt_gives_up(db, signals_recorder):
    enqueue_job("test.crashy", {})
    db.session.commit()
    worker = Worker(name="dies-each-time")
    for _ in range(3):  # SHOPCARE_OUTBOX_MAX_ATTEMPTS claims, each lease expiring
        assert len(worker.claim()) == 1
        db.session.execute(update(OutboxItem).values(due_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    with signals_recorder("outbox-item-failed") as received:
        assert work().failed == 1
    (item,) = items(db)
    assert item.status == "failed" and "lease ran out" in item.last_error
    assert len(received) == 1


def test_run_at_in_the_future_waits(db, handlers):
    ran: list[int] = []
    handlers.job("test.later")(lambda payload: ran.append(1))
    enqueue_job("test.later", {}, run_at=utcnow() + timedelta(hours=1))
    db.session.commit()
    assert work().done == 0
    time_passes(db)
    assert work().done == 1 and ran == [1]


def test_stopping_releases_claimed_items_not_started(db, handlers):
    stop = threading.Event()
    seen: list[int] = []

    @handlers.job("test.stopper")
    def stopper(payload: dict[str, Any]) -> None:
        seen.append(payload["n"])
        stop.set()  # SIGTERM arrives while the first item runs

    for number in range(3):
        enqueue_job("test.stopper", {"n": number})
    db.session.commit()
    report = work(stop=stop)
    assert report.done == 1 and seen == [0]
    rows = items(db)
    assert [(r.status, r.attempts, r.claimed_by) for r in rows[1:]] == [("queued", 0, None)] * 2
    assert work().done == 2


def test_periodic_task_runs_once_per_interval_across_workers(db, handlers):
    runs: list[str] = []

    @handlers.periodic("test.tick", every=timedelta(minutes=10))
    def tick() -> None:
        runs.append("tick")
        record_event("shop", "1", "shop.ticked")

    assert Worker(name="a").run_periodic() >= 1
    assert Worker(name="b").run_periodic() == 0
    assert runs == ["tick"]
    task = db.session.get(PeriodicTask, "test.tick")
    assert task.next_run_at > utcnow() + timedelta(minutes=9)
    assert task.last_finished_at is not None and task.last_error is None

    db.session.execute(update(PeriodicTask).values(next_run_at=utcnow()))
    db.session.commit()
    work()
    assert runs == ["tick", "tick"]
    assert len(events_for("shop", "1")) == 2


def test_failing_periodic_task_records_its_error(db, handlers):
    @handlers.periodic("test.broken", every=timedelta(minutes=5))
    def broken() -> None:
        record_event("shop", "2", "shop.half_done")
        raise RuntimeError("no luck")

    work()
    db.session.expire_all()
    task = db.session.get(PeriodicTask, "test.broken")
    assert "RuntimeError: no luck" in task.last_error
    assert events_for("shop", "2") == []


def test_the_state_refuses_a_second_function_for_a_kind(handlers):
    handlers.job("test.one")(lambda payload: None)
    with pytest.raises(ValueError, match="already handled"):

        @handlers.job("test.one")
        def other(payload: dict[str, Any]) -> None: ...

    with pytest.raises(ValueError, match="own kind for e-mails"):
        handlers.job("mail")(lambda payload: None)
    with pytest.raises(ValueError, match="positive"):
        handlers.periodic("test.p", every=timedelta(0))(lambda: None)


def test_jobs_belong_to_their_app(app, database_url, handlers):
    from tests.host import make_app

    handlers.job("test.mine")(lambda payload: None)
    other, other_db, _care = make_app(database_url)
    assert "test.mine" in get_state(app).jobs
    assert "test.mine" not in get_state(other).jobs
    assert "tracking.flag_late" in get_state(other).periodic_tasks
    with other.app_context():
        other_db.engine.dispose()


def test_purge_deletes_old_done_items(app, db, handlers):
    from shopcare.core.outbox.worker import purge_done_items

    handlers.job("test.quick")(lambda payload: None)
    for number in range(2):
        enqueue_job("test.quick", {"n": number})
    db.session.commit()
    work()
    old, kept = (item.id for item in items(db))
    db.session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == old)
        .values(finished_at=utcnow() - timedelta(days=91))
    )
    purge_done_items()
    db.session.commit()
    assert [i.id for i in items(db)] == [kept]


def test_cli_work_and_mail_test(app, db, smtp_server):
    runner = app.test_cli_runner()
    enqueue_mail("ann@example.com", "test", {}, dedupe_key="cli")
    db.session.commit()
    result = runner.invoke(args=["shopcare", "work"])
    assert result.exit_code == 0 and "1 done" in result.output
    result = runner.invoke(args=["shopcare", "mail", "test", "sam@example.com", "--locale", "es"])
    assert result.exit_code == 0, result.output
    assert smtp_server.wait_for(2)[1]["Subject"] == "Mensaje de prueba de Tea & Co"
    smtp_server.stop()
    result = runner.invoke(args=["shopcare", "mail", "test", "sam@example.com"])
    assert result.exit_code == 1 and "could not send" in result.output
    assert "no outbox items" not in runner.invoke(args=["shopcare", "outbox", "list"]).output
