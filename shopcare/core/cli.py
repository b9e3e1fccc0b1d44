"""The ``flask shopcare`` command group, made per app from the commands its features
declared (``state.add_command``), and the core's ``flask shopcare db …`` commands.

Every command runs in an app context of its own (``AppGroup`` commands get one, and
plain ``click`` commands carry ``@with_appcontext``), as under the real ``flask``
command: none needs an outer app context.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from shopcare.core import migrate
from shopcare.core.state import State, get_state


def make_group(state: State) -> AppGroup:
    """``flask shopcare`` for one app, with the commands its features declared."""
    group = AppGroup("shopcare", help="shopcare: customer care for this shop.")
    for command in state.commands:
        group.add_command(command)
    return group


@click.group("db", cls=AppGroup)
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
    get_state().care.create_all()
    click.echo("shopcare tables created")
