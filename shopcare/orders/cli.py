"""``flask shopcare orders import FILE``: back-fill the orders a shop had before shopcare."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from shopcare.core import signals
from shopcare.core.db import session
from shopcare.core.errors import ValidationError
from shopcare.orders.backfill import FORMATS, Order, Refused, detect_format, read

orders_group = AppGroup("orders", help="The shop's orders in shopcare.")


@orders_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "file_format",
    type=click.Choice(FORMATS),
    default=None,
    help="jsonl (one order per line) or csv (one order line per row); default: by extension.",
)
@click.option(
    "--batch",
    type=click.IntRange(min=1),
    default=200,
    show_default=True,
    help="Orders committed at a time.",
)
def import_orders(file: Path, file_format: str | None, batch: int) -> None:
    """Record the orders in FILE (JSON lines or CSV) through care.orders.record.

    Idempotent: an order already recorded is updated, never duplicated, so a file can
    be imported again after fixing the rows it refused. Exits with status 1 when any
    row was refused.
    """
    try:
        chosen = detect_format(file, file_format)
        with file.open(encoding="utf-8-sig", newline="") as stream:
            items = read(stream, chosen)
    except (ValueError, UnicodeDecodeError) as error:
        raise click.UsageError(f"{file.name}: {error}") from None

    orders = current_app.extensions["shopcare"].care.orders
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    refused = [item for item in items if isinstance(item, Refused)]
    todo = [item for item in items if isinstance(item, Order)]
    outcome = {"new": 0, "known": 0}

    def count(sender: Any, *, created: bool, **kwargs: Any) -> None:
        outcome["new" if created else "known"] += 1

    done = 0
    with (
        signals.order_recorded.connected_to(count, app),
        click.progressbar(todo, label=f"Recording {len(todo)} orders", show_pos=True) as bar,
    ):
        for order in bar:
            try:
                orders.record(**_arguments(order))
            except ValidationError as error:  # checked before anything is written
                for name, message in error.fields.items():
                    line, where = order.line_of(name)
                    refused.append(Refused(line, where, message))
                continue
            except Exception as error:
                session().rollback()
                raise click.ClickException(
                    f"line {order.line}: {type(error).__name__}: {error}. {done} orders "
                    "were committed before it; the import is idempotent, so run it again "
                    "once the cause is fixed"
                ) from None
            pending = outcome["new"] + outcome["known"] - done
            if pending >= batch:
                session().commit()
                done += pending
        session().commit()

    click.echo(
        f"{outcome['new'] + outcome['known']} orders recorded from {file.name}: "
        f"{outcome['new']} new, {outcome['known']} already known (updated if they changed)"
    )
    if refused:
        refused.sort(key=lambda item: item.line)
        click.echo(f"{len(refused)} row(s) refused:")
        for item in refused:
            click.echo(f"  line {item.line}: {item.field}: {item.message}")
        click.get_current_context().exit(1)


def _arguments(order: Order) -> dict[str, Any]:
    arguments = dict(order.arguments)
    return {
        "reference": arguments.pop("reference", None),
        "email": arguments.pop("email", None),
        "placed_at": arguments.pop("placed_at", None),
        "lines": arguments.pop("lines", None),
        **arguments,
    }
