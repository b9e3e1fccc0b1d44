"""``flask shopcare privacy export EMAIL`` and ``flask shopcare privacy erase EMAIL``."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from shopcare.core import privacy
from shopcare.core.db import session
from shopcare.core.errors import ValidationError


@click.group("privacy", cls=AppGroup)
def privacy_group() -> None:
    """A person's data: export it (GDPR art. 15 and 20) or erase it (art. 17)."""


@privacy_group.command("export")
@click.argument("email")
@click.option(
    "--output",
    "-o",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="Write the JSON document here (default: standard output).",
)
def export_command(email: str, output: click.utils.LazyFile) -> None:
    """Write everything shopcare holds about EMAIL as one JSON document."""
    try:
        document = privacy.export(email)
    except ValidationError as error:
        raise click.BadParameter(next(iter(error.fields.values())), param_hint="EMAIL") from None
    json.dump(document, output, ensure_ascii=False, indent=2, sort_keys=False)
    output.write("\n")


@privacy_group.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase_command(email: str, yes: bool) -> None:
    """Anonymise everything about EMAIL in every domain, keeping the figures.

    Running it again is harmless: when nothing is held about EMAIL it says so and
    changes nothing (exit status 0 either way; 2 for an address that is not one).
    """
    if not yes:
        click.confirm(
            f"Erase everything shopcare holds about {email}? This cannot be undone", abort=True
        )
    try:
        result = privacy.erase(email)
    except ValidationError as error:
        raise click.BadParameter(next(iter(error.fields.values())), param_hint="EMAIL") from None
    if not result.found:
        session().rollback()
        click.echo(f"Nothing is held about {email}.")
        return
    session().commit()
    summary = ", ".join(f"{key} {value}" for key, value in result.counts.items() if value)
    click.echo(f"Erased: {summary}. The address is now {result.alias}.")
