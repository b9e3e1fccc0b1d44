"""shopcare's own SQLAlchemy metadata, its declarative base and column types.

Tables live in shopcare's metadata (every name prefixed ``shopcare_``), not in the
host's ``db.Model``; they are used through the host's ``db.session``.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar, cast

from flask import current_app
from sqlalchemy import JSON, DateTime, MetaData, Select, Table, TypeDecorator, insert, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Mapper, Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state

T = TypeVar("T")

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

    def result_processor(self, dialect: Dialect, coltype: Any) -> Callable[[Any], Any]:
        """:meth:`process_result_value` after the dialect's own conversion, in one
        function (TypeDecorator's wrapper adds a call per value, and a page reads a
        few dozen datetimes)."""
        convert = self.impl_instance.result_processor(dialect, coltype)
        if convert is None:

            def process(value: Any) -> datetime | None:
                return None if value is None else value.replace(tzinfo=UTC)

        else:

            def process(value: Any) -> datetime | None:
                moment = convert(value)
                return None if moment is None else moment.replace(tzinfo=UTC)

        return process


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


def read_rows(statement: Any, parameters: dict[str, Any]) -> Any:
    """Run a SELECT of columns (no ORM entities) in the session's transaction and return
    its rows, as ``session().execute`` does (pending changes flushed first, when the
    session autoflushes) but without the ORM's layers over the result: for the few
    statements a page runs on every request."""
    db = session()
    if db.autoflush:
        db.flush()  # what session.execute's autoflush does; nothing when nothing is pending
    return db.connection(bind_arguments={"clause": statement}).execute(statement, parameters)


def insert_unless_exists(model: type[T], values: dict[str, Any], *, unique: str) -> T | None:
    """Insert one row of ``model`` unless a row with the same ``unique`` column exists.

    ``INSERT … ON CONFLICT (unique) DO NOTHING RETURNING …`` on PostgreSQL and SQLite: it
    is race-safe (a concurrent insert of the same key makes this one do nothing) and,
    unlike catching an IntegrityError, leaves the caller's transaction usable without a
    savepoint (pysqlite's savepoints are unreliable). Returns the new row as a
    persistent ORM object (see :func:`adopt`), or ``None`` when the key was taken.
    """
    db = session()
    dialect = db.get_bind().dialect.name
    statement = _insert_statement(dialect, cast(Any, model), frozenset(values), unique, None)
    row = db.execute(statement, values).first()
    return None if row is None else adopt(model, {**values, **row._mapping})


def insert_rows(model: type[T], rows: list[dict[str, Any]], *, match: str | None = None) -> list[T]:
    """Insert ``rows`` of ``model`` (each with the same keys) in one statement, ``INSERT
    … VALUES (…), (…) RETURNING`` the primary key and whatever the rows leave to the
    table's defaults (the unit of work would send one statement per row on SQLite,
    and its ``RETURNING`` of entities costs several times the statement in Python),
    and return them as persistent ORM objects (see :func:`adopt`).

    :param match: with several rows, a column whose values tell the rows apart: the
        database returns them in no guaranteed order, so they are matched by it.
    """
    if not rows:
        return []
    if len(rows) > 1 and match is None:
        raise ValueError("several rows need a column to match them by")
    db = session()
    dialect = db.get_bind().dialect.name
    statement = _insert_statement(dialect, cast(Any, model), frozenset(rows[0]), None, match)
    result = db.execute(statement, rows)
    if len(rows) == 1:
        return [adopt(model, {**rows[0], **result.one()._mapping})]
    assert match is not None
    given = {row[match]: row for row in rows}
    return [adopt(model, {**given[got[match]], **got}) for got in result.mappings()]


@cache
def _insert_statement(
    dialect: str, model: type[Any], given: frozenset[str], unique: str | None, match: str | None
) -> Any:
    """``INSERT`` into ``model``'s table ``RETURNING`` its primary key, the ``match``
    column and every column not ``given``; ``ON CONFLICT (unique) DO NOTHING`` with
    ``unique``. Built once per shape: the values come as parameters (building the
    statement anew costs more in Python than running it)."""
    table: Table = model.__table__
    statement: Any
    if unique is None:
        statement = insert(table)
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement = pg_insert(table).on_conflict_do_nothing(index_elements=[unique])
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(table).on_conflict_do_nothing(index_elements=[unique])
    else:
        raise NotImplementedError(f"shopcare supports SQLite and PostgreSQL, not {dialect}")
    returned = [
        column
        for column in table.columns
        if column.primary_key or column.key not in given or column.key == match
    ]
    return statement.returning(*returned)


def adopt(model: type[T], values: Mapping[str, Any]) -> T:
    """A row just written with a Core ``INSERT`` (``values``: every column's value, what
    was sent and what the database returned) as a persistent ORM object of ``model``,
    without a query: what loading the row would give (datetimes in UTC, as
    :class:`UTCDateTime` reads them back). Columns missing from ``values`` load when
    first read."""
    mapper = sa_inspect(model)
    instance = mapper.class_manager.new_instance()
    loaded = instance.__dict__  # set as loaded, not as changes to write
    for attr in mapper.column_attrs:
        if attr.key in values:
            value = values[attr.key]
            loaded[attr.key] = value.astimezone(UTC) if isinstance(value, datetime) else value
    make_transient_to_detached(instance)
    session().add(instance)
    return cast(T, instance)


@cache
def mapped_columns(model: type[Any]) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """``model``'s column attributes: their keys and their columns, in the mapper's
    order (what :func:`persistent` takes, and what a Core ``SELECT`` of them reads)."""
    attrs = sa_inspect(model).column_attrs
    return tuple(attr.key for attr in attrs), tuple(attr.columns[0] for attr in attrs)


def persistent(model: type[T], values: Iterable[Any]) -> T:
    """A row read with a Core ``SELECT`` of :func:`mapped_columns` (``values``, in that
    order, as the column types read them) as the persistent ORM object of ``model``
    that loading it would give, in the session, without the ORM's loading (for the one
    order a page reads on every request, a third of its query's cost).

    When the session holds the row's object already, that object is returned, as a
    query would return it (its state, not ``values``). Otherwise the new object is
    added to the session: changes to it are flushed as usual, ``session.get`` finds it,
    and its relationships load when read, unless set with
    :func:`sqlalchemy.orm.attributes.set_committed_value`. Unlike a query, it fires no
    ``load`` event and runs no ``reconstructor``.
    """
    keys, mapper, primary = _builder(cast(Any, model))
    row = tuple(values)
    identity = mapper.identity_key_from_primary_key(tuple([row[at] for at in primary]))
    db = session()
    held = db.identity_map.get(identity)
    if held is not None:
        return cast(T, held)
    instance = mapper.class_manager.new_instance()
    instance.__dict__.update(zip(keys, row, strict=True))  # loaded state, not changes
    instance_state(instance).key = identity  # the row it is: add() attaches, never INSERTs
    db.add(instance)
    return cast(T, instance)


@cache
def _builder(model: type[Any]) -> tuple[tuple[str, ...], Mapper[Any], tuple[int, ...]]:
    """What :func:`persistent` needs of ``model``: its column keys, its mapper, and where
    its primary key's columns are among the keys."""
    mapper = sa_inspect(model)
    keys = mapped_columns(cast(Any, model))[0]
    primary = tuple(
        keys.index(mapper.get_property_by_column(column).key) for column in mapper.primary_key
    )
    return keys, mapper, primary


