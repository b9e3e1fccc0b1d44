"""Putting work in the outbox (:func:`enqueue_mail`, :func:`enqueue_job`) and the
staff-side helpers (list, retry). The jobs and periodic tasks a worker runs are
what the app's features declared on its state (``state.add_job``, ``state.add_periodic``)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, cast

from flask import current_app
from sqlalchemy import Table, func, select, update

from shopcare.core.config import setting
from shopcare.core.db import insert_unless_exists, session, utcnow
from shopcare.core.errors import NotFound, ValidationError
from shopcare.core.events import Actor, record_event
from shopcare.core.outbox.models import FAILED, MAIL_KIND, OUTBOX, QUEUED, STATUSES, OutboxItem
from shopcare.core.state import check_kind
from shopcare.core.validation import MAX_BIG_ID, aware_datetime, check_int, email_address


def _json(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValidationError(field, "must be a dict")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValidationError(field, f"must be JSON-serialisable ({error})") from None
    return value


def _run_at(run_at: datetime | None) -> datetime:
    return utcnow() if run_at is None else aware_datetime(run_at, "run_at")


def _add(values: dict[str, Any]) -> OutboxItem | None:
    """Add an item to the caller's transaction, unless its dedupe key is taken."""
    values = {"status": QUEUED, "attempts": 0, "created_at": utcnow(), **values}
    if values.get("dedupe_key") is None:
        item = OutboxItem(**values)
        db = session()
        db.add(item)
        db.flush()
        return item
    # Race-safe: a concurrent enqueue of the same key makes this a no-op.
    return cast(OutboxItem | None, insert_unless_exists(OutboxItem, values, unique="dedupe_key"))


def _dedupe_key(value: Any, required: bool) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 255:
        raise ValidationError("dedupe_key", "a key of 1 to 255 characters is required")
    return value


def resolve_locale(locale: str | None) -> str:
    """The supported language closest to ``locale`` (``"es_MX"`` → ``"es"``), else the default."""
    from shopcare.core.i18n import match_language

    languages = [str(code) for code in setting("SHOPCARE_LANGUAGES")]
    return match_language(locale, languages) or str(setting("SHOPCARE_DEFAULT_LOCALE"))


#: The headers an e-mail may be queued with (``enqueue_mail(headers=…)``).
MAIL_HEADERS = ("Reply-To", "In-Reply-To", "References")


def enqueue_mail(
    to: str,
    template: str,
    context: dict[str, Any],
    *,
    locale: str | None = None,
    dedupe_key: str,
    run_at: datetime | None = None,
    headers: dict[str, str] | None = None,
    hook: str | None = None,
) -> OutboxItem | None:
    """Queue an e-mail, in the caller's transaction (sent only if the caller commits).

    :param template: a name under ``shopcare/email/``: ``"tracking/status_changed"``
        renders ``….subject.txt``, ``….txt`` and (when present) ``….html``, at send time.
    :param context: the templates' variables; JSON-serialisable (checked now).
    :param locale: the recipient's language (``None``: ``SHOPCARE_DEFAULT_LOCALE``).
    :param dedupe_key: at most one e-mail is ever queued per key (a second call
        returns ``None``); it also becomes the Message-ID, so that a receiver can
        drop the rare duplicate delivery. Keys are global: prefix them with your domain.
    :param run_at: send no earlier than this (aware datetime).
    :param headers: ``Reply-To``, ``In-Reply-To`` and ``References`` for the message
        (threading replies back to what they answer); no other header.
    :param hook: the name of a mail hook (``state.add_mail_hook``) the worker asks just
        before sending: whether the e-mail is still wanted, and its extra headers.
    :raises ValidationError: naming the bad argument; nothing is queued.
    """
    extra = dict(headers or {})
    for name, value in extra.items():
        if name not in MAIL_HEADERS or not isinstance(value, str) or not value.isascii():
            raise ValidationError("headers", f"one of {', '.join(MAIL_HEADERS)}, ASCII text")
        if "\r" in value or "\n" in value:
            raise ValidationError("headers", "one line each")
    address = email_address(to, "to", lower=False)
    if not isinstance(template, str) or not template.strip() or ".." in template:
        raise ValidationError("template", "a template name like 'tracking/status_changed'")
    from shopcare.core.outbox.mail import template_names

    for name in template_names(template, required_only=True):
        if not _template_exists(name):
            raise ValidationError("template", f"no template {name!r}")
    return _add(
        {
            "kind": MAIL_KIND,
            "payload": {
                "to": address,
                "template": template,
                "context": _json(context, "context"),
                "locale": resolve_locale(locale),
                **({"hook": check_kind(hook)} if hook is not None else {}),
                **({"headers": extra} if extra else {}),
            },
            "dedupe_key": _dedupe_key(dedupe_key, required=True),
            "due_at": _run_at(run_at),
        }
    )


