"""``flask shopcare api-key …``: create, list and revoke API keys."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from shopcare.core.api import keys
from shopcare.core.api.scopes import SCOPES
from shopcare.core.db import session
from shopcare.core.errors import NotFound, ValidationError

api_key = AppGroup("api-key", help="API keys for the JSON API (/care/api/v1).")


@api_key.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(sorted(SCOPES)),
    help="A permission of the key; repeat for several. "
    + "; ".join(f"{name}: {text}" for name, text in SCOPES.items()),
)
def create(name: str, scopes: tuple[str, ...]) -> None:
    """Create a key called NAME and print it (the only time it is shown)."""
    try:
        row, key = keys.create(name, scopes)
    except ValidationError as error:
        raise click.UsageError(str(error)) from None
    session().commit()
    click.echo(f"Created API key {row.id} {row.name!r} with scopes: {row.scopes}")
    click.echo("Store it now; it is not kept and cannot be shown again:")
    click.echo(key)


@api_key.command("list")
@click.option("--active", is_flag=True, help="Leave out revoked keys.")
def list_(active: bool) -> None:
    """List the keys (never the keys themselves, only their prefixes)."""
    rows = keys.list_keys(include_revoked=not active)
    if not rows:
        click.echo("No API keys.")
        return
    for row in rows:
        used = row.last_used_at.isoformat(timespec="seconds") if row.last_used_at else "never"
        state = (
            f"revoked {row.revoked_at.isoformat(timespec='seconds')}"
            if row.revoked_at
            else "active"
        )
        click.echo(
            f"{row.id:>4}  {row.prefix}…  {row.name}  [{row.scopes}]  "
            f"created {row.created_at.isoformat(timespec='seconds')}  last used {used}  {state}"
        )


@api_key.command("revoke")
@click.argument("key")
def revoke(key: str) -> None:
    """Revoke the key KEY (its id, or its prefix as `list` shows it)."""
    try:
        row = keys.revoke(key)
    except (NotFound, ValidationError) as error:
        raise click.ClickException(str(error)) from None
    session().commit()
    click.echo(f"Revoked API key {row.id} {row.prefix}… {row.name!r}")
