"""Alembic environment for shopcare's own migration branch.

Runs only on a connection handed in by :mod:`shopcare.core.migrate` (the host's engine),
records its revision in ``shopcare_alembic_version`` and looks only at ``shopcare_``
tables, so it never touches the host's schema or the host's own Alembic history.
"""

from __future__ import annotations

from alembic import context

import shopcare.models  # noqa: F401  (registers every table on the metadata)
from shopcare.core.db import metadata
from shopcare.core.migrate import VERSION_TABLE, include_object


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run shopcare's migrations with `flask shopcare db upgrade`")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        include_object=include_object,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("shopcare's migrations run online only")
run_migrations_online()
