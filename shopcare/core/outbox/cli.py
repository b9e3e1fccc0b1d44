"""``flask shopcare work``, ``flask shopcare outbox …`` and ``flask shopcare mail test``
(added to the app by ``shopcare.core.wiring``; each runs in an app context of its own)."""

from __future__ import annotations

import logging
import os
import signal
import threading
from types import FrameType

import click
from flask.cli import AppGroup, with_appcontext

from shopcare.core.db import session
from shopcare.core.errors import NotFound, TransitionError
from shopcare.core.outbox.models import FAILED, STATUSES

#: How a retry from the command line is signed in the event log.
CLI_ACTOR_LABEL = "flask shopcare outbox retry"

#: What ``work --forever`` prints (on stderr) once it works: a supervisor or test may wait for it.
READY_LINE = "shopcare worker: working"


@click.command("work")
@click.option("--forever", is_flag=True, help="Keep working until SIGTERM / Ctrl-C.")
@click.option(
    "--pause",
    type=click.FloatRange(min=0),
    default=5.0,
    show_default=True,
    help="Seconds to wait between passes with --forever.",
)
@click.option("--batch", type=click.IntRange(min=1), default=None, help="Items claimed at a time.")
@with_appcontext
def work_command(forever: bool, pause: float, batch: int | None) -> None:
    """Send queued e-mails and run due jobs and periodic tasks (one pass, or --forever)."""
    from shopcare.core.outbox.worker import work

    stop = threading.Event()
    if forever:
        # First, so that a SIGTERM during the start-up checks still stops cleanly.

        def request_stop(signum: int, frame: FrameType | None) -> None:
            click.echo("shopcare worker: stopping after the current item", err=True)
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    from shopcare.core.check import log_findings, run_checks

    log_findings(run_checks())  # a missing mail setting shows now, not as retries later
    if forever:
        click.echo(f"{READY_LINE} (pid {os.getpid()}); SIGTERM or Ctrl-C stops it", err=True)
    report = work(forever=forever, pause=pause, batch_size=batch, stop=stop)
    click.echo(f"shopcare worker: {report}")


@click.group("outbox", cls=AppGroup)
def outbox_group() -> None:
    """Look at and retry the outbox (queued e-mails and jobs)."""


@outbox_group.command("list")
@click.option("--failed", is_flag=True, help="Only the items that failed for good.")
@click.option("--status", type=click.Choice(STATUSES), default=None, help="Only this status.")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@with_appcontext
def outbox_list(failed: bool, status: str | None, limit: int) -> None:
    """List outbox items, newest first."""
    from shopcare.core.outbox.services import list_items

    items = list_items(FAILED if failed else status, limit=limit)
    if not items:
        click.echo("no outbox items")
        return
    for item in items:
        click.echo(
            f"{item.id:>8}  {item.status:<8} attempts={item.attempts:<3} "
            f"due={item.due_at:%Y-%m-%d %H:%M:%S}Z  {item.summary}"
        )
        if item.status == FAILED and item.last_error:
            click.echo(f"          last error: {item.last_error.strip().splitlines()[-1]}")


@outbox_group.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all-failed", is_flag=True, help="Retry every failed item.")
@with_appcontext
def outbox_retry(ids: tuple[int, ...], all_failed: bool) -> None:
    """Give failed items (by ID, or --all-failed) a fresh set of attempts, due now."""
    from shopcare.core.events import Actor
    from shopcare.core.outbox.services import retry, retry_failed

    if bool(ids) == all_failed:
        raise click.UsageError("give item IDs or --all-failed (not both)")
    actor = Actor.system(CLI_ACTOR_LABEL)
    if all_failed:
        count = retry_failed(actor=actor)
    else:
        try:
            for item_id in ids:
                retry(item_id, actor=actor)
        except (NotFound, TransitionError) as error:
            session().rollback()
            raise click.ClickException(str(error)) from None
        count = len(ids)
    session().commit()
    click.echo(f"{count} item(s) queued again")


@click.group("mail", cls=AppGroup)
def mail_group() -> None:
    """E-mail settings checks."""


@mail_group.command("test")
@click.argument("address")
@click.option("--locale", default=None, help="Language of the message (default: the shop's).")
@with_appcontext
def mail_test(address: str, locale: str | None) -> None:
    """Send a test e-mail to ADDRESS right away, with the app's MAIL_* settings."""
    from shopcare.core.outbox.mail import send_now
    from shopcare.core.outbox.services import resolve_locale

    try:
        message = send_now(address, "test", {"address": address}, resolve_locale(locale))
    except Exception as error:
        raise click.ClickException(f"could not send: {type(error).__name__}: {error}") from None
    click.echo(f"sent {message.subject!r} to {address}")
