"""``flask shopcare mail receive`` (one e-mail from standard input onto its ticket) and
``flask shopcare feedback sla`` (flag the SLA breaches now; the worker does it every
minute)."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup, with_appcontext

from shopcare.core.db import session


@click.group("mail", cls=AppGroup)
def mail_group() -> None:
    """E-mail in and out."""


@mail_group.command("receive")
@with_appcontext
def mail_receive() -> None:
    """Read one RFC 5322 message from standard input (as an MTA pipes it) and put it
    on its ticket, or open one. Exit status: 0 done (or an automatic mail ignored),
    65 not a message shopcare can read, 67 a forged reply address (refused)."""
    from shopcare.feedback.mail_in import receive

    raw = sys.stdin.buffer.read(25 * 1024 * 1024)
    result = receive(raw)
    if result.status == 0:
        session().commit()
        click.echo(f"{result.outcome}: {result.detail}")
    else:
        session().rollback()
        click.echo(f"refused: {result.detail}", err=True)
    sys.exit(result.status)


@click.group("feedback", cls=AppGroup)
def feedback_group() -> None:
    """The suggestion box."""


@feedback_group.command("sla")
@with_appcontext
def sla_command() -> None:
    """Flag the tickets whose SLA target passed unmet (once per ticket and target)."""
    count = sweep()
    click.echo(f"{count} breach(es) flagged")


def sweep() -> int:
    """The periodic task: flag SLA breaches and commit."""
    from shopcare.feedback.services import current_desk

    count = current_desk().sweep_sla()
    session().commit()
    return count


def sweep_task() -> None:
    sweep()
