"""Run shopcare's Alembic migrations (its own branch and version table) on the host's engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from flask import current_app

MIGRATIONS = Path(__file__).parent.parent / "migrations"
VERSION_TABLE = "shopcare_alembic_version"


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic filter: only shopcare's own tables (and their indexes) are shopcare's business."""
    if type_ == "table":
        return bool(name and name.startswith("shopcare_") and name != VERSION_TABLE)
    table = getattr(obj, "table", None)
    if table is not None:
        return bool(table.name.startswith("shopcare_"))
    return True


def alembic_config(connection: Any | None = None) -> Config:
    """An Alembic config pointing at the migrations shipped in the package."""
    config = Config()
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


def current() -> None:
    """Print the revision the database is at."""
    _run("current")


def history() -> None:
    """Print the list of shopcare's migrations."""
    engine = current_app.extensions["shopcare"].db.engine
    with engine.connect() as connection:
        command.history(alembic_config(connection))


def revision(message: str) -> None:
    """Write a new migration by comparing the models with the database (for shopcare's developers)."""
    _run("revision", message, True)