def lock_rows(statement: Select[Any]) -> list[Any]:
    """The ORM objects ``statement`` selects, locked against every other writer until
    the caller's transaction ends, and read after the lock was granted (so they show
    what the last writer committed, whatever the session held before).

    PostgreSQL: ``SELECT … FOR UPDATE``. SQLite has one writer at a time: a write
    statement that changes nothing takes its lock first, then the rows are read.
    This is how shopcare serialises concurrent writes to one order: whoever locks it
    second waits, then sees the first one's work. Lock several rows in one statement
    ordered by a key (or one after the other in that order), so that two transactions
    never wait for each other in a circle.
    """
    db = session()
    dialect = db.get_bind().dialect.name
    if dialect == "postgresql":
        statement = statement.with_for_update()
    elif dialect == "sqlite":
        take_sqlite_write_lock(statement.column_descriptions[0]["entity"].__table__.name)
    return list(db.scalars(statement.execution_options(populate_existing=True)).unique())


def take_sqlite_write_lock(table: str) -> None:
    """SQLite: take the database's write lock now (it is held until commit or
    rollback). ``UPDATE … WHERE 0`` changes nothing, but as a write statement it
    starts a write transaction (pysqlite issues ``BEGIN`` before it), waiting up to
    the connection's busy timeout for another writer to finish."""
    session().execute(text(f"UPDATE {table} SET id = id WHERE 0"))  # nosec B608: a table name of shopcare's metadata


