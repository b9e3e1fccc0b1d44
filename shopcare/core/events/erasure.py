"""The one change the event log allows: an erasure (GDPR art. 17, ``shopcare.core.privacy``)
blanks who did something and what they said, never what happened, to what, or when.

On PostgreSQL the log's trigger (``shopcare.core.events.models``) lets an UPDATE through
only while ``shopcare.erasure`` is set for the transaction, and then only of
``actor_label``, ``actor_id`` and ``data``; this module is the only code that sets it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import bindparam, or_, select, text, tuple_, update

from shopcare.core.db import session
from shopcare.core.events.models import Event

#: ``(subject_kind, subject_id)``
Subject = tuple[str, str]


def events_about(subjects: Iterable[Subject], actor_label: str) -> list[Event]:
    """The events of ``subjects`` and those whose actor went by ``actor_label``, oldest first."""
    wanted = sorted(set(subjects))
    conditions = [Event.actor_label == actor_label]
    if wanted:
        conditions.append(tuple_(Event.subject_kind, Event.subject_id).in_(wanted))
    return list(session().scalars(select(Event).where(or_(*conditions)).order_by(Event.id)))


def blank(changes: Mapping[int, Mapping[str, Any]]) -> int:
    """Rewrite the personal part of events: ``{event id: {"data": ..., "actor_label": ...,
    "actor_id": ...}}`` (each key required), in one statement. Returns how many."""
    if not changes:
        return 0
    table = Event.__table__
    connection = session().connection()
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        connection.execute(text("SET LOCAL shopcare.erasure = 'on'"))
    connection.execute(
        update(table)
        .where(table.c.id == bindparam("event_id"))
        .values(
            data=bindparam("new_data", type_=table.c.data.type),
            actor_label=bindparam("new_label"),
            actor_id=bindparam("new_actor_id"),
        ),
        [
            {
                "event_id": event_id,
                "new_data": change["data"],
                "new_label": change["actor_label"],
                "new_actor_id": change["actor_id"],
            }
            for event_id, change in changes.items()
        ],
    )
    if postgres:
        connection.execute(text("SET LOCAL shopcare.erasure = 'off'"))
    for event_id in changes:  # the session's copies are stale now
        cached = session().identity_map.get(session().identity_key(Event, event_id))  # type: ignore[arg-type]
        if cached is not None:
            session().expire(cached)
    return len(changes)
