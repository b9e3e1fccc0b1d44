"""Writing and reading the event log: :func:`record_event` (the only writer) and
:func:`events_for`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from shopcare.core import signals
from shopcare.core.db import insert_rows, insert_unless_exists, session, utcnow
from shopcare.core.errors import ValidationError
from shopcare.core.events.actors import Actor
from shopcare.core.events.models import Event
from shopcare.core.state import get_state
from shopcare.core.validation import aware_datetime, required_text


def _state(value: str | None, field: str) -> str | None:
    return None if value is None else required_text(value, field, 32, strip=False)


def check_action(action: Any) -> str:
    """``action`` if the current app declared it (``state.add_events``).

    :raises ValidationError: ``action``, for a name outside the app's vocabulary.
    """
    name = required_text(action, "action", 64, strip=False)
    if name not in get_state().event_names:
        raise ValidationError(
            "action",
            f"{name!r} is not a declared event; declare it with care.add_events(...) "
            "(or state.add_events in a domain's wiring)",
        )
    return name


def record_event(
    subject_kind: str,
    subject_id: str | int,
    action: str,
    *,
    actor: Actor | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    data: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
    public: bool = False,
    dedupe_key: str | None = None,
) -> Event | None:
    """Append one event to the log (flushed, not committed: it lands with the caller's change).

    :param subject_kind: what the event is about (``"order"``, ``"shipment"`` …).
    :param subject_id: its primary key (stored as a string), e.g. ``order.id``.
    :param action: a dotted verb, ``"<kind>.<what happened>"``, from the app's
        vocabulary: the names its domains declared (``state.add_events``) and the
        host's own (``care.add_events``).
    :param actor: who did it; ``None`` means :meth:`Actor.current`.
    :param data: JSON-serialisable details (no secrets: the log is never rewritten).
    :param occurred_at: when it happened (aware); default now. ``recorded_at`` is
        always the time of writing.
    :param public: show it on the shopper's timeline.
    :param dedupe_key: record at most one event with this key, ever; a second call
        (even from a concurrent transaction) returns ``None``.
    :raises ValidationError: on a bad argument (``action`` for an undeclared name);
        nothing is written.
    """
    values = event_values(
        subject_kind,
        subject_id,
        action,
        actor=actor,
        from_state=from_state,
        to_state=to_state,
        data=data,
        occurred_at=occurred_at,
        public=public,
        dedupe_key=dedupe_key,
    )
    row: Event | None
    if dedupe_key is None:
        row = insert_rows(Event, [values])[0]
    else:
        # Race-safe: a concurrent writer of the same key makes this a no-op.
        row = insert_unless_exists(Event, values, unique="dedupe_key")
        if row is None:
            return None
    announce(row)
    return row


def event_values(
    subject_kind: str,
    subject_id: str | int | None,
    action: str,
    *,
    actor: Actor | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    data: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
    public: bool = False,
    dedupe_key: str | None = None,
) -> dict[str, Any]:
    """The checked column values of an event row, as :func:`record_event` writes it
    (same arguments). With ``subject_id=None`` the row leaves it out, for a statement
    that writes the subject and its event at once; send :func:`announce` once the row
    is written.

    :raises ValidationError: on a bad argument.
    """
    values: dict[str, Any] = {}
    if subject_id is not None:
        subject = str(subject_id) if isinstance(subject_id, int | str) else None
        if not subject or isinstance(subject_id, bool):
            raise ValidationError("subject_id", "a string or integer id is required")
        if len(subject) > 64:
            raise ValidationError("subject_id", "at most 64 characters")
        values["subject_id"] = subject
    if data is not None:
        if not isinstance(data, dict):
            raise ValidationError("data", "must be a dict")
        try:
            json.dumps(data)
        except (TypeError, ValueError) as error:
            raise ValidationError("data", f"must be JSON-serialisable ({error})") from None
    if dedupe_key is not None:
        required_text(dedupe_key, "dedupe_key", 255, strip=False)
    actor = actor if actor is not None else Actor.current()
    if not isinstance(actor, Actor):
        raise ValidationError("actor", "must be an Actor")
    values.update(
        {
            "subject_kind": required_text(subject_kind, "subject_kind", 40, strip=False),
            "action": check_action(action),
            "actor_kind": actor.kind,
            "actor_id": actor.id,
            "actor_label": None if actor.label is None else actor.label[:255],
            "from_state": _state(from_state, "from_state"),
            "to_state": _state(to_state, "to_state"),
            "data": dict(data or {}),
            "public": bool(public),
            "occurred_at": aware_datetime(occurred_at, "occurred_at") if occurred_at else utcnow(),
            "recorded_at": utcnow(),
            "dedupe_key": dedupe_key,
        }
    )
    return values


def announce(event: Event) -> None:
    """Send ``event-recorded`` for an event row just written."""
    signals.send(signals.event_recorded, event=event)


def events_for(
    subject_kind: str,
    subject_ids: str | int | Sequence[str | int],
    *,
    public_only: bool = False,
) -> list[Event]:
    """The events of one or several subjects of a kind, oldest first (one query).

    :param public_only: only the events meant for the shopper's timeline.
    """
    if isinstance(subject_ids, str | int):
        ids = [str(subject_ids)]
    else:
        ids = [str(value) for value in subject_ids]
    if not ids:
        return []
    query = select(Event).where(Event.subject_kind == subject_kind, Event.subject_id.in_(ids))
    if public_only:
        query = query.where(Event.public.is_(True))
    return list(session().scalars(query.order_by(Event.occurred_at, Event.id)))