def enqueue_mails(template: str, mails: list[dict[str, Any]], *, hook: str | None = None) -> int:
    """Queue many e-mails of one ``template`` in a few statements (a periodic pass that
    invites a hundred thousand shoppers), in the caller's transaction.

    :param mails: each ``{"to", "context", "locale", "dedupe_key"}`` as for
        :func:`enqueue_mail` (addresses as shopcare stored them: already checked); a
        mail whose key is already queued is skipped.
    :returns: how many were queued.
    :raises ValidationError: for a template that does not exist; nothing is queued.
    """
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    from shopcare.core.outbox.mail import template_names

    for name in template_names(template, required_only=True):
        if not _template_exists(name):
            raise ValidationError("template", f"no template {name!r}")
    db = session()
    dialect = db.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = cast(Table, OutboxItem.__table__)
    statement = insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"])
    now = utcnow()
    locales: dict[str | None, str] = {}
    queued = 0
    for start in range(0, len(mails), 2000):
        rows = []
        for mail in mails[start : start + 2000]:
            locale = mail.get("locale")
            if locale not in locales:
                locales[locale] = resolve_locale(locale)
            payload = {
                "to": mail["to"],
                "template": template,
                "context": mail["context"],
                "locale": locales[locale],
            }
            if hook is not None:
                payload["hook"] = hook
            rows.append(
                {
                    "kind": MAIL_KIND,
                    "payload": payload,
                    "dedupe_key": _dedupe_key(mail["dedupe_key"], required=True),
                    "status": QUEUED,
                    "attempts": 0,
                    "due_at": now,
                    "created_at": now,
                }
            )
        result = db.execute(statement.returning(table.c.id), rows)
        queued += len(result.all())
    return queued


def enqueue_mails_from(
    template: str,
    rows: Any,
    *,
    to: Any,
    locale: Any,
    dedupe_key: Any,
    context: dict[str, Any],
    hook: str | None = None,
) -> int:
    """Queue one e-mail of ``template`` per row that ``rows`` selects, with one
    ``INSERT … SELECT`` (no Python per row), in the caller's transaction: what a
    periodic pass that invites a hundred thousand shoppers does.

    :param rows: a ``Select`` whose ``FROM`` (``select_from``/``join``) and ``WHERE`` say
        which rows; its columns are ignored.
    :param to: the column of the recipient's address (as shopcare stored it: checked).
    :param locale: the column of the recipient's language; each distinct value is
        resolved as :func:`enqueue_mail` does (``"es_MX"`` → ``"es"``, unknown or
        ``NULL`` → ``SHOPCARE_DEFAULT_LOCALE``).
    :param dedupe_key: a string expression, unique per mail (``'surveys:invitation:' ||
        id``); a row whose key is already queued is skipped (``ON CONFLICT DO NOTHING``).
    :param context: the templates' variables, each a column expression or a JSON value
        (built by the database with :func:`shopcare.core.db.json_object`).
    :returns: how many were queued.
    :raises ValidationError: for a template that does not exist; nothing is queued.
    """
    from sqlalchemy import case, cast, literal, true
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    from shopcare.core.db import json_object
    from shopcare.core.outbox.mail import template_names

    for name in template_names(template, required_only=True):
        if not _template_exists(name):
            raise ValidationError("template", f"no template {name!r}")
    db = session()
    dialect = db.get_bind().dialect.name
    rows = rows.where(true())  # SQLite: INSERT … SELECT … ON CONFLICT needs a WHERE
    raw_locales = db.scalars(rows.with_only_columns(locale).distinct()).all()
    resolved = {raw: resolve_locale(raw) for raw in raw_locales if raw is not None}
    default = resolve_locale(None)
    locale_value: Any = (
        case(resolved, value=locale, else_=literal(default)) if resolved else literal(default)
    )
    if dialect == "postgresql":
        from sqlalchemy import Text

        locale_value = cast(locale_value, Text)
    payload: dict[str, Any] = {
        "to": to,
        "template": template,
        "context": json_object(context),
        "locale": locale_value,
    }
    if hook is not None:
        payload["hook"] = check_kind(hook)
    now = utcnow()
    table: Table = OutboxItem.__table__  # type: ignore[assignment]
    columns = ["kind", "payload", "dedupe_key", "status", "attempts", "due_at", "created_at"]
    source = rows.with_only_columns(
        literal(MAIL_KIND).label("kind"),
        json_object(payload).label("payload"),
        dedupe_key.label("dedupe_key"),
        literal(QUEUED).label("status"),
        literal(0).label("attempts"),
        literal(now, table.c.due_at.type).label("due_at"),
        literal(now, table.c.created_at.type).label("created_at"),
    )
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(table)
        .from_select(columns, source)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    return int(db.execute(statement).rowcount or 0)  # type: ignore[attr-defined]


