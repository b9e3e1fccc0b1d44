"""The ``flask shopcare`` command group."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from shopcare.core import migrate
from shopcare.core.api.cli import api_key
from shopcare.core.outbox import cli as outbox_cli

group = AppGroup("shopcare", help="shopcare: customer care for this shop.")
group.add_command(api_key)
outbox_cli.register(group)


@group.group("db")
def db_group() -> None:
    """shopcare's own migrations (its own Alembic branch and version table)."""


@db_group.command("upgrade")
@click.argument("revision", default="heads")
def db_upgrade(revision: str) -> None:
    """Upgrade shopcare's tables to REVISION (default: the newest)."""
    migrate.upgrade(revision)
    click.echo(f"shopcare tables upgraded to {revision}")


@db_group.command("downgrade")
@click.argument("revision", default="-1")
def db_downgrade(revision: str) -> None:
    """Downgrade shopcare's tables to REVISION (default: one step; 'base' drops them)."""
    migrate.downgrade(revision)
    click.echo(f"shopcare tables downgraded to {revision}")


@db_group.command("current")
def db_current() -> None:
    """Show the revision shopcare's tables are at."""
    migrate.current()


@db_group.command("history")
def db_history() -> None:
    """List shopcare's migrations."""
    migrate.history()


@db_group.command("create-all")
def db_create_all() -> None:
    """Create shopcare's tables directly from the models (demos and tests only)."""
    current_app.extensions["shopcare"].care.create_all()
    click.echo("shopcare tables created")
