"""shopcare's own SQLAlchemy metadata, its declarative base and column types.

Tables live in shopcare's metadata (every name prefixed ``shopcare_``), not in the
host's ``db.Model``; they are used through the host's ``db.session``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import JSON, DateTime, MetaData, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as naive UTC, the same on SQLite and PostgreSQL.

    Naive datetimes are refused on the way in: their meaning depends on a clock
    shopcare cannot see.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("shopcare stores only timezone-aware datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


#: JSON on SQLite, JSONB on PostgreSQL.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    """Declarative base of every shopcare model."""

    metadata = metadata
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONType}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def session() -> Session:
    """The host's ``db.session`` for the current app."""
    return current_app.extensions["shopcare"].db.session


def insert_unless_exists(model: type[Any], values: dict[str, Any], *, unique: str) -> Any | None:
    """Insert one row of ``model`` unless a row with the same ``unique`` column exists.

    ``INSERT … ON CONFLICT (unique) DO NOTHING RETURNING …`` on PostgreSQL and SQLite: it
    is race-safe (a concurrent insert of the same key makes this one do nothing) and,
    unlike catching an IntegrityError, leaves the caller's transaction usable without a
    savepoint (pysqlite's savepoints are unreliable). Returns the new ORM object, or
    ``None`` when the key was taken.
    """
    db = session()
    dialect = db.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement: Any = pg_insert(model)
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(model)
    else:
        raise NotImplementedError(f"shopcare supports SQLite and PostgreSQL, not {dialect}")
    statement = (
        statement.values(**values).on_conflict_do_nothing(index_elements=[unique]).returning(model)
    )
    return db.scalars(statement).first()
