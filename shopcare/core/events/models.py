"""The append-only event log: one row per thing that happened to a subject.

Rows are written only by :func:`shopcare.core.events.record_event`. The ORM refuses to
update or delete them (``AppendOnlyError``), and on PostgreSQL a trigger refuses
``UPDATE`` and ``DELETE`` too, so the audit trail and the shopper's timeline (the
same data) cannot be rewritten by a stray query.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    DDL,
    BigInteger,
    Index,
    Integer,
    String,
    Table,
    event,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, ORMExecuteState, Session, mapped_column

from shopcare.core.db import Base, utcnow
from shopcare.core.errors import ShopCareError
from shopcare.core.events.actors import Actor

#: PostgreSQL: the function and trigger that refuse UPDATE and DELETE on
#: ``shopcare_events``. Created after the table by ``create_all``; a migration that
#: creates the table must run these statements too (``op.execute(...)``).
APPEND_ONLY_FUNCTION = """\
CREATE OR REPLACE FUNCTION shopcare_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- A GDPR erasure (shopcare.core.privacy) sets shopcare.erasure for its own
    -- statement and may then blank who did it and what was said, never what happened,
    -- to what, or when.
    IF TG_OP = 'UPDATE' AND current_setting('shopcare.erasure', true) = 'on'
       AND NEW.id = OLD.id
       AND NEW.subject_kind = OLD.subject_kind AND NEW.subject_id = OLD.subject_id
       AND NEW.action = OLD.action AND NEW.actor_kind = OLD.actor_kind
       AND NEW.from_state IS NOT DISTINCT FROM OLD.from_state
       AND NEW.to_state IS NOT DISTINCT FROM OLD.to_state
       AND NEW.public = OLD.public
       AND NEW.occurred_at = OLD.occurred_at AND NEW.recorded_at = OLD.recorded_at
       AND NEW.dedupe_key IS NOT DISTINCT FROM OLD.dedupe_key THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING
        MESSAGE = 'shopcare_events is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'restrict_violation';
END;
$$"""
APPEND_ONLY_TRIGGER = """\
CREATE TRIGGER shopcare_events_append_only
BEFORE UPDATE OR DELETE ON shopcare_events
FOR EACH ROW EXECUTE FUNCTION shopcare_events_append_only()"""
#: PostgreSQL: what undoes the two statements above once the table is dropped.
DROP_APPEND_ONLY_FUNCTION = "DROP FUNCTION IF EXISTS shopcare_events_append_only()"

#: Primary key: BIGINT on PostgreSQL (the log only grows), INTEGER on SQLite (rowid).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class AppendOnlyError(ShopCareError):
    """Someone tried to change or delete an event row; the event log only grows."""


class Event(Base):
    """One thing that happened to a subject (an order, a return, a ticket …).

    ``subject_kind`` + ``subject_id`` name the subject (``"order"``, ``str(order.id)``);
    ``action`` is a dotted verb (``"order.recorded"``, ``"return.approved"``); a state
    change carries ``from_state`` / ``to_state``. ``public`` events appear on the
    shopper's timeline; the rest are for staff and the audit trail.
    """

    __tablename__ = "shopcare_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_label: Mapped[str | None] = mapped_column(String(255))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    public: Mapped[bool] = mapped_column(default=False)
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    dedupe_key: Mapped[str | None] = mapped_column(String(255), unique=True)

    __table_args__ = (
        Index(
            "ix_shopcare_events_subject_kind_subject_id_occurred_at",
            "subject_kind",
            "subject_id",
            "occurred_at",
        ),
        {"info": {"append_only": True}},
    )

    @property
    def actor(self) -> Actor:
        """Who did it, as an :class:`shopcare.core.events.Actor`."""
        return Actor(self.actor_kind, self.actor_id, self.actor_label)

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.subject_kind}:{self.subject_id} {self.action}>"


def _postgresql_ddl(statement: str) -> DDL:
    # The statements hold no "%" on purpose: DDL() would format it, and a migration's
    # op.execute() would hand it to the driver as a placeholder.
    return DDL(statement).execute_if(dialect="postgresql")


_table: Table = Event.__table__  # type: ignore[assignment]
event.listen(_table, "after_create", _postgresql_ddl(APPEND_ONLY_FUNCTION))
event.listen(_table, "after_create", _postgresql_ddl(APPEND_ONLY_TRIGGER))
event.listen(_table, "after_drop", _postgresql_ddl(DROP_APPEND_ONLY_FUNCTION))


@event.listens_for(Event, "before_update")
def _refuse_update(mapper: Mapper[Event], connection: Connection, target: Event) -> None:
    owner = Session.object_session(target)
    if owner is not None and not owner.is_modified(target, include_collections=False):
        return  # touched but unchanged: nothing will be written
    raise AppendOnlyError(
        f"{target!r} cannot be changed: the event log is append-only; record a new event"
    )


@event.listens_for(Event, "before_delete")
def _refuse_delete(mapper: Mapper[Event], connection: Connection, target: Event) -> None:
    raise AppendOnlyError(f"{target!r} cannot be deleted: the event log is append-only")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    """``session.execute(update(Event) …)`` / ``delete(Event)`` bypass the mapper hooks."""
    if (state.is_update or state.is_delete) and any(
        mapper.class_ is Event for mapper in state.all_mappers
    ):
        raise AppendOnlyError("the event log is append-only: bulk UPDATE/DELETE refused")
