"""A feedback ticket (complaint, suggestion, compliment or question), its messages, the
votes of the public suggestion board and the staff's canned replies."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shopcare.core.db import Base, utcnow
from shopcare.feedback import fts
from shopcare.orders.models import Order

KINDS = ("complaint", "suggestion", "compliment", "question")
STATUSES = ("new", "acknowledged", "in_progress", "waiting_on_customer", "resolved", "closed")
#: Statuses in which the SLA clocks run (``waiting_on_customer`` pauses them).
OPEN = ("new", "acknowledged", "in_progress")
PRIORITIES = ("urgent", "high", "normal", "low")
CHANNELS = ("web", "email", "phone", "in_person", "survey")
#: What a complainant asks for.
REMEDIES = ("refund", "replacement", "apology", "explanation", "other")
#: Where a suggestion stands on the public board.
BOARD_STATUSES = ("under_review", "planned", "in_progress", "done", "declined")
#: Who wrote a message.
AUTHORS = ("shopper", "staff", "system")


def _in(column: str, values: tuple[str, ...]) -> str:
    return "{} IN ({})".format(column, ", ".join(f"'{value}'" for value in values))


class Ticket(Base):
    """One entry in the suggestion box, from any channel, with its workflow and SLA clocks.

    Times are aware UTC datetimes. SLA due times are computed at intake (and moved
    when the clock pauses and resumes); ``*_breached_at`` is set once, by the worker's
    conditional UPDATE, when the target passed unmet.
    """

    __tablename__ = "shopcare_tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the human reference, e.g. ``F-2026-000042``; not an access key
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)
    #: makes a repeated submission (a double click) return the first ticket
    request_key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    #: one of the eight index areas (``shopcare.core.areas.AREAS``) or ``"other"``
    area: Mapped[str] = mapped_column(String(16), default="other")
    status: Mapped[str] = mapped_column(String(24), default="new")
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    channel: Mapped[str] = mapped_column(String(12), default="web")
    version: Mapped[int] = mapped_column(default=1)
    subject: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    remedy: Mapped[str | None] = mapped_column(String(16))
    anonymous: Mapped[bool] = mapped_column(default=False)
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("shopcare_orders.id", ondelete="SET NULL")
    )
    user_id: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(254))
    name: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(16))
    #: the staff member's user id the ticket is assigned to
    assignee_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    #: SLA targets: when the first public reply and the resolution are due
    first_response_due_at: Mapped[datetime | None]
    resolution_due_at: Mapped[datetime | None]
    #: set once per target by the worker when the due time passed unmet
    first_response_breached_at: Mapped[datetime | None]
    resolution_breached_at: Mapped[datetime | None]
    #: when the clock was paused (waiting on the customer); None while it runs
    sla_paused_at: Mapped[datetime | None]
    reopened_count: Mapped[int] = mapped_column(default=0)
    #: the shopper's satisfaction with the handling, 1-5 (ISO 10002), and a comment
    satisfaction_score: Mapped[int | None]
    satisfaction_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None]
    # -- the public suggestion board (suggestions only)
    #: shown on the board once staff approved it (moderation)
    published: Mapped[bool] = mapped_column(default=False)
    board_status: Mapped[str | None] = mapped_column(String(16))
    board_note: Mapped[str | None] = mapped_column(Text)
    vote_count: Mapped[int] = mapped_column(default=0)
    #: the suggestion this one duplicated (its votes moved there)
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("shopcare_tickets.id", ondelete="SET NULL")
    )

    order: Mapped[Order | None] = relationship(lazy="joined")
    messages: Mapped[list[TicketMessage]] = relationship(
        back_populates="ticket",
        order_by="TicketMessage.id",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    __table_args__ = (
        # the staff queue: newest first, by status, kind, priority, assignee, SLA
        Index("ix_shopcare_tickets_created_at", "created_at"),
        Index("ix_shopcare_tickets_status_created_at", "status", "created_at"),
        Index("ix_shopcare_tickets_kind_created_at", "kind", "created_at"),
        Index("ix_shopcare_tickets_assignee_id_created_at", "assignee_id", "created_at"),
        Index("ix_shopcare_tickets_priority_created_at", "priority", "created_at"),
        Index("ix_shopcare_tickets_resolution_due_at", "resolution_due_at"),
        Index("ix_shopcare_tickets_first_response_due_at", "first_response_due_at"),
        # a shopper's tickets, an order's tickets
        Index("ix_shopcare_tickets_user_id_created_at", "user_id", "created_at"),
        Index("ix_shopcare_tickets_email_created_at", "email", "created_at"),
        Index("ix_shopcare_tickets_order_id", "order_id"),
        # the board
        Index("ix_shopcare_tickets_board", "kind", "published", "vote_count"),
        Index("ix_shopcare_tickets_merged_into_id", "merged_into_id"),
        CheckConstraint(_in("kind", KINDS), name="kind"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("priority", PRIORITIES), name="priority"),
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint(
            "satisfaction_score IS NULL OR satisfaction_score BETWEEN 1 AND 5",
            name="satisfaction_score",
        ),
    )

    @property
    def paused(self) -> bool:
        return self.sla_paused_at is not None

    @property
    def sla_breached(self) -> bool:
        """The first response or the resolution missed its target (a ``*_breached_at`` is set)."""
        return bool(self.first_response_breached_at or self.resolution_breached_at)

    def __repr__(self) -> str:
        return f"<Ticket {self.reference} {self.kind} {self.status}>"


# the full-text index of published suggestions (not in the metadata; see fts)
fts.attach(cast(Table, Ticket.__table__))


class TicketMessage(Base):
    """One message on a ticket: the shopper's, a staff reply, or an internal note.

    Internal notes (``internal``) are never shown to the shopper nor mailed.
    """

    __tablename__ = "shopcare_ticket_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("shopcare_tickets.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[str] = mapped_column(String(8))
    #: the staff member's user id (staff), or the shopper's (when logged in)
    author_id: Mapped[str | None] = mapped_column(String(64))
    internal: Mapped[bool] = mapped_column(default=False)
    channel: Mapped[str] = mapped_column(String(12), default="web")
    body: Mapped[str] = mapped_column(Text)
    #: the RFC 5322 Message-ID of the mail this message came in or went out as
    message_id: Mapped[str | None] = mapped_column(String(250), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="messages")

    __table_args__ = (CheckConstraint(_in("author", AUTHORS), name="author"),)


class TicketVote(Base):
    """A verified buyer's one vote for a suggestion on the board."""

    __tablename__ = "shopcare_ticket_votes"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("shopcare_tickets.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("ticket_id", "user_id"),
        Index("ix_shopcare_ticket_votes_user_id", "user_id"),
    )


class CannedReply(Base):
    """A reply text staff keep ready, in one language (``en``, ``es``, …), edited by staff
    on the canned replies page and offered in the reply form of a ticket.

    ``version`` goes up by one on each save: a save naming an older version is refused
    (two staff members editing the same reply never overwrite each other silently).
    """

    __tablename__ = "shopcare_canned_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the reply's name, the same in every language (``"thanks"``)
    key: Mapped[str] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    #: offered only on tickets of this index area (``None``: on every ticket)
    area: Mapped[str | None] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(default=1)
    #: the staff member's user id who saved it last
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("key", "locale"),)