def _template_exists(name: str) -> bool:
    from jinja2 import TemplateNotFound

    try:
        current_app.jinja_env.get_template(name)
    except TemplateNotFound:
        return False
    return True


def enqueue_job(
    kind: str,
    payload: dict[str, Any],
    *,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
) -> OutboxItem | None:
    """Queue a job for the handler of ``kind`` (``state.add_job``), in the caller's transaction.

    :param payload: the handler's argument; JSON-serialisable (checked now).
    :param dedupe_key: if given, at most one job is ever queued per key (a second
        call returns ``None``).
    :raises ValidationError: naming the bad argument; nothing is queued.
    """
    kind = check_kind(kind)
    if kind == MAIL_KIND:
        raise ValidationError("kind", "queue e-mails with enqueue_mail")
    return _add(
        {
            "kind": kind,
            "payload": _json(payload, "payload"),
            "dedupe_key": _dedupe_key(dedupe_key, required=False),
            "due_at": _run_at(run_at),
        }
    )


def get_item(item_id: int) -> OutboxItem:
    """One outbox item.

    :raises NotFound: if there is none with ``item_id``.
    :raises ValidationError: for an id no item can have.
    """
    item = session().get(OutboxItem, check_int(item_id, "item_id", minimum=1, maximum=MAX_BIG_ID))
    if item is None:
        raise NotFound(f"no outbox item {item_id}")
    return item


def list_items(status: str | None = None, *, limit: int = 100, offset: int = 0) -> list[OutboxItem]:
    """Outbox items, newest first, optionally only those with ``status``.

    :raises ValidationError: for a ``limit`` outside 1…1000, an ``offset`` outside
        0…10,000,000 or an unknown status.
    """
    limit = check_int(limit, "limit", minimum=1, maximum=1000)
    offset = check_int(offset, "offset", minimum=0, maximum=10_000_000)
    query = select(OutboxItem).order_by(OutboxItem.id.desc()).limit(limit).offset(offset)
    if status is not None:
        if status not in STATUSES:
            raise ValidationError("status", f"one of {', '.join(STATUSES)}")
        query = query.where(OutboxItem.status == status)
    return list(session().scalars(query))


def count_by_status() -> dict[str, int]:
    """How many items are in each status (one GROUP BY query); every status is present."""
    rows = (
        session().execute(select(OutboxItem.status, func.count()).group_by(OutboxItem.status)).all()
    )
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: int(count) for status, count in rows})
    return counts


def retry(item_id: int, *, actor: Actor | None = None) -> OutboxItem:
    """Give a failed item a fresh set of attempts, due now (flushed, not committed),
    and record ``outbox.retried`` with ``actor`` (default: whoever is acting now).

    The move ``failed → queued`` of :data:`~shopcare.core.outbox.models.OUTBOX` is a
    conditional UPDATE, so two people retrying the same item at once, or a retry racing
    a worker, can never queue it twice.

    :raises NotFound: no such item. :raises TransitionError: the item has not failed.
    """
    item = get_item(item_id)
    try:
        OUTBOX.move(
            OutboxItem, item_id, QUEUED, expected=FAILED, values=_fresh_attempts(), actor=actor
        )
    finally:
        session().refresh(item)
    return item


def retry_failed(*, actor: Actor | None = None) -> int:
    """Retry every failed item, recording ``outbox.retried`` for each with ``actor``;
    returns how many (flushed, not committed)."""
    move = OUTBOX.check(FAILED, QUEUED)  # the table allows it, and names its event
    ids = (
        session()
        .scalars(
            update(OutboxItem)
            .where(OutboxItem.status == FAILED)
            .values(status=QUEUED, **_fresh_attempts())
            .returning(OutboxItem.id)
            .execution_options(synchronize_session="fetch")
        )
        .all()
    )
    actor = actor if actor is not None else Actor.current()
    for item_id in sorted(ids):
        record_event(
            OUTBOX.name, item_id, str(move.event), actor=actor, from_state=FAILED, to_state=QUEUED
        )
    return len(ids)


def _fresh_attempts() -> dict[str, Any]:
    return {"attempts": 0, "due_at": utcnow(), "finished_at": None}
