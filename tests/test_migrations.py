"""shopcare's migrations, run on an empty database, give exactly the models' schema.

``empty_database_url`` comes from ``tests/fixtures_db.py``.
"""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import Result
from sqlalchemy import inspect, text

import shopcare.models  # noqa: F401
from shopcare.core.db import metadata
from shopcare.core.migrate import include_object
from tests.host import make_app


def run_cli(app, *args: str) -> Result:
    result = app.test_cli_runner().invoke(args=["shopcare", "db", *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def test_upgrade_on_empty_database_equals_the_models(empty_database_url):
    app, db, _care = make_app(empty_database_url)
    # A host table of its own must be left alone by shopcare's migrations.
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("CREATE TABLE host_products (id INTEGER PRIMARY KEY)"))
        run_cli(app, "upgrade")
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"include_object": include_object, "compare_type": True}
            )
            assert compare_metadata(context, metadata) == []
            tables = set(inspect(connection).get_table_names())
        assert "shopcare_alembic_version" in tables
        assert "alembic_version" not in tables  # the host's own version table stays free
        assert {t.name for t in metadata.sorted_tables} <= tables

        run_cli(app, "downgrade", "base")
        with db.engine.connect() as connection:
            left = set(inspect(connection).get_table_names())
        assert left <= {"host_products", "shopcare_alembic_version"}
        assert "host_products" in left
        db.engine.dispose()


def test_every_table_is_prefixed():
    assert all(table.name.startswith("shopcare_") for table in metadata.sorted_tables)


def test_migrated_postgresql_event_log_refuses_updates(empty_database_url):
    if not empty_database_url.startswith("postgresql"):
        pytest.skip("the append-only trigger is PostgreSQL's")
    app, db, _care = make_app(empty_database_url)
    with app.app_context():
        run_cli(app, "upgrade")
        from shopcare.core.events import record_event

        record_event("order", 1, "order.recorded")
        db.session.commit()
        with pytest.raises(Exception, match="append-only"), db.engine.begin() as connection:
            connection.execute(text("UPDATE shopcare_events SET action = 'x'"))
        db.engine.dispose()
