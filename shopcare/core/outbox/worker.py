"""The worker: claims due outbox items, sends the e-mails, runs the jobs and the
periodic tasks. Run it with ``flask shopcare work`` (one pass) or
``flask shopcare work --forever`` (one per host; any number of hosts may run it).

Delivery is at least once. Each item is claimed with a lease (``due_at``) in its own
committed UPDATE: ``SELECT … FOR UPDATE SKIP LOCKED`` picks rows on PostgreSQL, and on
SQLite the single UPDATE statement is atomic under the database's write lock. A
worker that dies mid-item leaves the row ``running`` until the lease ends; then
another worker claims it again. An e-mail accepted by the SMTP server is marked done
in the very next statement; only a crash (or a lost database) in that instant sends
it twice, and both copies then carry the same Message-ID, derived from the dedupe key,
so that a receiving system can drop the second one. A job's own writes are committed
together with marking it done, so a job's database effects happen exactly once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from shopcare.core import signals
from shopcare.core.config import setting
from shopcare.core.db import session, utcnow
from shopcare.core.errors import TransitionError, ValidationError
from shopcare.core.outbox.mail import MailSender, build_message, is_permanent, render_mail
from shopcare.core.outbox.models import (
    DONE,
    FAILED,
    MAIL_KIND,
    OUTBOX,
    QUEUED,
    RUNNING,
    OutboxItem,
    PeriodicTask,
)
from shopcare.core.state import get_state

log = logging.getLogger("shopcare.outbox")

#: Test hook: seconds a worker sleeps right after claiming a batch, so that a test can
#: kill it between claim and send. Not a setting: never set it in production.
SLEEP_AFTER_CLAIM_ENV = "SHOPCARE_OUTBOX_TEST_SLEEP_AFTER_CLAIM"

_items = cast(Table, OutboxItem.__table__)
_tasks = cast(Table, PeriodicTask.__table__)


@dataclass(frozen=True)
class Claimed:
    """An item this worker holds, as read by the claim."""

    id: int
    kind: str
    payload: dict[str, Any]
    dedupe_key: str | None
    attempts: int
    last_error: str | None
    token: str


@dataclass
class WorkReport:
    """What a pass of the worker did."""

    done: int = 0
    retried: int = 0
    failed: int = 0
    periodic: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: WorkReport) -> None:
        self.done += other.done
        self.retried += other.retried
        self.failed += other.failed
        self.periodic += other.periodic
        self.errors += other.errors

    def __str__(self) -> str:
        return (
            f"{self.done} done, {self.retried} to retry, {self.failed} failed, "
            f"{self.periodic} periodic task(s) run"
        )


def backoff(attempts: int) -> timedelta:
    """The wait before the next attempt after ``attempts`` failed ones (doubling, capped)."""
    base = float(setting("SHOPCARE_OUTBOX_BACKOFF_SECONDS"))
    cap = float(setting("SHOPCARE_OUTBOX_BACKOFF_MAX_SECONDS"))
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


def _describe(error: BaseException) -> str:
    text = "".join(traceback.format_exception(error))
    return text[-4000:]


class Worker:
    """Works the outbox of the current app.

    :param batch_size: items claimed at a time (default ``SHOPCARE_OUTBOX_BATCH_SIZE``).
    :param stop: set it (e.g. from a SIGTERM handler) to stop after the current item;
        claimed items not started yet are released at once.
    """

    def __init__(
        self,
        *,
        batch_size: int | None = None,
        stop: threading.Event | None = None,
        name: str | None = None,
    ) -> None:
        self.batch_size = batch_size
        self.stop = stop or threading.Event()
        self.name = (name or f"{socket.gethostname()}:{os.getpid()}")[:110]

    # -- the loop
    def run_pass(self) -> WorkReport:
        """Run the due periodic tasks, then work items until none is due."""
        report = WorkReport()
        report.periodic = self.run_periodic()
        sleep_after_claim = float(os.environ.get(SLEEP_AFTER_CLAIM_ENV) or 0)
        with MailSender(float(setting("SHOPCARE_MAIL_TIMEOUT_SECONDS"))) as sender:
            while not self.stop.is_set():
                # Leave the rest of a batch to others well before the lease runs out,
                # rather than send what another worker may be claiming again.
                claimed_at = time.monotonic()
                batch = self.claim()
                if not batch:
                    break
                budget = 0.8 * float(setting("SHOPCARE_OUTBOX_LEASE_SECONDS"))
                if sleep_after_claim:
                    time.sleep(sleep_after_claim)
                for index, item in enumerate(batch):
                    if self.stop.is_set() or time.monotonic() - claimed_at > budget:
                        self.release(batch[index:])
                        break
                    outcome = self.process(item, sender)
                    setattr(report, outcome, getattr(report, outcome) + 1)
        return report

    def run_forever(self, pause: float = 5.0) -> WorkReport:
        """Run passes until :attr:`stop` is set, pausing ``pause`` seconds between them.

        A pass that fails (the database went away …) is logged and tried again later.
        """
        total = WorkReport()
        while not self.stop.is_set():
            try:
                report = self.run_pass()
                total.add(report)
                if report.done or report.retried or report.failed or report.periodic:
                    log.info("outbox worker pass: %s", report)
            except Exception as error:
                session().rollback()
                log.exception("outbox worker pass failed; trying again in %ss", pause)
                total.errors.append(str(error))
            self.stop.wait(pause)
        return total

    # -- items
    def claim(self) -> list[Claimed]:
        """Claim up to a batch of due items (queued and due, or with an expired lease)."""
        now = utcnow()
        lease = timedelta(seconds=float(setting("SHOPCARE_OUTBOX_LEASE_SECONDS")))
        size = self.batch_size or int(setting("SHOPCARE_OUTBOX_BATCH_SIZE"))
        token = f"{self.name}:{uuid.uuid4().hex[:12]}"
        due = (
            select(_items.c.id)
            .where(_items.c.status.in_(OUTBOX.sources(RUNNING)), _items.c.due_at <= now)
            .order_by(_items.c.due_at, _items.c.id)
            .limit(size)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite renders nothing here
        )
        claim = (
            update(_items)
            .where(_items.c.id.in_(due))
            .values(
                status=RUNNING,
                due_at=now + lease,
                claimed_by=token,
                attempts=_items.c.attempts + 1,
            )
            .returning(
                _items.c.id,
                _items.c.kind,
                _items.c.payload,
                _items.c.dedupe_key,
                _items.c.attempts,
                _items.c.last_error,
            )
        )
        db = session()
        db.commit()  # start from a fresh transaction: the claim is its own
        try:
            rows = db.execute(claim).all()
            db.commit()
        except OperationalError as error:
            # SQLite: another writer held the lock past the busy timeout. Try later.
            db.rollback()
            log.warning("outbox claim failed, will try again: %s", error)
            return []
        return sorted(
            (
                Claimed(
                    id=row.id,
                    kind=row.kind,
                    payload=row.payload,
                    dedupe_key=row.dedupe_key,
                    attempts=row.attempts,
                    last_error=row.last_error,
                    token=token,
                )
                for row in rows
            ),
            key=lambda item: item.id,
        )

    def release(self, items: list[Claimed]) -> None:
        """Hand claimed, unstarted items back at once (stopping, or the lease is nearly over).

        Items another worker has claimed meanwhile are left alone.
        """
        db = session()
        for item in items:
            with suppress(TransitionError):  # another worker holds it now
                self._move(
                    item,
                    QUEUED,
                    due_at=utcnow(),
                    claimed_by=None,
                    attempts=OutboxItem.attempts - 1,
                )
        db.commit()

    def process(self, item: Claimed, sender: MailSender) -> str:
        """Send or run one claimed item; returns ``"done"``, ``"retried"`` or ``"failed"``."""
        db = session()
        max_attempts = int(setting("SHOPCARE_OUTBOX_MAX_ATTEMPTS"))
        if item.attempts > max_attempts:
            # Only a lease that ran out gets here: the worker died on this item each time.
            reason = item.last_error or "the worker's lease ran out on every attempt"
            return self._fail(item, f"gave up after {item.attempts - 1} attempts: {reason}")
        if item.kind == MAIL_KIND:
            try:
                headers = self._hook(item)
                if headers is None:  # no longer wanted (the hook said so): done, unsent
                    self._move(item, DONE, finished_at=utcnow(), claimed_by=None)
                    db.commit()
                    return "done"
                sender.send(self._message(item, headers))
            except Exception as error:
                db.rollback()
                if is_permanent(error):
                    return self._fail(item, _describe(error))
                return self._retry_or_fail(item, error, max_attempts)
            self._mark_sent(item)
            return "done"
        try:
            handler = get_state().jobs.get(item.kind)
            if handler is None:
                raise LookupError(
                    f"no job handler for {item.kind!r}: declare it with state.add_job"
                )
            handler(dict(item.payload))
            try:
                self._move(item, DONE, finished_at=utcnow(), claimed_by=None)
            except TransitionError:
                # Our lease ran out and another worker holds the job: drop our work.
                db.rollback()
                log.warning("outbox job %s: lease lost, its work was rolled back", item.id)
                return "retried"
            db.commit()
            return "done"
        except Exception as error:
            db.rollback()
            if isinstance(error, ValidationError):
                # The same payload will be refused again: keep it for staff, do not retry.
                return self._fail(item, _describe(error))
            return self._retry_or_fail(item, error, max_attempts)

    def _move(self, item: Claimed, target: str, **values: Any) -> None:
        """Move a claimed item out of ``running`` by the outbox's table, only while this
        worker still holds its lease.

        :raises TransitionError: the lease ran out and another worker claimed the item.
        """
        OUTBOX.move(
            OutboxItem,
            item.id,
            target,
            expected=RUNNING,
            values=values,
            where=[OutboxItem.claimed_by == item.token],
            record=False,
        )

    def _hook(self, item: Claimed) -> dict[str, str] | None:
        """The extra headers of a mail queued with a hook, or ``None`` if it must not go."""
        name = item.payload.get("hook")
        if not name:
            return {}
        hook = get_state().mail_hooks.get(name)
        if hook is None:
            raise LookupError(f"no mail hook {name!r}: declare it with state.add_mail_hook")
        return hook(dict(item.payload))

    def _message(self, item: Claimed, headers: dict[str, str] | None = None) -> Any:
        payload = item.payload
        rendered = render_mail(payload["template"], payload.get("context") or {}, payload["locale"])
        extra = {**(payload.get("headers") or {}), **(headers or {})}
        return build_message(payload["to"], rendered, item.dedupe_key, extra)

    def _mark_sent(self, item: Claimed) -> None:
        """Record that the SMTP server accepted the e-mail: right away, a few tries.

        Sent is a fact: the row is marked done even if the lease has run out.
        """
        db = session()
        for attempt in range(3):
            try:
                now = utcnow()
                db.execute(
                    update(_items)
                    .where(_items.c.id == item.id, _items.c.status.in_(OUTBOX.sources(DONE)))
                    .values(status=DONE, sent_at=now, finished_at=now, claimed_by=None)
                )
                db.commit()
                return
            except DBAPIError:
                db.rollback()
                if attempt == 2:
                    log.error("outbox mail %s was sent but not marked done", item.id)
                    raise
                time.sleep(0.5 * (attempt + 1))

    def _retry_or_fail(self, item: Claimed, error: BaseException, max_attempts: int) -> str:
        if item.attempts >= max_attempts:
            return self._fail(item, _describe(error))
        delay = backoff(item.attempts)
        with suppress(TransitionError):  # the lease ran out: the new holder decides
            self._move(
                item, QUEUED, due_at=utcnow() + delay, claimed_by=None, last_error=_describe(error)
            )
        session().commit()
        log.warning(
            "outbox item %s (%s) attempt %s failed, retrying in %s: %s",
            item.id,
            item.kind,
            item.attempts,
            delay,
            error,
        )
        return "retried"

    def _fail(self, item: Claimed, error: str) -> str:
        db = session()
        try:
            self._move(item, FAILED, finished_at=utcnow(), claimed_by=None, last_error=error)
            failed = True
        except TransitionError:  # the lease ran out: the new holder decides
            failed = False
        db.commit()
        if failed:
            log.error("outbox item %s (%s) failed for good: %s", item.id, item.kind, error)
            row = db.get(OutboxItem, item.id)
            signals.send(signals.outbox_item_failed, item=row)
        return "failed"

    # -- periodic tasks
    def run_periodic(self) -> int:
        """Run each periodic task whose time has come and that no other worker took."""
        tasks = get_state().periodic_tasks
        if not tasks:
            return 0
        db = session()
        db.commit()
        now = utcnow()
        known = set(db.scalars(select(PeriodicTask.kind)))
        for kind in tasks.keys() - known:
            try:
                with db.begin_nested():
                    db.add(PeriodicTask(kind=kind, next_run_at=now))
            except IntegrityError:
                pass  # another worker added it first
        db.commit()
        ran = 0
        for task in list(tasks.values()):
            if self.stop.is_set():
                break
            now = utcnow()
            claimed = db.execute(
                update(_tasks)
                .where(_tasks.c.kind == task.kind, _tasks.c.next_run_at <= now)
                .values(next_run_at=now + task.every, claimed_by=self.name, last_started_at=now)
            )
            db.commit()
            if getattr(claimed, "rowcount", 0) != 1:
                continue
            error: str | None = None
            try:
                task.run()
            except Exception as failure:
                db.rollback()
                error = _describe(failure)
                log.exception("periodic task %s failed", task.kind)
            db.execute(
                update(_tasks)
                .where(_tasks.c.kind == task.kind)
                .values(last_finished_at=utcnow(), last_error=error)
            )
            db.commit()  # the task's own writes land with its finishing time
            ran += 1
        return ran


def work(
    *,
    forever: bool = False,
    pause: float = 5.0,
    batch_size: int | None = None,
    stop: threading.Event | None = None,
) -> WorkReport:
    """Work the current app's outbox: one pass, or until ``stop`` is set."""
    worker = Worker(batch_size=batch_size, stop=stop)
    return worker.run_forever(pause) if forever else worker.run_pass()


#: How often the workers purge old done items (``purge_done_items``).
PURGE_EVERY = timedelta(hours=6)


def purge_done_items() -> None:
    """Delete done items older than ``SHOPCARE_OUTBOX_KEEP_DONE_DAYS`` (their dedupe keys
    are then free again)."""
    days = setting("SHOPCARE_OUTBOX_KEEP_DONE_DAYS")
    if days is None:
        return
    session().execute(
        delete(OutboxItem)
        .where(OutboxItem.status == DONE, OutboxItem.finished_at < utcnow() - timedelta(days=days))
        .execution_options(synchronize_session=False)
    )
