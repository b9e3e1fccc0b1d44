"""Run shopcare's Alembic migrations (its own branch and version table) on the host's engine,
and keep the host's own migrations away from shopcare's tables (:func:`host_include_object`)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import inspect, text

MIGRATIONS = Path(__file__).parent.parent / "migrations"
VERSION_TABLE = "shopcare_alembic_version"


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic filter: only shopcare's own tables (and their indexes) are shopcare's business,
    less the full-text search objects kept outside the metadata (:func:`is_search_object`)."""
    if is_search_object(name, type_):
        return False
    if type_ == "table":
        return bool(name and name.startswith("shopcare_") and name != VERSION_TABLE)
    table = getattr(obj, "table", None)
    if table is not None:
        return bool(table.name.startswith("shopcare_"))
    return True


def is_search_object(name: str | None, type_: str) -> bool:
    """Whether an object is a full-text search object a domain makes beside its tables by
    DDL (in its migration and on ``create_all``), not in the metadata: SQLite FTS5 tables
    named ``shopcare_fts_*`` (with their shadow tables ``shopcare_fts_*_data``, …),
    PostgreSQL ``tsvector`` columns named ``fts_*`` and their indexes ``ix_*_fts_*``.
    (``shopcare.feedback.fts`` follows this naming.)"""
    if not name:
        return False
    if type_ == "table":
        return name.startswith("shopcare_fts_")
    if type_ == "column":
        return name.startswith("fts_")
    if type_ == "index":
        return "_fts_" in name
    return False


def is_shopcare_table(name: str | None) -> bool:
    """Whether a table is shopcare's: ``shopcare_*``, its version table included."""
    return bool(name and name.startswith("shopcare_"))


def host_include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic filter for the *host's* migrations: leave shopcare's tables alone.

    Pass it to Flask-Migrate, ``Migrate(app, db, include_object=host_include_object)``,
    or to ``context.configure(..., include_object=host_include_object)`` in your Alembic
    ``env.py``, so that autogenerate never proposes to drop (or alter) ``shopcare_*``
    tables, their indexes or shopcare's version table: shopcare migrates them itself
    (``flask shopcare db upgrade``).
    """
    if type_ == "table":
        return not is_shopcare_table(name)
    table = getattr(obj, "table", None)
    return not (table is not None and is_shopcare_table(table.name))


def alembic_config(connection: Any | None = None) -> Config:
    """An Alembic config pointing at the migrations shipped in the package."""
    # Print where the command's output goes now (click's runner, a captured stream);
    # Alembic's default is the stdout of the moment it was imported.
    config = Config(stdout=sys.stdout)
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("version_table", VERSION_TABLE)
    config.attributes["connection"] = connection
    return config


def _run(action: str, *args: Any) -> None:
    engine = current_app.extensions["shopcare"].db.engine
    with engine.begin() as connection:
        getattr(command, action)(alembic_config(connection), *args)


def upgrade(revision: str = "heads") -> None:
    """Upgrade shopcare's tables to ``revision`` (default: the newest)."""
    _run("upgrade", revision)


def downgrade(revision: str = "-1") -> None:
    """Downgrade shopcare's tables to ``revision`` (``base`` removes them all)."""
    _run("downgrade", revision)


def stamp(revision: str = "heads") -> None:
    """Record that the database is at ``revision`` without running any migration
    (tables made by :meth:`ShopCare.create_all`, or by hand)."""
    _run("stamp", revision)


def stamp_unversioned(connection: Any) -> bool:
    """Stamp the newest revision on ``connection`` unless a revision is recorded
    already; returns whether it stamped. ``create_all`` calls it: the tables it makes
    are the models', which are the newest revision's."""
    if _current(connection):
        return False
    command.stamp(alembic_config(connection), "heads")
    return True


@dataclass(frozen=True)
class MigrationState:
    """Where the database is: the revisions recorded in ``shopcare_alembic_version``
    (empty when not under migration control), the newest revisions shipped, and
    whether any shopcare table exists."""

    current: tuple[str, ...]
    heads: tuple[str, ...]
    has_tables: bool

    @property
    def controlled(self) -> bool:
        return bool(self.current)

    @property
    def up_to_date(self) -> bool:
        return set(self.current) == set(self.heads)

    @property
    def pending(self) -> list[str]:
        """The revisions ``upgrade`` would apply, oldest first."""
        script = ScriptDirectory.from_config(alembic_config())
        applied = (
            {r.revision for r in script.iterate_revisions(self.current, "base")}
            if self.current
            else set()
        )
        todo = [
            r.revision
            for r in script.iterate_revisions("heads", "base")
            if r.revision not in applied
        ]
        return list(reversed(todo))


def _current(connection: Any) -> tuple[str, ...]:
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return tuple(context.get_current_heads())


def state() -> MigrationState:
    """The :class:`MigrationState` of the current app's database."""
    engine = current_app.extensions["shopcare"].db.engine
    heads = tuple(ScriptDirectory.from_config(alembic_config()).get_heads())
    with engine.connect() as connection:
        tables = inspect(connection).get_table_names()
        return MigrationState(
            current=_current(connection),
            heads=heads,
            has_tables=any(is_shopcare_table(t) and t != VERSION_TABLE for t in tables),
        )


def drop_version_table(connection: Any) -> None:
    """Forget the recorded revision (``drop_all`` removes the tables it describes)."""
    connection.execute(text(f"DROP TABLE IF EXISTS {VERSION_TABLE}"))


def history() -> None:
    """Print the list of shopcare's migrations."""
    engine = current_app.extensions["shopcare"].db.engine
    with engine.connect() as connection:
        command.history(alembic_config(connection))


def revision(message: str) -> None:
    """Write a new migration by comparing the models with the database (for shopcare's developers)."""
    _run("revision", message, True)
