"""``care.surveys``: post-purchase surveys, their invitations and answers, and
mystery-shopper audits (README "Surveys").

Services flush and never commit; they record their events and send their signals
(``survey-completed``, ``survey-detractor``) after the change is flushed.
"""

from __future__ import annotations

import base64
import builtins
import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, time, timedelta
from functools import cache
from typing import Any, overload

from flask import current_app
from sqlalchemy import (
    String,
    and_,
    bindparam,
    cast,
    column,
    exists,
    func,
    literal,
    select,
    table,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload

from shopcare.core import signals
from shopcare.core.areas import AREAS, DIMENSIONS
from shopcare.core.config import setting
from shopcare.core.db import lock_rows, session, utcnow
from shopcare.core.errors import NotFound, TransitionError, ValidationError
from shopcare.core.events import Actor, record_event
from shopcare.core.i18n import shop_zone
from shopcare.core.outbox import enqueue_mails_from
from shopcare.core.state import get_state
from shopcare.core.validation import aware_datetime, check_int, email_address, text
from shopcare.orders.models import Order, OrderLine
from shopcare.surveys import defaults
from shopcare.surveys.events import (
    SURVEY_ANONYMISED,
    SURVEY_AUDITED,
    SURVEY_EDITED,
    SURVEY_FOLLOWED_UP,
    SURVEY_UNSUBSCRIBED,
)
from shopcare.surveys.machine import INVITATION
from shopcare.surveys.models import (
    QUESTION_TYPES,
    SCALES,
    Answer,
    Invitation,
    Question,
    Response,
    Survey,
    SurveyVersion,
    Unsubscribe,
)

#: Invitations that can still be answered (and reminded).
OPEN = ("sent", "started")
#: The mail hook the worker asks before sending an invitation or a reminder.
MAIL_HOOK = "surveys"
UNSUBSCRIBE_SALT = "shopcare.surveys.unsubscribe"
#: Case statuses that count as open (the cases domain's, read by table name: surveys do
#: not import another domain).
OPEN_CASE_STATUSES = ("requested", "approved", "received")
#: Ticket statuses of the complaint queue that count as open.
OPEN_TICKET_STATUSES = ("new", "acknowledged", "in_progress", "waiting_on_customer")
TEXT_LIMIT = 4000


# -- the scales ------------------------------------------------------------------------


def score(question_type: str, value: int) -> float:
    """An answer on 0-100 (DOMAIN.md): ``100 · (v - lowest) / (highest - lowest)`` on the
    question type's scale (``SCALES``): 4 on 1-5 is 75, 9 on 0-10 is 90."""
    low, high = SCALES[question_type]
    return round(100.0 * (value - low) / (high - low), 4)


def is_low(question_type: str, value: int | None) -> bool:
    """A detractor (NPS 0-6) or a rating of 1-2: what opens a follow-up."""
    if value is None:
        return False
    if question_type == "nps":
        return value <= 6
    if question_type == "rating":
        return value <= 2
    return False


# -- invitation dates ------------------------------------------------------------------


def delivery_cutoff(now: datetime, delay_days: int) -> datetime:
    """The instant before which an order must have been delivered to be invited at
    ``now``: delivery day + ``delay_days`` (days in the shop's zone,
    ``SHOPCARE_DEFAULT_TIMEZONE``), from ``SHOPCARE_SURVEY_SEND_HOUR`` that day.

    Delivered Wednesday 10 June 00:30 in Madrid (still the 9th in UTC), 7 days: due
    Wednesday 17 June at 10:00 Madrid time.
    """
    zone = shop_zone()
    local = now.astimezone(zone)
    last_day = local.date() - timedelta(days=delay_days)
    if local.hour < int(setting("SHOPCARE_SURVEY_SEND_HOUR")):
        last_day -= timedelta(days=1)
    # the start of the day after the last delivery day that is due, in the shop's zone
    return datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=zone)


def _unsubscribe_key() -> bytes:
    secret = current_app.secret_key
    material = secret if isinstance(secret, bytes) else str(secret).encode()
    return hashlib.sha256(f"{UNSUBSCRIBE_SALT}:".encode() + material).digest()


def unsubscribe_token(email: str, key: bytes | None = None) -> str:
    """The signed key of ``email``'s unsubscribe link (an HMAC-SHA256 of the address with
    a key derived from the app's ``SECRET_KEY``): it never expires."""
    address = base64.urlsafe_b64encode(email.encode()).decode().rstrip("=")
    digest = hmac.new(key or _unsubscribe_key(), email.encode(), hashlib.sha256).digest()
    return f"{address}.{base64.urlsafe_b64encode(digest[:18]).decode()}"


def read_unsubscribe_token(token: str) -> str:
    """The address an unsubscribe key was made for.

    :raises NotFound: for a key shopcare did not sign.
    """
    try:
        address, _signature = token.split(".", 1)
        email = base64.urlsafe_b64decode(address + "=" * (-len(address) % 4)).decode()
    except (ValueError, UnicodeDecodeError, AttributeError):
        raise NotFound("no such unsubscribe link") from None
    if not hmac.compare_digest(unsubscribe_token(email), token):
        raise NotFound("no such unsubscribe link")
    return email


def _insert(
    model_table: Any,
    *,
    unique: list[str] | None = None,
    from_select: tuple[list[str], Any] | None = None,
) -> Any:
    dialect = session().get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(model_table)
    if from_select is not None:
        statement = statement.from_select(*from_select)
    if unique:
        statement = statement.on_conflict_do_nothing(index_elements=unique)
    return statement


