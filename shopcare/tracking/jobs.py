"""The late check, run by the workers (the periodic task ``tracking.flag_late``) and by
hand (``flask shopcare tracking flag-late``); ``shopcare.tracking.wiring`` declares both."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from shopcare.core.db import session
from shopcare.tracking.services import current_tracker

#: How often the workers look for newly late shipments.
LATE_CHECK_EVERY = timedelta(minutes=15)


def flag_late() -> None:
    """Send ``shipment-late`` for shipments that became late (the worker commits)."""
    current_tracker().flag_late()


tracking_group = AppGroup("tracking", help="Order tracking.")


@tracking_group.command("flag-late")
def flag_late_command() -> None:
    """Send shipment-late for every shipment that became late since the last check."""
    flagged = current_tracker().flag_late()
    session().commit()
    click.echo(f"{len(flagged)} shipment(s) newly late")
    for shipment in flagged:
        click.echo(f"  {shipment.order.reference}  {shipment.carrier_name}  {shipment.status}")