#: PostgreSQL's SQLSTATEs for "run the transaction again": serialization_failure and
#: deadlock_detected.
RETRY_SQLSTATES = frozenset({"40001", "40P01"})


def is_retryable(error: BaseException) -> bool:
    """Whether the database refused a transaction because of another one running at
    the same time (a serialisation failure or a deadlock on PostgreSQL, a database
    still locked after the busy timeout on SQLite): running it again is the answer."""
    if not isinstance(error, DBAPIError):
        return False
    original = error.orig
    if getattr(original, "sqlstate", None) in RETRY_SQLSTATES:
        return True
    return type(original).__name__ == "OperationalError" and "database is locked" in str(original)


def retrying(work: Callable[[], T], *, attempts: int = 4) -> T:
    """Run ``work`` — a whole transaction, from its first statement to its commit —
    and, when the database refused it for a concurrent transaction
    (:func:`is_retryable`), roll back and run it again, up to ``attempts`` times.

    shopcare's services flush and never commit, so they cannot retry themselves:
    whoever owns the transaction does. shopcare's own write endpoints (the order API,
    the carrier webhook) run in it; a host can wrap its own transactions the same way.
    """
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except DBAPIError as error:
            if attempt == attempts or not is_retryable(error):
                raise
            session().rollback()
            time.sleep(random.uniform(0.005, 0.02) * 2**attempt)  # nosec B311: back-off jitter
    raise AssertionError("unreachable")  # pragma: no cover


def json_object(values: Mapping[str, Any]) -> Any:
    """A JSON object the database builds row by row (for ``INSERT … SELECT``): SQLite's
    ``json_object``, PostgreSQL's ``jsonb_build_object``.

    :param values: key → a column expression (its value per row), another
        :func:`json_object`, or a Python ``str``/``int``/``float``/``bool``/``None``/
        ``dict``/``list`` (sent as a parameter; dicts and lists as JSON).
    """
    from sqlalchemy import Boolean, ColumnElement, Float, Integer, Text, cast, func, literal

    dialect = session().get_bind().dialect.name
    arguments: list[Any] = []
    for key, value in values.items():
        arguments.append(cast(literal(key), Text) if dialect == "postgresql" else literal(key))
        if isinstance(value, ColumnElement) or hasattr(value, "__clause_element__"):
            arguments.append(value)
        elif isinstance(value, dict | list):
            encoded = json.dumps(value, allow_nan=False)
            arguments.append(
                cast(literal(encoded), JSONB) if dialect == "postgresql" else func.json(encoded)
            )
        elif value is None or isinstance(value, str):
            arguments.append(cast(literal(value, Text), Text))
        elif isinstance(value, bool):
            arguments.append(cast(literal(value, Boolean), Boolean))
        elif isinstance(value, int):
            arguments.append(cast(literal(value, Integer), Integer))
        elif isinstance(value, float):
            arguments.append(cast(literal(value, Float), Float))
        else:
            raise TypeError(f"json_object: {key!r} is not a JSON value ({type(value).__name__})")
    if dialect == "postgresql":
        return func.jsonb_build_object(*arguments, type_=JSONB)
    if dialect == "sqlite":
        return func.json_object(*arguments, type_=JSON)
    raise NotImplementedError(f"shopcare supports SQLite and PostgreSQL, not {dialect}")
