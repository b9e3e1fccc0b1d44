"""``care.feedback``: the suggestion box. Submit a ticket from any channel, reply,
note, assign, move it along its workflow, keep its SLA clocks, ask how the handling
felt, and run the public suggestion board. Every method flushes and never commits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, delete, func, literal, or_, select, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload, lazyload

from shopcare.core import signals
from shopcare.core.areas import AREAS
from shopcare.core.config import setting
from shopcare.core.db import session, take_sqlite_write_lock, utcnow
from shopcare.core.errors import NotFound, TransitionError, ValidationError
from shopcare.core.events import Actor, Event, events_for, record_event
from shopcare.core.i18n import _, _l
from shopcare.core.paging import Page
from shopcare.core.state import get_state
from shopcare.core.validation import check_int, email_address, text
from shopcare.feedback import sla
from shopcare.feedback.events import (
    TICKET_ASSIGNED,
    TICKET_BOARD,
    TICKET_MERGED,
    TICKET_NOTED,
    TICKET_PRIORITISED,
    TICKET_RATED,
    TICKET_REPLIED,
    TICKET_SLA_BREACHED,
    TICKET_SUBMITTED,
)
from shopcare.feedback.machine import TICKET
from shopcare.feedback.models import (
    BOARD_STATUSES,
    CHANNELS,
    KINDS,
    OPEN,
    PRIORITIES,
    REMEDIES,
    CannedReply,
    Ticket,
    TicketMessage,
    TicketVote,
)
from shopcare.orders.models import Order
from shopcare.orders.services import reference_key

MAX_SUBJECT = 200
MAX_NAME = 200
MAX_COMMENT = 2000
#: Words that make a complaint urgent at intake (a safety issue), en + es, matched
#: case-insensitively anywhere in the subject or message. Staff can always change it.
SAFETY_WORDS = (
    "fire", "burn", "smoke", "shock", "injur", "choking", "allerg", "poison",
    "incendio", "quem", "humo", "descarga", "herid", "asfixia", "alergi", "intoxica",
)  # fmt: skip
#: Why a save or delete of a canned reply was refused (another staff member saved it first).
STALE_CANNED_REPLY = _l(
    "Someone else saved this canned reply while you were editing it. Your changes were not"
    " saved: the text saved now is shown below; change it again and save."
)
#: Whose message it is, by the actor's kind.
_AUTHOR = {"shopper": "shopper", "staff": "staff", "api_key": "staff", "system": "system"}


def _max_message() -> int:
    return int(setting("SHOPCARE_FEEDBACK_MAX_MESSAGE"))


def _aware(now: datetime | None) -> datetime:
    if now is None:
        return utcnow()
    if not isinstance(now, datetime) or now.tzinfo is None:
        raise ValidationError("now", "must be a timezone-aware datetime")
    return now


def _choice(value: Any, field: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValidationError(field, f"one of {', '.join(choices)}")
    return str(value)


@dataclass(frozen=True)
class Figures:
    """The queue page's figures over the tickets matching its filters.

    Times are in hours (SLA hours are business hours when the SLA counts them so;
    these are plain elapsed hours, median and 90th percentile, nearest-rank).
    ``within_sla`` is the share (0-100) of resolved tickets resolved by their due time;
    ``satisfaction`` the mean handling score (1-5) and ``satisfied`` the share of
    scores of 4 or 5 (CSAT, DOMAIN.md); each ``None`` without data.
    """

    total: int
    by_kind: dict[str, int]
    by_area: dict[str, int]
    first_response_median: float | None
    first_response_p90: float | None
    resolution_median: float | None
    resolution_p90: float | None
    within_sla: float | None
    satisfaction: float | None
    satisfied: float | None
    rated: int


def _percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile of sorted ``values``."""
    if not values:
        return None
    rank = max(1, -(-len(values) * share // 1))
    return values[int(rank) - 1]


class FeedbackDesk:
    """``care.feedback``: the suggestion box. See the README's "Suggestion box"."""

    # -- reading -------------------------------------------------------------------

    def get(self, reference: str) -> Ticket | None:
        """The ticket with ``reference`` (``F-2026-000042``, any case), or ``None``."""
        if not isinstance(reference, str) or not reference.strip() or len(reference) > 20:
            return None
        return (
            session()
            .scalars(select(Ticket).where(Ticket.reference == reference.strip().upper()))
            .first()
        )

    def for_shopper(self, user_id: str, page: int = 1, per_page: int = 20) -> Page[Ticket]:
        """A logged-in shopper's tickets, newest first."""
        query = (
            select(Ticket)
            .outerjoin(Order, Order.id == Ticket.order_id)
            .where(or_(Ticket.user_id == str(user_id), Order.user_id == str(user_id)))
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        )
        return self._page(query, page, per_page)

    def messages(self, ticket: Ticket, *, internal: bool = False) -> list[TicketMessage]:
        """The conversation, oldest first; internal notes only when ``internal``."""
        return [m for m in ticket.messages if internal or not m.internal]

    def timeline(self, ticket: Ticket, *, public_only: bool = True) -> list[Event]:
        return events_for("ticket", ticket.id, public_only=public_only)

    def reopen_until(self, ticket: Ticket) -> datetime | None:
        """Until when the shopper may reopen a resolved or closed ticket (``None``: not)."""
        if ticket.status not in ("resolved", "closed") or ticket.resolved_at is None:
            return None
        return ticket.resolved_at + timedelta(days=int(setting("SHOPCARE_FEEDBACK_REOPEN_DAYS")))

    def canned_replies(
        self, locale: str | None = None, *, area: str | None = None
    ) -> list[CannedReply]:
        """Canned replies by name, then language; only ``locale``'s when given; with
        ``area``, those for that area and those for every area (the ticket's choice)."""
        query = select(CannedReply).order_by(CannedReply.key, CannedReply.locale)
        if locale:
            query = query.where(CannedReply.locale == locale)
        if area:
            query = query.where(or_(CannedReply.area.is_(None), CannedReply.area == area))
        return list(session().scalars(query))

    def canned_reply(self, reply_id: Any) -> CannedReply | None:
        """The canned reply with id ``reply_id``, or ``None``."""
        if not isinstance(reply_id, int) or isinstance(reply_id, bool):
            return None
        return session().get(CannedReply, reply_id)

    def save_canned_reply(
        self,
        *,
        key: str,
        locale: str,
        title: str,
        body: str,
        area: str | None = None,
        reply_id: int | None = None,
        version: int | None = None,
        actor: Actor | None = None,
    ) -> CannedReply:
        """Create a canned reply (``reply_id`` None) or change one.

        :param key: its name, the same in every language: 1-40 of ``a-z``, ``0-9``,
            ``-`` and ``_``; one reply per name and language.
        :param locale: one of ``SHOPCARE_LANGUAGES`` (``en``, ``es``).
        :param title: what staff pick it by (1-120 characters).
        :param body: the reply, plain text (1 to ``SHOPCARE_FEEDBACK_MAX_MESSAGE``
            characters); it fills the reply box as text, never as markup.
        :param area: one of the eight index areas or ``"other"``; ``None``: every area.
        :param version: required to change one: the version the staff member saw. A
            conditional UPDATE (``WHERE version = :version``) makes a stale save
            change nothing and raise.
        :raises ValidationError: per field; ``version`` when someone else saved it
            since; ``key`` when the name is taken in that language.
        :raises NotFound: no canned reply ``reply_id`` (deleted meanwhile).
        """
        errors: dict[str, str] = {}
        values: dict[str, Any] = {}
        name = str(key or "").strip().lower()
        if (
            not name
            or len(name) > 40
            or not all(c.isascii() and (c.isalnum() or c in "-_") for c in name)
        ):
            errors["key"] = _("Use 1 to 40 lower-case letters, digits, - or _.")
        languages = tuple(setting("SHOPCARE_LANGUAGES"))
        if locale not in languages:
            errors["locale"] = _("Choose a language.")
        if area not in (None, "", *AREAS, "other"):
            errors["area"] = _("Choose an area.")
        for field, value, limit in (("title", title, 120), ("body", body, _max_message())):
            try:
                values[field] = text(value, field, limit)
            except ValidationError as error:
                errors.update(error.fields)
        if errors:
            raise ValidationError(errors)
        values.update(
            key=name,
            locale=locale,
            area=area or None,
            updated_by=actor.id if actor is not None else None,
            updated_at=utcnow(),
        )
        db = session()
        taken = db.scalar(
            select(CannedReply.id).where(CannedReply.key == name, CannedReply.locale == locale)
        )
        if taken is not None and taken != reply_id:
            raise ValidationError(
                "key", _("There is already a canned reply with this name in this language.")
            )
        if reply_id is None:
            # INSERT … ON CONFLICT (key, locale) DO NOTHING: two staff members adding the
            # same name at once get one reply and one message, never an error page
            insert = (
                postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
            )
            added = db.execute(
                insert(CannedReply)
                .values(**values, version=1)
                .on_conflict_do_nothing(index_elements=["key", "locale"])
                .returning(CannedReply.id)
            ).first()
            if added is None:
                raise ValidationError(
                    "key", _("There is already a canned reply with this name in this language.")
                )
            return db.get_one(CannedReply, added[0])
        if not isinstance(version, int) or isinstance(version, bool):
            raise ValidationError("version", _("Open the canned reply again and save it."))
        changed = db.execute(
            update(CannedReply)
            .where(CannedReply.id == reply_id, CannedReply.version == version)
            .values(**values, version=CannedReply.version + 1)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        current = db.get(CannedReply, reply_id, populate_existing=True)
        if current is None:
            raise NotFound(f"canned reply {reply_id}")
        if not changed:
            raise ValidationError("version", STALE_CANNED_REPLY)
        return current

    def delete_canned_reply(self, reply_id: int, version: int | None) -> None:
        """Delete a canned reply, if it is still the ``version`` the staff member saw.

        :raises ValidationError: ``version``, when someone else saved it since.
        :raises NotFound: it is gone already.
        """
        db = session()
        gone = db.execute(
            delete(CannedReply)
            .where(CannedReply.id == reply_id, CannedReply.version == version)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        if not gone:
            if db.scalar(select(CannedReply.id).where(CannedReply.id == reply_id)) is None:
                raise NotFound(f"canned reply {reply_id}")
            raise ValidationError("version", STALE_CANNED_REPLY)
        loaded = db.identity_map.get(db.identity_key(CannedReply, reply_id))
        if loaded is not None:
            db.expunge(loaded)

    # -- intake --------------------------------------------------------------------

    def submit(
        self,
        kind: str,
        subject: str,
        message: str,
        *,
        area: str | None = None,
        reference: str | None = None,
        email: str | None = None,
        remedy: str | None = None,
        channel: str = "web",
        anonymous: bool = False,
        actor: Actor | None = None,
        name: str | None = None,
        user_id: str | None = None,
        priority: str | None = None,
        locale: str | None = None,
        request_key: str | None = None,
        message_id: str | None = None,
        now: datetime | None = None,
    ) -> Ticket:
        """File a ticket and queue its acknowledgement (with the reference and the
        private link) to the shopper's e-mail.

        :param kind: ``complaint``, ``suggestion``, ``compliment`` or ``question``.
        :param area: one of the eight index areas (``shopcare.core.areas.AREAS``) or
            ``"other"`` (the default).
        :param reference: an order's reference; the caller has checked that the
            shopper may name it (the views do: their own order, number + e-mail, or
            the order's signed link). The ticket's e-mail defaults to the order's.
        :param email: where replies go; required when neither ``reference`` nor a
            logged-in ``user_id`` with an e-mail gives one.
        :param remedy: complaints only: ``refund``, ``replacement``, ``apology``,
            ``explanation`` or ``other``.
        :param channel: ``web``, ``email``, ``phone``, ``in_person`` or ``survey``
            (staff log the other channels on the shopper's behalf).
        :param anonymous: suggestions and compliments only: shown on the board
            without a name.
        :param priority: ``urgent``, ``high``, ``normal`` or ``low``; by default
            ``urgent`` for a complaint naming a safety issue (:data:`SAFETY_WORDS`),
            else ``normal``.
        :param request_key: a repeat of the same submission (a double click) returns
            the first ticket.
        :returns: the :class:`~shopcare.feedback.models.Ticket`, status
            ``acknowledged`` when an acknowledgement was queued, else ``new``.
        :raises ValidationError: naming the field; nothing is written.
        """
        when = _aware(now)
        kind = _choice(kind, "kind", KINDS)
        channel = _choice(channel, "channel", CHANNELS)
        area = area or "other"
        if area != "other" and area not in AREAS:
            raise ValidationError("area", f"one of {', '.join(AREAS)} or other")
        clean_subject = text(subject, "subject", MAX_SUBJECT)
        body = text(message, "message", _max_message())
        assert clean_subject is not None and body is not None
        if kind == "complaint":
            if remedy is not None:
                remedy = _choice(remedy, "remedy", REMEDIES)
        elif remedy is not None:
            raise ValidationError("remedy", "only a complaint asks for a remedy")
        if anonymous and kind not in ("suggestion", "compliment"):
            raise ValidationError("anonymous", "only suggestions and compliments can be anonymous")
        if priority is None:
            words = f"{clean_subject} {body}".casefold()
            urgent = kind == "complaint" and any(w in words for w in SAFETY_WORDS)
            priority = "urgent" if urgent else "normal"
        priority = _choice(priority, "priority", PRIORITIES)
        clean_name = text(name, "name", MAX_NAME, required=False)
        key = request_key or secrets.token_urlsafe(24)
        if not isinstance(key, str) or len(key) > 64:
            raise ValidationError("request_key", "at most 64 characters")
        order: Order | None = None
        if reference is not None:
            found_key = reference_key(reference)
            order = (
                session().scalars(select(Order).where(Order.reference_key == found_key)).first()
                if found_key
                else None
            )
            if order is None:
                raise ValidationError("reference", _("No such order."))
        address = email_address(email, "email") if email else (order.email if order else None)
        if address is None and channel == "web" and user_id is None:
            raise ValidationError("email", _("Give an e-mail address for our answer."))
        db = session()
        _lock_request_key(key)
        existing = db.scalars(
            select(Ticket)
            .where(Ticket.request_key == key)
            .execution_options(populate_existing=True)
        ).first()
        if existing is not None:
            return existing
        actor = actor if actor is not None else Actor.current()
        if user_id is None and actor.kind == "shopper":
            user_id = actor.id
        if user_id is None and order is not None:
            user_id = order.user_id
        ticket = Ticket(
            request_key=key,
            kind=kind,
            area=area,
            status="new",
            priority=priority,
            channel=channel,
            subject=clean_subject,
            message=body,
            remedy=remedy,
            anonymous=bool(anonymous),
            order=order,
            order_id=order.id if order else None,
            user_id=user_id,
            email=address,
            name=clean_name,
            locale=locale or _current_locale(),
            created_at=when,
            updated_at=when,
        )
        self._set_targets(ticket, when, ("first_response", "resolution"))
        ticket.messages.append(
            TicketMessage(
                author="shopper",
                author_id=user_id,
                channel=channel,
                body=body,
                message_id=message_id,
                created_at=when,
            )
        )
        db.add(ticket)
        db.flush()
        year = when.astimezone(sla._zone()).year
        ticket.reference = f"F-{year}-{ticket.id:06d}"
        db.flush()
        record_event(
            "ticket",
            ticket.id,
            TICKET_SUBMITTED,
            actor=actor,
            to_state="new",
            data={"reference": ticket.reference, "kind": kind, "channel": channel},
            occurred_at=when,
            public=True,
        )
        signals.send(signals.feedback_submitted, ticket=ticket)
        if ticket.email:
            self._mail(ticket, "feedback/acknowledged", f"feedback-ack:{ticket.reference}")
            self._move(ticket, "acknowledged", actor=Actor.system("acknowledgement"))
        return ticket

    # -- the conversation ----------------------------------------------------------

    def reply(
        self,
        reference: str,
        body: str,
        *,
        internal: bool = False,
        actor: Actor | None = None,
        waiting: bool = False,
        channel: str = "web",
        message_id: str | None = None,
        now: datetime | None = None,
    ) -> TicketMessage:
        """Add a message to the ticket.

        Staff (an actor of kind ``staff``, ``api_key`` or ``system``): a public reply is
        mailed to the shopper, stops the first-response clock and moves a new or
        acknowledged ticket to ``in_progress``; ``waiting=True`` then moves it to
        ``waiting_on_customer`` (pausing the SLA clocks). ``internal=True`` is a note
        that the shopper never sees, mailed to nobody.

        The shopper (an actor of kind ``shopper``): their reply moves a ticket waiting
        on them back to ``in_progress``, and reopens a resolved or closed one within
        ``SHOPCARE_FEEDBACK_REOPEN_DAYS``.

        :raises ValidationError: for an empty or too long body, or a shopper's note.
        :raises TransitionError: when a shopper writes to a ticket past its reopen window.
        :raises NotFound: for an unknown reference.
        """
        when = _aware(now)
        ticket = self._ticket(reference)
        clean = text(body, "body", _max_message())
        assert clean is not None
        actor = actor if actor is not None else Actor.current()
        author = _AUTHOR[actor.kind]
        if internal and author == "shopper":
            raise ValidationError("internal", "only staff write internal notes")
        if author == "shopper" and ticket.status in ("resolved", "closed"):
            self.reopen(ticket.reference or reference, actor=actor, now=when)
        db = session()
        note = TicketMessage(
            ticket_id=ticket.id,
            author=author,
            author_id=actor.id,
            internal=internal,
            channel=_choice(channel, "channel", CHANNELS),
            body=clean,
            message_id=message_id,
            created_at=when,
        )
        ticket.messages.append(note)
        ticket.updated_at = when
        db.flush()
        record_event(
            "ticket",
            ticket.id,
            TICKET_NOTED if internal else TICKET_REPLIED,
            actor=actor,
            data={"reference": ticket.reference, "author": author},
            occurred_at=when,
            public=not internal,
        )
        if internal:
            return note
        if author == "shopper":
            if ticket.status == "waiting_on_customer":
                self._move(ticket, "in_progress", actor=actor, now=when)
            return note
        if ticket.first_response_at is None:
            db.execute(
                update(Ticket)
                .where(Ticket.id == ticket.id, Ticket.first_response_at.is_(None))
                .values(first_response_at=when)
            )
            db.refresh(ticket)
        if ticket.status in ("new", "acknowledged"):
            self._move(ticket, "in_progress", actor=actor, now=when)
        if waiting and ticket.status == "in_progress":
            self._move(ticket, "waiting_on_customer", actor=actor, now=when)
        if ticket.email:
            from shopcare.core.outbox.mail import message_id as mail_id

            dedupe = f"feedback-reply:{note.id}"
            note.message_id = mail_id(dedupe)
            db.flush()
            self._mail(ticket, "feedback/replied", dedupe, reply=note)
        return note

    def note(self, reference: str, body: str, *, actor: Actor | None = None) -> TicketMessage:
        """An internal note (:meth:`reply` with ``internal=True``)."""
        return self.reply(reference, body, internal=True, actor=actor)

    # -- the workflow --------------------------------------------------------------

    def start(
        self, reference: str, *, actor: Actor | None = None, version: int | None = None
    ) -> Ticket:
        """``new | acknowledged | waiting_on_customer → in_progress``."""
        return self._move(self._ticket(reference), "in_progress", actor=actor, version=version)

    def wait(
        self, reference: str, *, actor: Actor | None = None, version: int | None = None
    ) -> Ticket:
        """``in_progress → waiting_on_customer``: the SLA clocks pause."""
        return self._move(
            self._ticket(reference), "waiting_on_customer", actor=actor, version=version
        )

    def resolve(
        self,
        reference: str,
        body: str | None = None,
        *,
        actor: Actor | None = None,
        version: int | None = None,
        now: datetime | None = None,
    ) -> Ticket:
        """Resolve the ticket (from any open state), with an optional last public reply
        ``body``; the shopper is asked, by e-mail and on the ticket page, how satisfied
        they are with the handling (:meth:`rate_handling`).

        :raises TransitionError: when it is already resolved or closed, or someone
            else changed it first (``version``).
        """
        when = _aware(now)
        ticket = self._ticket(reference)
        if ticket.status in ("resolved", "closed"):
            raise TransitionError("ticket", ticket.status, "resolved")
        if body:
            self.reply(reference, body, actor=actor, now=when)
            version = None
        self._move(
            ticket,
            "resolved",
            actor=actor,
            version=version,
            values={"resolved_at": when},
            now=when,
        )
        if ticket.email:
            self._mail(
                ticket,
                "feedback/resolved",
                f"feedback-resolved:{ticket.reference}:{ticket.reopened_count}",
            )
        return ticket

    def close(
        self, reference: str, *, actor: Actor | None = None, now: datetime | None = None
    ) -> Ticket:
        """``resolved → closed`` (the shopper confirms, or staff close it)."""
        when = _aware(now)
        return self._move(
            self._ticket(reference), "closed", actor=actor, values={"closed_at": when}, now=when
        )

    def reopen(
        self, reference: str, *, actor: Actor | None = None, now: datetime | None = None
    ) -> Ticket:
        """``resolved | closed → in_progress`` within ``SHOPCARE_FEEDBACK_REOPEN_DAYS``
        of the resolution (staff may reopen at any time). A new resolution target is
        set from now, and its breach may be notified once more.

        :raises TransitionError: past the window, or from another state.
        """
        when = _aware(now)
        ticket = self._ticket(reference)
        actor = actor if actor is not None else Actor.current()
        until = self.reopen_until(ticket)
        if until is None or (actor.kind == "shopper" and when > until):
            raise TransitionError("ticket", ticket.status, "in_progress")
        hours = sla.target_hours("resolution", ticket.priority)
        return self._move(
            ticket,
            "in_progress",
            actor=actor,
            values={
                "resolved_at": None,
                "closed_at": None,
                "reopened_count": Ticket.reopened_count + 1,
                "resolution_due_at": None if hours is None else sla.add_hours(when, hours),
                "resolution_breached_at": None,
            },
            now=when,
        )

    def assign(
        self, reference: str, assignee_id: str | None, *, actor: Actor | None = None
    ) -> Ticket:
        """Assign the ticket to a staff member's user id (``None``: nobody)."""
        ticket = self._ticket(reference)
        assignee = text(assignee_id, "assignee_id", 64, required=False)
        ticket.assignee_id = assignee
        ticket.updated_at = utcnow()
        session().flush()
        record_event(
            "ticket", ticket.id, TICKET_ASSIGNED, actor=actor,
            data={"reference": ticket.reference, "assignee_id": assignee},
        )  # fmt: skip
        return ticket

    def assign_many(
        self, references: list[str], assignee_id: str | None, *, actor: Actor | None = None
    ) -> int:
        """Assign every ticket of ``references`` at once (one UPDATE); returns how many."""
        assignee = text(assignee_id, "assignee_id", 64, required=False)
        clean = [r.strip().upper() for r in references if isinstance(r, str) and r.strip()][:500]
        if not clean:
            return 0
        db = session()
        ids = list(db.scalars(select(Ticket.id).where(Ticket.reference.in_(clean))))
        if not ids:
            return 0
        db.execute(
            update(Ticket)
            .where(Ticket.id.in_(ids))
            .values(assignee_id=assignee, updated_at=utcnow())
        )
        for ticket_id in ids:
            record_event(
                "ticket", ticket_id, TICKET_ASSIGNED, actor=actor, data={"assignee_id": assignee}
            )
        db.expire_all()
        return len(ids)

    def prioritise(
        self,
        reference: str,
        priority: str,
        *,
        actor: Actor | None = None,
        now: datetime | None = None,
    ) -> Ticket:
        """Change the priority; unmet targets are recomputed from the ticket's start."""
        ticket = self._ticket(reference)
        ticket.priority = _choice(priority, "priority", PRIORITIES)
        when = _aware(now)
        targets = [t for t in ("first_response", "resolution") if self._unmet(ticket, t)]
        self._set_targets(ticket, ticket.created_at, targets)
        ticket.updated_at = when
        session().flush()
        record_event(
            "ticket", ticket.id, TICKET_PRIORITISED, actor=actor,
            data={"reference": ticket.reference, "priority": ticket.priority},
        )  # fmt: skip
        return ticket

    # -- closure -------------------------------------------------------------------

    def rate_handling(
        self, reference: str, score: int, comment: str = "", *, actor: Actor | None = None
    ) -> Ticket:
        """Record how satisfied the shopper is with the handling (ISO 10002): ``score``
        1-5 and an optional comment. A resolved ticket is closed by it; a second
        rating replaces the first.

        :raises ValidationError: for a score out of 1-5 or a ticket not yet resolved.
        """
        ticket = self._ticket(reference)
        value = check_int(score, "score", minimum=1, maximum=5)
        clean = text(comment, "comment", MAX_COMMENT, required=False)
        if ticket.status not in ("resolved", "closed"):
            raise ValidationError("score", _("You can rate the handling once it is resolved."))
        when = utcnow()
        ticket.satisfaction_score, ticket.satisfaction_comment, ticket.rated_at = value, clean, when
        session().flush()
        record_event(
            "ticket", ticket.id, TICKET_RATED, actor=actor,
            data={"reference": ticket.reference, "score": value}, public=True,
        )  # fmt: skip
        signals.send(signals.feedback_rated, ticket=ticket, score=value)
        if ticket.status == "resolved":
            self.close(ticket.reference or reference, actor=actor, now=when)
        return ticket

    # -- SLA -----------------------------------------------------------------------

    def sweep_sla(self, *, now: datetime | None = None) -> int:
        """Flag every open ticket whose target passed unmet, and send
        ``complaint-sla-breached`` for it: once per ticket and target, however many
        workers sweep at once (each flag is a conditional UPDATE, ``… WHERE
        <target>_breached_at IS NULL``; the one that changed the row notifies).
        A paused ticket (waiting on the customer) is not breached. Returns how many
        breaches were flagged."""
        when = _aware(now)
        db = session()
        flagged = 0
        for target, due, breached, done in (
            ("first_response", Ticket.first_response_due_at, Ticket.first_response_breached_at, Ticket.first_response_at),
            ("resolution", Ticket.resolution_due_at, Ticket.resolution_breached_at, Ticket.resolved_at),
        ):  # fmt: skip
            candidates = db.execute(
                select(Ticket.id, due)
                .where(
                    Ticket.status.in_(OPEN),
                    due.is_not(None),
                    due <= when,
                    breached.is_(None),
                    done.is_(None),
                )
                .limit(1000)
            ).all()
            for ticket_id, due_at in candidates:
                result = db.execute(
                    update(Ticket)
                    .where(Ticket.id == ticket_id, breached.is_(None), due == due_at)
                    .values({breached.key: when})
                )
                if result.rowcount != 1:  # type: ignore[attr-defined]
                    continue  # another worker flagged it first
                flagged += 1
                ticket = db.get(Ticket, ticket_id)
                assert ticket is not None
                db.refresh(ticket)
                record_event(
                    "ticket", ticket_id, TICKET_SLA_BREACHED, actor=Actor.system("sla"),
                    data={"reference": ticket.reference, "target": target},
                )  # fmt: skip
                signals.send(
                    signals.complaint_sla_breached, ticket=ticket, target=target, due_at=due_at
                )
        return flagged

    def sla_state(self, ticket: Ticket, now: datetime | None = None) -> str:
        """``breached``, ``due_soon`` (within a quarter of its target), ``paused``,
        ``met`` (resolved or closed in time) or ``on_track``."""
        when = _aware(now)
        if ticket.sla_breached:
            return "breached"
        if ticket.status in ("resolved", "closed"):
            return "met"
        if ticket.sla_paused_at is not None:
            return "paused"
        due = ticket.first_response_due_at if ticket.first_response_at is None else None
        due = due or ticket.resolution_due_at
        if due is not None and due <= when:
            return "breached"
        if due is not None and due - when <= timedelta(hours=2):
            return "due_soon"
        return "on_track"

    # -- the board -----------------------------------------------------------------

    def publish(
        self,
        reference: str,
        board_status: str = "under_review",
        note: str | None = None,
        *,
        published: bool = True,
        actor: Actor | None = None,
    ) -> Ticket:
        """Show a suggestion on the board (moderation), or hide it, with its board
        status (``under_review``, ``planned``, ``in_progress``, ``done``, ``declined``)
        and a staff note shown beside it."""
        ticket = self._ticket(reference)
        if ticket.kind != "suggestion":
            raise ValidationError("kind", "only suggestions go on the board")
        ticket.board_status = _choice(board_status, "board_status", BOARD_STATUSES)
        ticket.board_note = text(note, "note", MAX_COMMENT, required=False)
        ticket.published = bool(published) and ticket.merged_into_id is None
        session().flush()
        record_event(
            "ticket", ticket.id, TICKET_BOARD, actor=actor,
            data={"reference": ticket.reference, "board_status": ticket.board_status},
        )  # fmt: skip
        return ticket

    def vote(self, suggestion: str, user_id: str) -> bool:
        """A verified buyer's vote for a published suggestion: once per person
        (a unique row; a second vote, even concurrent, changes nothing).

        :param user_id: the host's user id; the user must have a recorded order.
        :returns: whether this call added the vote.
        :raises ValidationError: not a buyer, or not a published suggestion.
        """
        ticket = self._ticket(suggestion)
        if ticket.kind != "suggestion" or not ticket.published:
            raise ValidationError("suggestion", _("Only published suggestions take votes."))
        who = text(user_id, "user_id", 64)
        db = session()
        if db.scalar(select(Order.id).where(Order.user_id == who).limit(1)) is None:
            raise ValidationError("user_id", _("Only customers with an order can vote."))
        added = self._add_votes(ticket.id, [str(who)])
        return added == 1

    def merge(self, duplicate: str, into: str, *, actor: Actor | None = None) -> Ticket:
        """Merge suggestion ``duplicate`` into ``into``: every vote moves, a person who
        voted for both counts once, and the duplicate leaves the board."""
        source, target = self._ticket(duplicate), self._ticket(into)
        if (
            source.id == target.id
            or "suggestion" not in (source.kind,)
            or target.kind != "suggestion"
        ):
            raise ValidationError("into", "merge a suggestion into another suggestion")
        db = session()
        voters = list(
            db.scalars(select(TicketVote.user_id).where(TicketVote.ticket_id == source.id))
        )
        if source.user_id:
            voters.append(source.user_id)  # its author's support carries over too
        db.execute(delete(TicketVote).where(TicketVote.ticket_id == source.id))
        self._add_votes(target.id, voters)
        db.execute(
            update(Ticket)
            .where(Ticket.id == source.id)
            .values(merged_into_id=target.id, published=False, vote_count=0)
        )
        db.expire_all()
        record_event(
            "ticket", source.id, TICKET_MERGED, actor=actor,
            data={"reference": source.reference, "into": target.reference},
        )  # fmt: skip
        return self._ticket(into)

    def board(self, *, sort: str = "votes", page: int = 1, per_page: int = 20) -> Page[Ticket]:
        """Published suggestions, by votes (then newest) or newest first."""
        query = select(Ticket).where(Ticket.kind == "suggestion", Ticket.published.is_(True))
        order = (
            (Ticket.created_at.desc(), Ticket.id.desc())
            if sort == "newest"
            else (Ticket.vote_count.desc(), Ticket.created_at.desc(), Ticket.id.desc())
        )
        return self._page(query.order_by(*order), page, per_page)

    def similar(self, words: str, *, limit: int = 5, sort: str = "relevance") -> list[Ticket]:
        """Published suggestions whose subject or message contain the words of ``words``
        (what a shopper is typing, the last word as a prefix), by full-text search
        (SQLite FTS5, PostgreSQL ``tsvector`` in the suggestion's language; see
        :mod:`shopcare.feedback.search`). Search syntax in ``words`` is plain text here:
        ``T-Shirt``, ``don't``, a lone ``"``, ``NEAR(`` or ``AND OR NOT`` never fail.

        :param sort: ``relevance`` (the default), ``votes`` or ``newest``.
        :returns: at most ``limit`` (1-50) tickets, ``[]`` when nothing was typed.
        """
        from shopcare.feedback.search import SORTS, search

        return search(str(words or ""), limit=limit, sort=sort if sort in SORTS else "relevance")

    # -- staff ---------------------------------------------------------------------

    def queue(
        self,
        *,
        kind: str | None = None,
        area: str | None = None,
        status: str | None = None,
        priority: str | None = None,
        assignee_id: str | None = None,
        sla_state: str | None = None,
        page: int = 1,
        per_page: int = 50,
        now: datetime | None = None,
    ) -> Page[Ticket]:
        """The staff queue, newest first, with the filters given (one SELECT)."""
        return self._page(
            self._filtered(kind, area, status, priority, assignee_id, sla_state, now).order_by(
                Ticket.created_at.desc(), Ticket.id.desc()
            ),
            page,
            per_page,
            messages=False,
        )

    def export_rows(self, **filters: Any) -> list[Ticket]:
        query = self._filtered(
            filters.get("kind"), filters.get("area"), filters.get("status"),
            filters.get("priority"), filters.get("assignee_id"), filters.get("sla_state"), None,
        ).order_by(Ticket.created_at.desc(), Ticket.id.desc())  # fmt: skip
        return list(
            session().scalars(
                query.options(lazyload(Ticket.messages), lazyload(Ticket.order)).limit(100_000)
            )
        )

    def figures(self, **filters: Any) -> Figures:
        """The queue's figures over the tickets ``filters`` match (:class:`Figures`), in
        two statements: the counts, shares and means grouped by kind and area; then the
        median and p90 of both times (nearest rank, by window functions)."""
        base = self._filtered(
            filters.get("kind"), filters.get("area"), filters.get("status"),
            filters.get("priority"), filters.get("assignee_id"), filters.get("sla_state"), None,
        ).subquery()  # fmt: skip
        db = session()
        resolved = and_(base.c.resolved_at.is_not(None), base.c.resolution_due_at.is_not(None))
        in_time = and_(resolved, base.c.resolved_at <= base.c.resolution_due_at)
        rows = db.execute(
            select(
                base.c.kind,
                base.c.area,
                func.count(),
                func.count(case((resolved, 1))),
                func.count(case((in_time, 1))),
                func.count(base.c.satisfaction_score),
                func.coalesce(func.sum(base.c.satisfaction_score), 0),
                func.count(case((base.c.satisfaction_score >= 4, 1))),
            ).group_by(base.c.kind, base.c.area)
        ).all()
        by_kind: dict[str, int] = {}
        by_area: dict[str, int] = {}
        due = timely = rated = total_score = satisfied = 0
        for kind, area, count, n_due, n_timely, n_rated, score_sum, n_satisfied in rows:
            by_kind[kind] = by_kind.get(kind, 0) + count
            by_area[area] = by_area.get(area, 0) + count
            due, timely, rated = due + n_due, timely + n_timely, rated + n_rated
            total_score, satisfied = total_score + int(score_sum), satisfied + n_satisfied
        ranks = self._percentiles(base) if rows else {}
        return Figures(
            total=sum(by_kind.values()),
            by_kind=by_kind,
            by_area=by_area,
            first_response_median=ranks.get(("first", 0.5)),
            first_response_p90=ranks.get(("first", 0.9)),
            resolution_median=ranks.get(("resolution", 0.5)),
            resolution_p90=ranks.get(("resolution", 0.9)),
            within_sla=100 * timely / due if due else None,
            satisfaction=total_score / rated if rated else None,
            satisfied=100 * satisfied / rated if rated else None,
            rated=rated,
        )

    def _percentiles(self, base: Any) -> dict[tuple[str, float], float]:
        """Median and p90 (nearest rank: the value at rank ceil(n * p)) of the hours to
        first response and to resolution, in one statement."""
        db = session()
        postgres = db.get_bind().dialect.name == "postgresql"

        def hours(later: Any, earlier: Any) -> Any:
            if postgres:
                return func.extract("epoch", later - earlier) / 3600.0
            return (func.julianday(later) - func.julianday(earlier)) * 24.0

        parts = []
        for name, end in (("first", base.c.first_response_at), ("resolution", base.c.resolved_at)):
            value = hours(end, base.c.created_at).label("value")
            ranked = (
                select(
                    literal(name).label("metric"),
                    value,
                    func.row_number().over(order_by=value).label("rank"),
                    func.count().over().label("n"),
                )
                .where(end.is_not(None))
                .subquery()
            )
            # ceil(n / 2) and ceil(9n / 10) in integer arithmetic (both databases)
            median_rank, p90_rank = (ranked.c.n + 1) // 2, (ranked.c.n * 9 + 9) // 10
            parts.append(
                select(
                    ranked.c.metric, ranked.c.value, ranked.c.rank == median_rank,
                    ranked.c.rank == p90_rank,
                ).where(or_(ranked.c.rank == median_rank, ranked.c.rank == p90_rank))
            )  # fmt: skip
        found: dict[tuple[str, float], float] = {}
        for metric, value, is_median, is_p90 in db.execute(union_all(*parts)).all():
            if is_median:
                found[(metric, 0.5)] = float(value)
            if is_p90:
                found[(metric, 0.9)] = float(value)
        return found

    # -- internals -----------------------------------------------------------------

    def _filtered(
        self,
        kind: str | None,
        area: str | None,
        status: str | None,
        priority: str | None,
        assignee_id: str | None,
        sla_state: str | None,
        now: datetime | None,
    ) -> Select[Any]:
        query = select(Ticket)
        if kind:
            query = query.where(Ticket.kind == kind)
        if area:
            query = query.where(Ticket.area == area)
        if status == "open":
            query = query.where(Ticket.status.in_((*OPEN, "waiting_on_customer")))
        elif status:
            query = query.where(Ticket.status == status)
        if priority:
            query = query.where(Ticket.priority == priority)
        if assignee_id == "-":
            query = query.where(Ticket.assignee_id.is_(None))
        elif assignee_id:
            query = query.where(Ticket.assignee_id == assignee_id)
        if sla_state == "breached":
            query = query.where(
                or_(
                    Ticket.first_response_breached_at.is_not(None),
                    Ticket.resolution_breached_at.is_not(None),
                )
            )
        elif sla_state == "due_soon":
            when = _aware(now)
            query = query.where(
                Ticket.status.in_(OPEN),
                Ticket.resolution_breached_at.is_(None),
                Ticket.first_response_breached_at.is_(None),
                or_(
                    and_(Ticket.first_response_at.is_(None), Ticket.first_response_due_at <= when + timedelta(hours=2)),
                    Ticket.resolution_due_at <= when + timedelta(hours=2),
                ),
            )  # fmt: skip
        elif sla_state == "paused":
            query = query.where(Ticket.sla_paused_at.is_not(None))
        return query

    def _page(
        self, query: Select[Any], page: int, per_page: int, *, messages: bool = True
    ) -> Page[Ticket]:
        # the order's reference only: not its lines (Order.lines loads by selectin)
        query = query.options(joinedload(Ticket.order).lazyload(Order.lines))
        if not messages:
            query = query.options(lazyload(Ticket.messages))
        rows = list(
            session()
            .scalars(query.limit(per_page + 1).offset((max(page, 1) - 1) * per_page))
            .unique()
        )
        return Page(rows[:per_page], page, per_page, len(rows) > per_page)

    def _ticket(self, reference: str) -> Ticket:
        ticket = self.get(reference)
        if ticket is None:
            raise NotFound(f"no ticket {reference!r}")
        return ticket

    def _unmet(self, ticket: Ticket, target: str) -> bool:
        if target == "first_response":
            return ticket.first_response_at is None
        return ticket.resolved_at is None

    def _set_targets(self, ticket: Ticket, start: datetime, targets: Any) -> None:
        for target in targets:
            hours = sla.target_hours(target, ticket.priority)
            setattr(
                ticket, f"{target}_due_at", None if hours is None else sla.add_hours(start, hours)
            )

    def _add_votes(self, ticket_id: int, voters: list[str]) -> int:
        """Insert the votes not there yet (race-safe: a duplicate is skipped, not an
        error) and recount the ticket's votes in SQL."""
        db = session()
        dialect = db.get_bind().dialect.name
        from sqlalchemy.dialects import postgresql, sqlite

        dialect_insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
        added = 0
        people = list(dict.fromkeys(voters))
        if people:
            when = utcnow()
            # RETURNING counts what was inserted (a row count is not reliable across drivers)
            inserted = db.execute(
                dialect_insert(TicketVote)
                .values(
                    [{"ticket_id": ticket_id, "user_id": who, "created_at": when} for who in people]
                )
                .on_conflict_do_nothing(index_elements=["ticket_id", "user_id"])
                .returning(TicketVote.id)
            ).all()
            added = len(inserted)
        db.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id)
            .values(
                vote_count=select(func.count(TicketVote.id))
                .where(TicketVote.ticket_id == ticket_id)
                .scalar_subquery()
            )
        )
        db.expire_all()
        return added

    def _move(
        self,
        ticket: Ticket,
        target: str,
        *,
        actor: Actor | None = None,
        version: int | None = None,
        values: dict[str, Any] | None = None,
        now: datetime | None = None,
    ) -> Ticket:
        """Move along :data:`~shopcare.feedback.machine.TICKET`, pausing the SLA clocks
        on ``waiting_on_customer`` and moving the due times on by the pause when leaving it."""
        when = _aware(now)
        actor = actor if actor is not None else Actor.current()
        source = ticket.status
        if version is not None and version != ticket.version:
            raise TransitionError("ticket", source, target, concurrent=True)
        changes: dict[str, Any] = {"updated_at": when, **(values or {})}
        if target == "waiting_on_customer":
            changes["sla_paused_at"] = when
        elif source == "waiting_on_customer" and ticket.sla_paused_at is not None:
            changes["sla_paused_at"] = None
            for name in ("first_response", "resolution"):
                due = getattr(ticket, f"{name}_due_at")
                if (
                    due is not None
                    and self._unmet(ticket, name)
                    and name + "_due_at" not in changes
                ):
                    left = sla.seconds_between(ticket.sla_paused_at, due)
                    changes[f"{name}_due_at"] = sla.add_seconds(when, left)
        TICKET.move(
            Ticket,
            ticket.id,
            target,
            expected=source,
            version=version,
            values=changes,
            actor=actor,
            occurred_at=when,
            data={"reference": ticket.reference},
        )
        session().refresh(ticket)
        return ticket

    def _mail(
        self, ticket: Ticket, template: str, dedupe_key: str, reply: TicketMessage | None = None
    ) -> None:
        from shopcare.core.outbox import enqueue_mail
        from shopcare.core.outbox.mail import message_id
        from shopcare.feedback.access import reply_token, ticket_key

        headers: dict[str, str] = {}
        address = setting("SHOPCARE_FEEDBACK_REPLY_ADDRESS")
        if address and "@" in str(address):
            local, domain = str(address).rsplit("@", 1)
            headers["Reply-To"] = f"{local}+{reply_token(ticket.reference or '')}@{domain}"
        # Threading: every e-mail of a ticket answers its first message, whose
        # Message-ID is stored (the shopper's own for a ticket opened by e-mail, else
        # the acknowledgement's), so a reply quoting any of them finds the ticket.
        first = ticket.messages[0] if ticket.messages else None
        acknowledgement = message_id(f"feedback-ack:{ticket.reference}")
        if first is not None and first.message_id is None:
            first.message_id = acknowledgement
            session().flush()
        root = first.message_id if first is not None else None
        if root and root != message_id(dedupe_key):
            headers["In-Reply-To"] = root
            headers["References"] = root
        enqueue_mail(
            ticket.email or "",
            template,
            {
                "reference": ticket.reference,
                "key": ticket_key(ticket),
                "kind": ticket.kind,
                "subject": ticket.subject,
                "name": ticket.name,
                "message": ticket.message if reply is None else reply.body,
                "status": ticket.status,
            },
            locale=ticket.locale,
            dedupe_key=dedupe_key,
            headers=headers,
        )


def _lock_request_key(key: str) -> None:
    """Serialise submissions with the same ``request_key`` (a form sent twice at once,
    a double click): the second waits until the first commits, then finds its ticket,
    instead of inserting the same key again (a unique violation). PostgreSQL: a
    transaction-level advisory lock on the key; SQLite: its one write lock."""
    db = session()
    dialect = db.get_bind().dialect.name
    if dialect == "postgresql":
        db.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"shopcare-ticket:{key}"))))
    elif dialect == "sqlite":
        take_sqlite_write_lock("shopcare_tickets")


def _current_locale() -> str | None:
    from flask_babel import get_locale

    try:
        current = get_locale()
    except Exception:  # outside a request: the shop's default applies when mailing
        return None
    return str(current) if current is not None else None


def current_desk() -> FeedbackDesk:
    """``care.feedback`` of the current app."""
    desk: FeedbackDesk = get_state().care.feedback
    return desk


__all__ = ["FeedbackDesk", "Figures", "current_desk"]