@cache
def _by_token(questions: bool) -> Any:
    """The invitation with the ``token`` parameter, its order (not its lines) and its
    version (with the questions when ``questions``), in one query; built once (the
    statement's construction costs more than running it)."""
    version = joinedload(Invitation.version)
    return (
        select(Invitation)
        .where(Invitation.token == bindparam("token"))
        .options(
            joinedload(Invitation.order).lazyload(Order.lines),
            version.joinedload(SurveyVersion.questions)
            if questions
            else version.lazyload(SurveyVersion.questions),
        )
        .execution_options(populate_existing=True)  # bulk passes update without the ORM
    )


class MadeInvitations(Sequence[Invitation]):
    """The invitations one pass made (:meth:`SurveyDesk.invite_due`): a read-only list
    — ``len``, indexing, slicing, iteration, ``==`` with a list — of :class:`Invitation`
    objects, each built when it is read from the columns the ``INSERT … RETURNING``
    gave (no query; its ``order`` loads on first use). Each read builds a fresh,
    detached object."""

    __slots__ = ("_fixed", "_rows")

    def __init__(self, rows: list[tuple[Any, ...]], fixed: dict[str, Any]) -> None:
        #: ``(id, token, order_id, email, locale)`` per invitation, by id
        self._rows = rows
        #: the columns every invitation of the pass shares
        self._fixed = fixed

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> Invitation: ...
    @overload
    def __getitem__(self, index: slice) -> list[Invitation]: ...
    def __getitem__(self, index: int | slice) -> Invitation | list[Invitation]:
        if isinstance(index, slice):
            return _adopt_invitations([self._values(row) for row in self._rows[index]])
        return _adopt_invitations([self._values(self._rows[index])])[0]

    def _values(self, row: tuple[Any, ...]) -> dict[str, Any]:
        invitation_id, token, order_id, email, locale = row
        return {
            **self._fixed,
            "id": invitation_id,
            "token": token,
            "order_id": order_id,
            "email": email,
            "locale": locale,
        }

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MadeInvitations | list | tuple):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<MadeInvitations: {len(self)}>"


# -- the desk --------------------------------------------------------------------------


