"""The ``flask shopcare`` command group, made per app from the commands its features
declared (``state.add_command``), and the core's ``flask shopcare db …`` commands.

Every command runs in an app context of its own (``AppGroup`` commands get one, and
plain ``click`` commands carry ``@with_appcontext``), as under the real ``flask``
command: none needs an outer app context.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext

from shopcare.core import migrate
from shopcare.core.state import State, get_state


def make_group(state: State) -> AppGroup:
    """``flask shopcare`` for one app, with the commands its features declared."""
    group = AppGroup("shopcare", help="shopcare: customer care for this shop.")
    for command in state.commands:
        known = group.commands.get(command.name or "")
        if isinstance(known, click.Group) and isinstance(command, click.Group):
            # Two features add to one group (``flask shopcare mail test`` from the core,
            # ``mail receive`` from the suggestion box): a new group with both's
            # commands, so that neither declared group is changed.
            merged = AppGroup(known.name, help=known.help)
            for child in (*known.commands.values(), *command.commands.values()):
                merged.add_command(child)
            command = merged
        group.add_command(command)
    return group


@click.command("check")
@with_appcontext
@click.option("--strict", is_flag=True, help="Exit non-zero for warnings too.")
def check(strict: bool) -> None:
    """Report what is wrong or missing in shopcare's setup, with how to fix each.

    Exits with status 1 when something is wrong (with --strict: also for warnings).
    """
    from shopcare.core.check import run_checks

    findings = run_checks()
    errors = [f for f in findings if f.level == "error"]
    warnings = [f for f in findings if f.level == "warning"]
    if not findings:
        click.echo("shopcare check: everything is in order")
        return
    click.echo(f"shopcare check: {len(errors)} problem(s), {len(warnings)} warning(s)")
    for finding in [*errors, *warnings]:
        click.echo(f"\n{finding.level.upper()}  {finding.topic}: {finding.problem}")
        click.echo(f"  fix: {finding.fix}")
    if errors or (strict and warnings):
        click.get_current_context().exit(1)


@click.group("db", cls=AppGroup)
def db_group() -> None:
    """shopcare's own migrations (its own Alembic branch and version table)."""


@db_group.command("upgrade")
@click.argument("revision", default="heads")
def db_upgrade(revision: str) -> None:
    """Upgrade shopcare's tables to REVISION (default: the newest)."""
    state = migrate.state()
    if not state.controlled and state.has_tables:
        # Alembic would start from the first revision and fail on "table already exists".
        click.echo(
            "shopcare: the tables exist but are not under migration control (no revision in "
            f"{migrate.VERSION_TABLE}); if they match this version of shopcare, run "
            "`flask shopcare db stamp`, then `flask shopcare db upgrade`",
            err=True,
        )
        click.get_current_context().exit(1)
    migrate.upgrade(revision)
    click.echo(f"shopcare tables upgraded to {revision}")


@db_group.command("downgrade")
@click.argument("revision", default="-1")
def db_downgrade(revision: str) -> None:
    """Downgrade shopcare's tables to REVISION (default: one step; 'base' drops them)."""
    migrate.downgrade(revision)
    click.echo(f"shopcare tables downgraded to {revision}")


@db_group.command("stamp")
@click.argument("revision", default="heads")
def db_stamp(revision: str) -> None:
    """Record REVISION (default: the newest) as applied, without running migrations.

    For tables made by `create-all` (or by hand) before it stamped them itself.
    """
    migrate.stamp(revision)
    click.echo(f"shopcare tables stamped at {revision}")


@db_group.command("current")
def db_current() -> None:
    """Show the revision shopcare's tables are at."""
    state = migrate.state()
    if not state.controlled:
        if state.has_tables:
            click.echo(
                "shopcare: not under migration control (no revision in "
                f"{migrate.VERSION_TABLE}); if the tables match this version of shopcare, "
                "run `flask shopcare db stamp`"
            )
        else:
            click.echo(
                "shopcare: not under migration control (no shopcare tables yet); "
                "run `flask shopcare db upgrade`"
            )
        return
    for revision in state.current:
        click.echo(f"{revision} (head)" if revision in state.heads else revision)
    if not state.up_to_date:
        click.echo(f"{len(state.pending)} migration(s) to apply: flask shopcare db upgrade")


@db_group.command("history")
def db_history() -> None:
    """List shopcare's migrations."""
    migrate.history()


@db_group.command("create-all")
def db_create_all() -> None:
    """Create shopcare's tables directly from the models and stamp them at the newest
    revision (demos and tests only)."""
    get_state().care.create_all()
    click.echo("shopcare tables created (stamped at the newest revision)")
