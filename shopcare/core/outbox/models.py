"""The outbox: e-mails and jobs written in the caller's transaction, worked later by
``flask shopcare work``; and the schedule of the periodic tasks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shopcare.core.db import Base, utcnow
from shopcare.core.machine import Machine, Move
from shopcare.core.state import MAIL_KIND  # an e-mail item's kind; any other is a job

QUEUED = "queued"  # waiting until ``due_at``
RUNNING = "running"  # claimed by a worker until ``due_at`` (the lease)
DONE = "done"
FAILED = "failed"  # gave up after SHOPCARE_OUTBOX_MAX_ATTEMPTS; kept until retried
STATUSES = (QUEUED, RUNNING, DONE, FAILED)

#: The outbox item's life. The worker's own moves write no event (they are many and
#: their trace is the row itself); a person's retry does.
OUTBOX = Machine(
    "outbox_item",
    states=STATUSES,
    moves=[
        Move(QUEUED, RUNNING, None),  # claimed
        Move(RUNNING, RUNNING, None),  # a lease ran out; another worker claims it
        Move(RUNNING, QUEUED, None),  # released unstarted, or a retry after an error
        Move(RUNNING, DONE, None),  # sent, or the job ran
        Move(QUEUED, DONE, None),  # sent is a fact, even after the lease ran out
        Move(FAILED, DONE, None),
        Move(RUNNING, FAILED, None),  # gave up
        Move(FAILED, QUEUED, "outbox.retried"),  # a person asked for a fresh set of attempts
    ],
)

BigId = BigInteger().with_variant(Integer(), "sqlite")


class OutboxItem(Base):
    """One e-mail to send or one job to run, at least once, by some worker.

    ``due_at`` is when a worker should look at the item next: its run time or next
    retry while ``queued``, the end of the worker's lease while ``running`` (after
    which another worker may claim it: the first one is presumed dead).
    """

    __tablename__ = "shopcare_outbox_items"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]  # e-mails: when the SMTP server accepted it
    finished_at: Mapped[datetime | None]  # when it became done or failed

    # The claim query: status IN (queued, running) AND due_at <= now ORDER BY due_at.
    __table_args__ = (Index("ix_shopcare_outbox_items_status_due_at", "status", "due_at"),)

    @property
    def summary(self) -> str:
        """A one-line description for lists: ``mail tracking/shipped → ann@example.com``."""
        if self.kind == MAIL_KIND:
            return f"mail {self.payload.get('template')} → {self.payload.get('to')}"
        reference = self.payload.get("reference")  # jobs about one order say which
        return f"{self.kind} {reference}" if isinstance(reference, str) else self.kind

    def __repr__(self) -> str:
        return f"<OutboxItem {self.id} {self.kind} {self.status}>"


class PeriodicTask(Base):
    """When a periodic task (``state.add_periodic``) last ran and may next run (one row per task).

    A worker runs a task only after moving ``next_run_at`` forward with a conditional
    UPDATE, so one run per interval happens across all hosts.
    """

    __tablename__ = "shopcare_periodic_tasks"

    kind: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_run_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<PeriodicTask {self.kind} next {self.next_run_at:%Y-%m-%d %H:%M}>"