class SurveyDesk:
    """``care.surveys``: post-purchase surveys and mystery-shopper audits."""

    # -- surveys ------------------------------------------------------------------------

    def default_survey(self) -> Survey:
        """The post-purchase survey, made on first use from ``shopcare.surveys.defaults``
        (the eight index areas, NPS, CSAT and CES). Its ``questions`` each have ``key``,
        ``type`` (rating, nps, ces, choice, multi, comparison, text) and ``area``."""
        return self._ensure(defaults.POST_PURCHASE)

    def audit_survey(self) -> Survey:
        """The mystery-shopper checklist, made on first use."""
        return self._ensure(defaults.MYSTERY_SHOPPER)

    def get(self, key: str) -> Survey | None:
        """The survey with ``key``, or ``None``."""
        if not isinstance(key, str):
            return None
        return session().scalars(select(Survey).where(Survey.key == key)).one_or_none()

    def list(self) -> list[Survey]:
        """Every survey (the defaults made if missing), post-purchase first."""
        self.default_survey()
        self.audit_survey()
        return list(session().scalars(select(Survey).order_by(Survey.id)))

    def _ensure(self, key: str) -> Survey:
        found = self.get(key)
        if found is not None:
            return found
        kind, definition = defaults.DEFAULTS[key]
        db = session()
        # Race-safe: two first uses at once make one survey.
        db.execute(
            _insert(Survey.__table__, unique=["key"]),
            {"key": key, "kind": kind, "created_at": utcnow()},
        )
        survey = db.scalars(select(Survey).where(Survey.key == key)).one()
        if not survey.versions:
            self._add_version(survey, definition, number=1)
        return survey

    def _add_version(self, survey: Survey, definition: Mapping[str, Any], *, number: int) -> None:
        db = session()
        version = SurveyVersion(
            survey_id=survey.id,
            number=number,
            title_en=definition["title_en"],
            title_es=definition["title_es"],
            intro_en=definition.get("intro_en", ""),
            intro_es=definition.get("intro_es", ""),
        )
        version.questions = [
            Question(position=position, **question)
            for position, question in enumerate(definition["questions"], start=1)
        ]
        db.add(version)
        db.flush()
        db.refresh(survey, ["versions"])

    def edit(
        self,
        survey: Survey,
        *,
        title_en: str | None = None,
        title_es: str | None = None,
        intro_en: str | None = None,
        intro_es: str | None = None,
        questions: Iterable[Mapping[str, Any]],
        actor: Actor | None = None,
    ) -> SurveyVersion:
        """Change ``survey``'s titles and questions.

        A version that has responses is never changed: the edit makes a new version
        (numbered one higher), and the old answers keep the questions, scales and
        options they answered. A version nobody answered is changed in place.

        :param questions: each ``{key, type, area, text_en, text_es}`` and optionally
            ``dimension``, ``weight`` (>= 0, default 1), ``required``, ``page`` (1-20),
            ``options`` (``[{"value", "en", "es"}]``, required for choice and multi).
        :returns: the version now current.
        :raises ValidationError: naming the first bad field (``questions[2].area`` …);
            nothing is changed.
        """
        current = survey.current
        definition: dict[str, Any] = {
            "title_en": text(
                title_en if title_en is not None else current.title_en, "title_en", 200
            ),
            "title_es": text(
                title_es if title_es is not None else current.title_es, "title_es", 200
            ),
            "intro_en": text(
                intro_en if intro_en is not None else current.intro_en,
                "intro_en",
                2000,
                required=False,
            )
            or "",
            "intro_es": text(
                intro_es if intro_es is not None else current.intro_es,
                "intro_es",
                2000,
                required=False,
            )
            or "",
            "questions": check_questions(questions),
        }
        db = session()
        answered = db.scalar(
            select(func.count()).select_from(Response).where(Response.version_id == current.id)
        )
        answered = answered or db.scalar(
            select(func.count()).select_from(Invitation).where(Invitation.version_id == current.id)
        )
        if answered:
            self._add_version(survey, definition, number=current.number + 1)
        else:
            for name in ("title_en", "title_es", "intro_en", "intro_es"):
                setattr(current, name, definition[name])
            current.questions.clear()
            db.flush()
            current.questions.extend(
                Question(position=position, **question)
                for position, question in enumerate(definition["questions"], start=1)
            )
            db.flush()
        record_event(
            "survey", survey.id, SURVEY_EDITED, actor=actor, data={"number": survey.current.number}
        )
        return survey.current

    # -- invitations --------------------------------------------------------------------

    def invite_due(self, *, now: datetime | None = None) -> MadeInvitations:
        """Invite every shopper whose order is due (what the workers' periodic pass
        calls): delivered ``SHOPCARE_SURVEY_DELAY_DAYS`` days ago or more (per
        category: ``SHOPCARE_SURVEY_DELAY_DAYS_BY``, the longest of the order's), not
        longer ago than that plus ``SHOPCARE_SURVEY_MAX_AGE_DAYS``; not invited yet (one
        invitation per order, a unique key); its address not invited within
        ``SHOPCARE_SURVEY_COOLDOWN_DAYS`` and not unsubscribed; no open case or
        complaint on the order (``SHOPCARE_SURVEY_SKIP_OPEN_CASES``).

        Each invitation's e-mail is queued in the same transaction. Two passes at once
        make one invitation per order (``INSERT … ON CONFLICT DO NOTHING``).

        :returns: the invitations made, in the order of their ids, each with its
            ``token`` and ``order`` (which loads on first use): a read-only list
            (:class:`MadeInvitations`) that keeps each one's id, token, order id, address
            and language and builds the :class:`Invitation` when it is read, so that a
            pass that invites a hundred thousand shoppers holds no hundred thousand ORM
            objects (the workers' pass only counts them). They are not entries of the
            session: to change one, load it (``session.get(Invitation, id)``).
        """
        now = utcnow() if now is None else aware_datetime(now, "now")
        if not setting("SHOPCARE_SURVEYS"):
            return MadeInvitations([], {})
        survey = self.default_survey()
        version = survey.current
        delay = int(setting("SHOPCARE_SURVEY_DELAY_DAYS"))
        by_category = {
            str(name): int(days)
            for name, days in dict(setting("SHOPCARE_SURVEY_DELAY_DAYS_BY")).items()
        }
        cutoff = delivery_cutoff(now, delay)
        oldest = delivery_cutoff(now, max([delay, *by_category.values()])) - timedelta(
            days=int(setting("SHOPCARE_SURVEY_MAX_AGE_DAYS")) + 1
        )
        cooldown = now - timedelta(days=int(setting("SHOPCARE_SURVEY_COOLDOWN_DAYS")))
        earlier = Invitation.__table__.alias("earlier")
        conditions = [
            Order.delivered_at.is_not(None),
            Order.delivered_at < cutoff,
            Order.delivered_at >= oldest,
            ~exists().where(Invitation.order_id == Order.id),
            ~exists().where(Unsubscribe.email == Order.email),
            ~exists().where(earlier.c.email == Order.email, earlier.c.created_at > cooldown),
        ]
        if setting("SHOPCARE_SURVEY_SKIP_OPEN_CASES"):
            conditions.extend(_no_open_cases_or_complaints())
        for category, days in sorted(by_category.items()):
            if days > delay:  # the order waits for its slowest category
                conditions.append(
                    ~exists().where(
                        OrderLine.order_id == Order.id,
                        OrderLine.category == category,
                        Order.delivered_at >= delivery_cutoff(now, days),
                    )
                )
        db = session()
        dialect = db.get_bind().dialect.name
        # One invitation per address per pass (the cool-down): its earliest delivered order.
        due = (
            select(
                Order.id.label("order_id"),
                Order.email.label("email"),
                Order.locale.label("locale"),
                func.row_number()
                .over(partition_by=Order.email, order_by=(Order.delivered_at, Order.id))
                .label("nth"),
            )
            .where(*conditions)
            .subquery("due")
        )
        expires = now + timedelta(days=int(setting("SHOPCARE_SURVEY_EXPIRY_DAYS")))
        table = Invitation.__table__
        values = {
            "token": _random_token(dialect),
            "order_id": due.c.order_id,
            "survey_id": literal(survey.id),
            "version_id": literal(version.id),
            "email": due.c.email,
            "locale": due.c.locale,
            "status": literal("sent"),
            "reminders_sent": literal(0),
            "created_at": literal(now, table.c.created_at.type),
            "last_sent_at": literal(now, table.c.last_sent_at.type),
            "expires_at": literal(expires, table.c.expires_at.type),
        }
        statement = (
            _insert(
                table, from_select=(list(values), select(*values.values()).where(due.c.nth == 1))
            )
            .on_conflict_do_nothing(index_elements=["order_id"])
            .returning(table.c.id, table.c.token, table.c.order_id, table.c.email, table.c.locale)
        )
        inserted = db.execute(statement).all()
        if not inserted:
            return MadeInvitations([], {})
        ids = [row.id for row in inserted]
        self._enqueue(
            "surveys/invitation",
            version,
            and_(
                Invitation.id.between(min(ids), max(ids)),
                Invitation.created_at == now,
                Invitation.version_id == version.id,
                Invitation.reminders_sent == 0,
            ),
            literal("surveys:invitation:") + cast(Invitation.id, String),
        )
        fixed = {
            "survey_id": survey.id,
            "version_id": version.id,
            "status": "sent",
            "reminders_sent": 0,
            "created_at": now,
            "last_sent_at": now,
            "expires_at": expires,
            "completed_at": None,
        }
        return MadeInvitations(sorted(tuple(row) for row in inserted), fixed)

    @staticmethod
    def _enqueue(template: str, version: SurveyVersion, where: Any, dedupe_key: Any) -> int:
        """Queue ``template`` for every invitation of ``version`` that ``where`` picks,
        in one ``INSERT … SELECT`` into the outbox (rendered when the worker sends it;
        the unsubscribe key is derived then from the address)."""
        return enqueue_mails_from(
            template,
            select(Invitation.id)
            .select_from(Invitation)
            .join(Order, Order.id == Invitation.order_id)
            .where(where),
            to=Invitation.email,
            locale=Invitation.locale,
            dedupe_key=dedupe_key,
            context=mail_context_columns(version),
            hook=MAIL_HOOK,
        )

    def remind_and_expire(self, *, now: datetime | None = None) -> tuple[int, int]:
        """Queue the reminders that are due and expire what can no longer be answered.

        A reminder is due ``SHOPCARE_SURVEY_REMINDER_DAYS`` after the invitation (or the
        previous reminder), at most ``SHOPCARE_SURVEY_REMINDERS`` times, for an
        invitation still open and not about to expire. It is taken with one guarded
        UPDATE (``reminders_sent = k → k + 1``), so two workers at once queue one.

        :returns: ``(reminders queued, invitations expired)``.
        """
        now = utcnow() if now is None else aware_datetime(now, "now")
        db = session()
        expired = db.execute(
            update(Invitation)
            .where(Invitation.status.in_(OPEN), Invitation.expires_at <= now)
            .values(status="expired")
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        most = int(setting("SHOPCARE_SURVEY_REMINDERS"))
        spacing = timedelta(days=int(setting("SHOPCARE_SURVEY_REMINDER_DAYS")))
        reminded = 0
        versions = {version.id: version for version in self.default_survey().versions}
        for k in range(most):
            due = (
                select(Invitation.id)
                .where(
                    Invitation.status.in_(OPEN),
                    Invitation.reminders_sent == k,
                    Invitation.last_sent_at <= now - spacing,
                    Invitation.expires_at > now + timedelta(days=1),
                    ~exists().where(Unsubscribe.email == Invitation.email),
                )
                .scalar_subquery()
            )
            taken = db.execute(
                update(Invitation)
                .where(Invitation.id.in_(due), Invitation.reminders_sent == k)
                .values(reminders_sent=k + 1, last_sent_at=now)
                .returning(Invitation.id, Invitation.version_id)
                .execution_options(synchronize_session=False)
            ).all()
            if not taken:
                continue
            ids = [row.id for row in taken]
            for version_id in sorted({row.version_id for row in taken}):
                version = versions.get(version_id) or db.get(SurveyVersion, version_id)
                assert version is not None  # an invitation's version is never deleted
                self._enqueue(
                    "surveys/reminder",
                    version,
                    and_(
                        Invitation.id.between(min(ids), max(ids)),
                        Invitation.version_id == version_id,
                        Invitation.reminders_sent == k + 1,
                        Invitation.last_sent_at == now,
                    ),
                    literal("surveys:reminder:")
                    + cast(Invitation.id, String)
                    + literal(f":{k + 1}"),
                )
            reminded += len(taken)
        return reminded, int(expired or 0)

    def run_pass(self, *, now: datetime | None = None) -> dict[str, int]:
        """The workers' periodic pass: invitations, then reminders and expiry."""
        invited = self.invite_due(now=now)
        reminded, expired = self.remind_and_expire(now=now)
        return {"invited": len(invited), "reminded": reminded, "expired": expired}

    def invitation(self, token: str, *, questions: bool = True) -> Invitation:
        """The invitation of an answering link, with its order and version (and the
        version's questions, unless ``questions=False``: then they load when first
        read), in one query.

        :raises NotFound: for a token no invitation has (the same for every wrong one).
        """
        if not isinstance(token, str) or not 10 <= len(token) <= 64:
            raise NotFound("no such invitation")
        found = session().scalars(_by_token(questions), {"token": token}).unique().one_or_none()
        if found is None:
            raise NotFound("no such invitation")
        return found

    def response_for(self, invitation: Invitation) -> Response | None:
        """The (partial or complete) response to ``invitation``, or ``None``."""
        return (
            session()
            .scalars(select(Response).where(Response.invitation_id == invitation.id))
            .one_or_none()
        )

    def still_wanted(self, payload: Mapping[str, Any]) -> bool:
        """Whether an invitation's or reminder's e-mail may still go (asked at send
        time): the invitation is open and its address has not unsubscribed."""
        invitation_id = (payload.get("context") or {}).get("invitation_id")
        if not isinstance(invitation_id, int):
            return False
        db = session()
        row = db.execute(
            select(Invitation.status, Invitation.email).where(Invitation.id == invitation_id)
        ).first()
        if row is None or row.status not in OPEN:
            return False
        return db.get(Unsubscribe, row.email) is None

    # -- answering ----------------------------------------------------------------------

    def answer(
        self,
        token: str,
        answers: Mapping[str, Any],
        *,
        final: bool = True,
        may_contact: bool | None = None,
        actor: Actor | None = None,
        now: datetime | None = None,
    ) -> Response:
        """Record answers to an invitation: ``{question_key: value}``.

        Values: an int on the question's scale (rating 1-5, nps 0-10, ces 1-7,
        comparison 1 worse / 2 same / 3 better), an option value (choice), a list of
        option values (multi), a string (text; up to 4,000 characters). Answers may come
        a page at a time (``final=False`` keeps them as a partial response); an answer
        given again replaces the earlier one, and a key given as ``None``, blank or
        ``[]`` removes its earlier answer (a comment the shopper emptied is not kept). ``final=True`` checks that every required
        question has an answer and completes the response: ``survey-completed`` is
        sent, and ``survey-detractor`` too for an NPS of 0-6 or a rating of 1-2 (with a
        follow-up ticket in the complaint queue when the shopper said they may be
        contacted). One response per invitation.

        ``now`` (aware; default: the current time) is when the answers are given (the
        demo's back-filled year passes it).

        :raises NotFound: for a token no invitation has.
        :raises TransitionError: the invitation is completed, expired or withdrawn.
        :raises ValidationError: naming the question key of a bad or missing answer.
        """
        now = utcnow() if now is None else aware_datetime(now, "now")
        invitation = self.invitation(token)
        # One answer at a time per invitation: a page sent twice at once (a double
        # click) would otherwise insert the same answers twice (a unique violation).
        # The second waits for the first to commit, then reads its answers and
        # replaces them; a final page sent twice finds the invitation completed.
        [invitation] = lock_rows(select(Invitation).where(Invitation.id == invitation.id))
        if invitation.status not in OPEN:
            raise TransitionError("invitation", invitation.status, "completed")
        if invitation.expires_at <= now:
            raise TransitionError("invitation", "expired", "completed")
        version = invitation.version
        checked = check_answers(version, answers)
        cleared = {key for key, value in answers.items() if _blank(value)}
        db = session()
        if invitation.status == "sent":
            # Claims the invitation (a guarded UPDATE): of two first pages sent at once,
            # one makes the response and the other finds it.
            try:
                INVITATION.move(
                    Invitation,
                    invitation.id,
                    "started",
                    expected="sent",
                    actor=actor or Actor.shopper(None, invitation.email),
                    record=False,
                )
            except TransitionError:
                db.refresh(invitation)
                if invitation.status not in OPEN:
                    raise
            else:
                db.execute(
                    _insert(Response.__table__, unique=["invitation_id"]),
                    {
                        "invitation_id": invitation.id,
                        "survey_id": invitation.survey_id,
                        "version_id": invitation.version_id,
                        "order_id": invitation.order_id,
                        "kind": "customer",
                        "status": "partial",
                        "may_contact": False,
                        "created_at": now,
                        "updated_at": now,
                    },
                )
            db.refresh(invitation)
        response = self.response_for(invitation)
        if response is None:  # pragma: no cover - made above in this transaction
            raise NotFound("no response")
        db.expire(response)  # perhaps read before the lock: what is stored now
        for gone in [a for a in response.answers if a.question.key in cleared]:
            response.answers.remove(gone)  # delete-orphan: the row goes
        self._store(response, checked, now)
        if may_contact is not None:
            response.may_contact = bool(may_contact)
        response.updated_at = now
        db.flush()
        if final:
            self._complete(invitation, response, actor=actor, now=now)
        return response

    def _store(
        self, response: Response, checked: dict[Question, dict[str, Any]], now: datetime
    ) -> None:
        db = session()
        existing = {answer.question_id: answer for answer in response.answers}
        for question, values in checked.items():
            answer = existing.get(question.id)
            if answer is None:
                answer = Answer(
                    question_id=question.id,
                    kind=response.kind,
                    type=question.type,
                    area=question.area,
                    dimension=question.dimension,
                    weight=question.weight,
                )
                response.answers.append(answer)
            answer.value = values.get("value")
            answer.choice = values.get("choice")
            answer.text = values.get("text")
            answer.score = values.get("score")
            answer.created_at = now
        db.flush()
        for answer in response.answers:
            db.refresh(answer, ["question"])

    def _complete(
        self, invitation: Invitation, response: Response, *, actor: Actor | None, now: datetime
    ) -> None:
        answered = {answer.question.key for answer in response.answers}
        missing = [
            q.key for q in response.version.questions if q.required and q.key not in answered
        ]
        if missing:
            raise ValidationError({key: "an answer is required" for key in missing})
        INVITATION.move(
            Invitation,
            invitation.id,
            "completed",
            expected="started",
            values={"completed_at": now},
            actor=actor or Actor.shopper(None, invitation.email),
            occurred_at=now,
        )
        response.status = "complete"
        response.completed_at = now
        session().flush()
        session().refresh(invitation)
        signals.send(signals.survey_completed, response=response, invitation=invitation)
        low = [a for a in response.answers if is_low(a.type, a.value)]
        if low:
            signals.send(
                signals.survey_detractor, response=response, invitation=invitation, answers=low
            )
            if response.may_contact:
                self.follow_up(response, now=now)

    def follow_up(self, response: Response, *, now: datetime | None = None) -> str | None:
        """Open a follow-up ticket in the complaint queue for a low response (channel
        ``"survey"``, the answers in its message), once; returns its reference.

        Goes through ``care.feedback.submit`` when the feedback domain is mounted;
        without it, nothing is opened (the ``survey-detractor`` signal still lets the
        host act) and ``None`` is returned.
        """
        if response.followup_reference:
            return response.followup_reference
        feedback = getattr(get_state().care, "feedback", None)
        if feedback is None or not hasattr(feedback, "submit"):
            return None
        order = response.order
        lines = [f"{a.question.text_en}: {answer_label(a, 'en')}" for a in response.answers]
        ticket = feedback.submit(
            kind="complaint",
            subject=f"Survey follow-up: order {order.reference if order else ''}".strip(),
            message="\n".join(lines),
            area="satisfaction",
            reference=order.reference if order else None,
            email=response.invitation.email if response.invitation else None,
            channel="survey",
            actor=Actor.system("surveys"),
            now=now,
        )
        reference = str(getattr(ticket, "reference", None) or getattr(ticket, "number", ticket.id))
        response.followup_reference = reference[:64]
        session().flush()
        record_event(
            "response",
            response.id,
            SURVEY_FOLLOWED_UP,
            actor=Actor.system("surveys"),
            data={"ticket": reference},
        )
        return reference

    def unsubscribe(self, email: str, *, actor: Actor | None = None) -> bool:
        """Never invite or remind ``email`` again (it holds for ever); its open
        invitations are withdrawn. Returns whether it was new."""
        address = email_address(email)
        db = session()
        inserted = db.execute(
            _insert(Unsubscribe.__table__, unique=["email"]).returning(
                Unsubscribe.__table__.c.email
            ),
            {"email": address, "created_at": utcnow()},
        ).first()
        withdrawn = db.execute(
            update(Invitation)
            .where(Invitation.email == address, Invitation.status.in_(OPEN))
            .values(status="withdrawn")
            .returning(Invitation.id)
            .execution_options(synchronize_session=False)
        ).all()
        for row in withdrawn:
            record_event(
                "invitation",
                row.id,
                SURVEY_UNSUBSCRIBED,
                actor=actor or Actor.shopper(None, address),
            )
        return inserted is not None

    def is_unsubscribed(self, email: str) -> bool:
        return session().get(Unsubscribe, str(email).lower()) is not None

    # -- audits -------------------------------------------------------------------------

    def record_audit(
        self,
        order_reference: str,
        answers: Mapping[str, Any],
        *,
        auditor: str,
        actor: Actor | None = None,
        now: datetime | None = None,
    ) -> Response:
        """Record a mystery-shopper audit of an order the auditor placed as a normal
        customer: the checklist's answers (``{key: 1 met / 0 not met}``, notes as text).

        Scored 0-100: the weighted share of checks met. Kept apart from customers'
        answers (``kind="audit"``).

        :raises NotFound: no order with that reference.
        :raises ValidationError: naming the bad field.
        """
        from shopcare.orders.services import reference_key

        auditor_name = text(auditor, "auditor", 200)
        order = (
            session()
            .scalars(select(Order).where(Order.reference_key == reference_key(order_reference)))
            .one_or_none()
        )
        if order is None:
            raise NotFound("no such order")
        survey = self.audit_survey()
        version = survey.current
        checked = check_answers(version, answers)
        answered = {q.key for q in checked}
        missing = [q.key for q in version.questions if q.type == "check" and q.key not in answered]
        if missing:
            raise ValidationError({key: "an answer is required" for key in missing})
        now = utcnow() if now is None else aware_datetime(now, "now")
        response = Response(
            survey_id=survey.id,
            version_id=version.id,
            order_id=order.id,
            kind="audit",
            status="complete",
            auditor=auditor_name,
            created_at=now,
            updated_at=now,
            completed_at=now,
        )
        session().add(response)
        session().flush()
        self._store(response, checked, now)
        weights = sum(a.weight for a in response.answers if a.type == "check")
        met = sum(a.weight * (a.value or 0) for a in response.answers if a.type == "check")
        response.score = round(100.0 * met / weights, 1) if weights else None
        session().flush()
        record_event(
            "response", response.id, SURVEY_AUDITED, actor=actor, data={"score": response.score}
        )
        return response

    # -- staff --------------------------------------------------------------------------

    def anonymise(self, response_id: int, *, actor: Actor | None = None) -> Response:
        """Blank a response's free text (a GDPR request); its numbers stay.

        :raises NotFound: no such response.
        """
        response = session().get(
            Response, check_int(response_id, "response_id", minimum=1, maximum=2**31 - 1)
        )
        if response is None:
            raise NotFound("no such response")
        for answer in response.answers:
            if answer.text is not None:
                answer.text = ""
        response.anonymised_at = utcnow()
        session().flush()
        record_event("response", response.id, SURVEY_ANONYMISED, actor=actor)
        return response

    def response_rates(
        self, survey: Survey, *, since: datetime | None = None, until: datetime | None = None
    ) -> builtins.list[dict[str, Any]]:
        """Per version: invitations, completed responses and the rate (completed /
        invited, DOMAIN.md), in one GROUP BY query. ``since``/``until`` bound the
        invitations' creation time."""
        conditions = [Invitation.survey_id == survey.id]
        if since is not None:
            conditions.append(Invitation.created_at >= since)
        if until is not None:
            conditions.append(Invitation.created_at < until)
        rows = (
            session()
            .execute(
                select(
                    SurveyVersion.number,
                    func.count(Invitation.id),
                    func.count(Invitation.completed_at),
                )
                .join(SurveyVersion, SurveyVersion.id == Invitation.version_id)
                .where(*conditions)
                .group_by(SurveyVersion.number)
                .order_by(SurveyVersion.number)
            )
            .all()
        )
        return [
            {
                "version": number,
                "invited": invited,
                "completed": completed,
                "rate": round(100.0 * completed / invited, 1) if invited else None,
            }
            for number, invited, completed in rows
        ]


# -- checking input --------------------------------------------------------------------


def check_questions(questions: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Questions as :meth:`SurveyDesk.edit` takes them, checked and normalised.

    :raises ValidationError: naming ``questions[i].field``.
    """
    if isinstance(questions, str | bytes) or not isinstance(questions, Iterable):
        raise ValidationError("questions", "a list of questions is required")
    checked: list[dict[str, Any]] = []
    keys: set[str] = set()
    for index, question in enumerate(questions):
        where = f"questions[{index}]"
        if not isinstance(question, Mapping):
            raise ValidationError(where, "a question is a mapping")
        key = text(question.get("key"), f"{where}.key", 64)
        assert key is not None
        if not key.replace("_", "").isalnum() or not key.isascii():
            raise ValidationError(f"{where}.key", "letters, digits and _ only")
        if key in keys:
            raise ValidationError(f"{where}.key", "another question has this key")
        keys.add(key)
        kind = question.get("type")
        if kind not in QUESTION_TYPES:
            raise ValidationError(f"{where}.type", f"one of {', '.join(QUESTION_TYPES)}")
        area = question.get("area")
        if area not in AREAS:
            raise ValidationError(f"{where}.area", f"one of {', '.join(AREAS)}")
        dimension = question.get("dimension") or None
        if dimension is not None and dimension not in DIMENSIONS:
            raise ValidationError(f"{where}.dimension", f"one of {', '.join(DIMENSIONS)}")
        weight = question.get("weight", 1)
        try:
            weight = float(weight)
        except (TypeError, ValueError):
            raise ValidationError(f"{where}.weight", "a number from 0 to 100") from None
        if not 0 <= weight <= 100:
            raise ValidationError(f"{where}.weight", "a number from 0 to 100")
        options = question.get("options")
        if kind == "comparison" and not options:
            options = defaults.COMPARISON_OPTIONS
        if kind in ("choice", "multi") and (not isinstance(options, list) or not options):
            raise ValidationError(f"{where}.options", "choices need options")
        if options is not None:
            cleaned = []
            values: set[str] = set()
            for number, option in enumerate(options):
                at = f"{where}.options[{number}]"
                if not isinstance(option, Mapping):
                    raise ValidationError(at, "an option is {value, en, es}")
                value = text(str(option.get("value", "")), f"{at}.value", 64)
                assert value is not None
                if value in values or " " in value:
                    raise ValidationError(f"{at}.value", "unique, without spaces")
                values.add(value)
                cleaned.append(
                    {
                        "value": value,
                        "en": text(option.get("en"), f"{at}.en", 200),
                        "es": text(option.get("es"), f"{at}.es", 200),
                    }
                )
            options = cleaned
        checked.append(
            {
                "key": key,
                "type": kind,
                "area": area,
                "dimension": dimension,
                "weight": weight,
                "required": bool(question.get("required", False)),
                "page": check_int(
                    _whole(question.get("page", 1)), f"{where}.page", minimum=1, maximum=20
                ),
                "text_en": text(question.get("text_en"), f"{where}.text_en", 500),
                "text_es": text(question.get("text_es"), f"{where}.text_es", 500),
                "options": options,
            }
        )
    if not checked:
        raise ValidationError("questions", "a survey needs at least one question")
    return checked


def _whole(value: Any) -> Any:
    """``"3"`` → ``3`` (a form's number); anything else as it is."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    return value


def check_answers(
    version: SurveyVersion, answers: Mapping[str, Any]
) -> dict[Question, dict[str, Any]]:
    """``{question_key: value}`` checked against ``version``'s questions: ``{question:
    {value, choice, text, score}}``. A ``None`` or blank value is no answer.

    :raises ValidationError: naming the key of each bad answer, or an unknown key.
    """
    if not isinstance(answers, Mapping):
        raise ValidationError("answers", "a mapping of question key to value")
    questions = {question.key: question for question in version.questions}
    errors: dict[str, str] = {}
    checked: dict[Question, dict[str, Any]] = {}
    for key, value in answers.items():
        question = questions.get(key) if isinstance(key, str) else None
        if question is None:
            errors[str(key)[:64]] = "no such question"
            continue
        if _blank(value):
            continue
        try:
            checked[question] = _check_answer(question, value)
        except ValidationError as error:
            errors[key] = next(iter(error.fields.values()))
    if errors:
        raise ValidationError(errors)
    return checked


def _ascii_digits(text: str) -> bool:
    """Whether ``int(text)`` reads ``text`` (``"²".isdigit()`` is true; ``int`` refuses it)."""
    return text.isascii() and text.isdigit()


def _blank(value: Any) -> bool:
    """Whether an answer's value is no answer: ``None``, blank text or ``[]``."""
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _check_answer(question: Question, value: Any) -> dict[str, Any]:
    key = question.key
    if question.type in SCALES:
        low, high = SCALES[question.type]
        if isinstance(value, bool):
            raise ValidationError(key, f"a whole number from {low} to {high}")
        if isinstance(value, str) and _ascii_digits(value.strip().lstrip("-")):
            value = int(value.strip())
        number = check_int(value, key, minimum=low, maximum=high)
        return {"value": number, "score": score(question.type, number)}
    if question.type == "choice":
        allowed = {option["value"] for option in question.options or ()}
        if not isinstance(value, str) or value not in allowed:
            raise ValidationError(key, "one of the options")
        return {"choice": value}
    if question.type == "multi":
        allowed = {option["value"] for option in question.options or ()}
        items = value.split() if isinstance(value, str) else value
        if not isinstance(items, list | tuple) or not all(
            isinstance(item, str) and item in allowed for item in items
        ):
            raise ValidationError(key, "options from the list")
        ordered = [option["value"] for option in question.options or () if option["value"] in items]
        return {"choice": " ".join(ordered)}
    return {"text": text(value, key, TEXT_LIMIT)}


def answer_label(answer: Answer, locale: str | None = None) -> str:
    """An answer as words in ``locale``, as its own version put it (``"Worse"``, ``"9"``)."""
    question = answer.question
    if answer.value is not None:
        if question.options:
            return question.option_label(str(answer.value), locale)
        return str(answer.value)
    if answer.choice is not None:
        return ", ".join(question.option_label(v, locale) for v in answer.choice.split())
    return answer.text or ""


def _random_token(dialect: str) -> Any:
    """An answering link's key, made by the database for each row: 48 hex digits from
    the database's random source (SQLite: 24 bytes of ``randomblob``, its ChaCha20
    generator seeded by the OS; PostgreSQL: two ``gen_random_uuid()``, 122 random bits
    each from ``pg_strong_random``, of which 48 digits keep about 180 bits)."""
    if dialect == "postgresql":
        uuids = cast(func.gen_random_uuid(), String) + cast(func.gen_random_uuid(), String)
        return func.left(func.replace(uuids, "-", ""), 48)
    return func.lower(func.hex(func.randomblob(24)))


def mail_context_columns(version: SurveyVersion) -> dict[str, Any]:
    """What the invitation and reminder e-mails render, as columns of an invitation
    joined to its order: the link key, the order's
    reference, the address (the unsubscribe key is derived from it at send time) and
    the first question of ``version`` (its one-click choices)."""
    first = version.questions[0] if version.questions else None
    context: dict[str, Any] = {
        "invitation_id": Invitation.id,
        "token": Invitation.token,
        "reference": Order.reference,
        "email": Invitation.email,
    }
    question = _first_question(first)
    if question is not None:
        context["question"] = question
    return context


def _first_question(first: Question | None) -> dict[str, Any] | None:
    if first is None or first.type not in SCALES:
        return None
    low, high = SCALES[first.type]
    return {"type": first.type, "en": first.text_en, "es": first.text_es, "low": low, "high": high}


def _adopt_invitations(rows: list[dict[str, Any]]) -> list[Invitation]:
    """Invitations just inserted (``rows``: every column's value), as ORM objects without
    a query, whose ``order`` loads on first use (``Session.enable_relationship_loading``):
    a pass that invites a hundred thousand shoppers does not pay for a hundred thousand
    session entries.

    What :func:`~sqlalchemy.orm.make_transient_to_detached` does, less its per-object
    bookkeeping for a fresh object (nothing to commit, nothing to expire: every column
    is given): the identity key is set, and the object is detached.
    """
    from sqlalchemy import inspect as sa_inspect
    from sqlalchemy.orm.base import instance_state

    mapper = sa_inspect(Invitation)
    columns = {attr.key for attr in mapper.column_attrs}
    new_instance = mapper.class_manager.new_instance
    scoped: Any = session()  # typed as a Session; it is the scoped_session
    own_session = scoped()  # the scoped session's own Session
    made = []
    for values in rows:
        missing = columns - values.keys()
        if missing:  # pragma: no cover - a programming error
            raise ValueError(f"missing columns {sorted(missing)}")
        instance = new_instance()
        instance.__dict__.update(values)
        instance_state(instance).key = (Invitation, (values["id"],), None)
        own_session.enable_relationship_loading(instance)
        made.append(instance)
    return made


def _no_open_cases_or_complaints() -> list[Any]:
    """Conditions: the order has no open case (and no open complaint, when the feedback
    domain's tickets table exists), read by table name so that surveys import no
    other domain."""
    from shopcare.core.db import metadata

    conditions = []
    if "shopcare_cases" in metadata.tables:
        cases = table("shopcare_cases", column("order_id"), column("status"))
        conditions.append(
            ~exists().where(
                and_(cases.c.order_id == Order.id, cases.c.status.in_(OPEN_CASE_STATUSES))
            )
        )
    if "shopcare_tickets" in metadata.tables:  # the complaint queue (shopcare.feedback)
        tickets = table("shopcare_tickets", column("order_id"), column("kind"), column("status"))
        conditions.append(
            ~exists().where(
                and_(
                    tickets.c.order_id == Order.id,
                    tickets.c.kind == "complaint",
                    tickets.c.status.in_(OPEN_TICKET_STATUSES),
                )
            )
        )
    return conditions


def current_desk() -> SurveyDesk:
    """``care.surveys`` of the current app."""
    desk: SurveyDesk = get_state().care.surveys
    return desk
