"""shopcare's migrations, run on an empty database, give exactly the models' schema.

``empty_database_url`` comes from ``tests/fixtures_db.py``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import alembic
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from click.testing import Result
from sqlalchemy import Column, Integer, MetaData, Table, inspect, text

import shopcare.models  # noqa: F401
from shopcare.core.db import metadata
from shopcare.core.migrate import (
    VERSION_TABLE,
    host_include_object,
    include_object,
    is_search_object,
)
from shopcare.feedback.fts import TABLE as FTS_TABLE
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


def test_reference_keys_are_filled_for_existing_orders(empty_database_url):
    """Orders recorded before references were matched by key get their key."""
    app, db, _care = make_app(empty_database_url)
    with app.app_context():
        run_cli(app, "upgrade", "7367072666ad-1")  # the revision before reference keys
        with db.engine.begin() as connection:
            for number, reference in enumerate(["SO-1", "#so 2", "Ab-3"], start=1):
                connection.execute(
                    text(
                        "INSERT INTO shopcare_orders (id, reference, email, currency, placed_at,"
                        " created_at, updated_at) VALUES (:id, :ref, 'a@example.com', 'EUR',"
                        " '2026-01-01 00:00:00', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                    ),
                    {"id": number, "ref": reference},
                )
        run_cli(app, "upgrade")
        with db.engine.connect() as connection:
            keys = connection.execute(
                text("SELECT reference, reference_key FROM shopcare_orders ORDER BY id")
            ).all()
        assert [tuple(row) for row in keys] == [
            ("SO-1", "so-1"),
            ("#so 2", "so2"),
            ("Ab-3", "ab-3"),
        ]
        assert app.extensions["shopcare"].care.orders.get("so2").reference == "#so 2"
        db.session.remove()  # its read lock would hold up the DROP TABLE below
        run_cli(app, "downgrade", "base")


# -- beside the host's own migrations ----------------------------------------------------

HOST_ENV_PY = """
from alembic import context

context.configure(
    connection=context.config.attributes["connection"], **context.config.attributes["options"]
)
with context.begin_transaction():
    context.run_migrations()
"""


def host_autogenerate(tmp_path: Path, connection, host_metadata: MetaData, **options) -> str:
    """Run the host's own Alembic autogenerate (as Flask-Migrate's env.py does: the
    ``Migrate(...)`` keyword arguments go to ``context.configure``) and return the
    revision it writes."""
    scripts = tmp_path / "host_migrations"
    (scripts / "versions").mkdir(parents=True)
    (scripts / "env.py").write_text(HOST_ENV_PY)
    shutil.copy(Path(alembic.__file__).parent / "templates/generic/script.py.mako", scripts)
    config = Config()
    config.set_main_option("script_location", str(scripts))
    config.attributes["connection"] = connection
    config.attributes["options"] = {"target_metadata": host_metadata, **options}
    revision = command.revision(config, "host change", autogenerate=True)
    assert not isinstance(revision, list) and revision is not None
    return Path(revision.path).read_text()


@pytest.fixture
def migrated_host(empty_database_url):
    """A host database: shopcare migrated (its tables and version table), the host's
    own table, and the host's metadata (which knows only its own tables)."""
    app, db, _care = make_app(empty_database_url)
    host_metadata = MetaData()
    Table("host_products", host_metadata, Column("id", Integer, primary_key=True))
    with app.app_context():
        run_cli(app, "upgrade")
        host_metadata.create_all(db.engine)
        yield db.engine, host_metadata
        db.engine.dispose()


def test_host_autogenerate_without_the_filter_would_drop_shopcare(migrated_host, tmp_path):
    engine, host_metadata = migrated_host
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), host_metadata)
        dropped = {table.name for kind, table in (d for d in diff if d[0] == "remove_table")}
        # on SQLite, the suggestions' FTS5 table and its shadow tables too
        search = {name for name in dropped if is_search_object(name, "table")}
        assert search == (
            {FTS_TABLE, *(f"{FTS_TABLE}_{part}" for part in ("data", "idx", "docsize", "config"))}
            if engine.dialect.name == "sqlite"
            else set()
        )
        assert dropped - search == {t.name for t in metadata.sorted_tables} | {VERSION_TABLE}
        script = host_autogenerate(tmp_path, connection, host_metadata)
    assert "op.drop_table('shopcare_orders')" in script


def test_host_autogenerate_with_the_filter_leaves_shopcare_alone(migrated_host, tmp_path):
    engine, host_metadata = migrated_host
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": host_include_object}
        )
        assert compare_metadata(context, host_metadata) == []
        script = host_autogenerate(
            tmp_path, connection, host_metadata, include_object=host_include_object
        )
    assert "shopcare" not in script
    assert "op.drop_table" not in script and "op.drop_index" not in script


def test_the_filter_still_sees_the_hosts_own_changes(migrated_host, tmp_path):
    engine, host_metadata = migrated_host
    Table("host_reviews", host_metadata, Column("id", Integer, primary_key=True))
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": host_include_object}
        )
        diff = compare_metadata(context, host_metadata)
    assert [(kind, table.name) for kind, table in diff] == [("add_table", "host_reviews")]


def test_create_all_then_upgrade(empty_database_url):
    app, db, care = make_app(empty_database_url)
    with app.app_context():
        care.create_all()
        db.engine.dispose()
    # as a host runs them: no app context pushed
    assert "upgraded" in run_cli(app, "upgrade").output
    current = run_cli(app, "current").output
    assert "(head)" in current and "not under migration control" not in current
    with app.app_context():
        db.engine.dispose()


def test_current_says_when_not_under_migration_control(empty_database_url):
    app, db, care = make_app(empty_database_url)
    assert "not under migration control" in run_cli(app, "current").output
    assert "db upgrade" in run_cli(app, "current").output
    with app.app_context():
        metadata.create_all(db.engine)  # tables made before create_all stamped them
        db.engine.dispose()
    output = run_cli(app, "current").output
    assert "not under migration control" in output and "db stamp" in output
    # upgrade says the same, instead of Alembic's "table shopcare_orders already exists"
    refused = app.test_cli_runner().invoke(args=["shopcare", "db", "upgrade"])
    assert refused.exit_code == 1, refused.output + repr(refused.exception)
    assert "not under migration control" in refused.output and "db stamp" in refused.output
    assert "already exists" not in refused.output

    assert "stamped" in run_cli(app, "stamp").output
    assert "(head)" in run_cli(app, "current").output
    run_cli(app, "upgrade")  # nothing to do, and no "already exists"
    with app.app_context():
        care.drop_all()
        with db.engine.connect() as connection:
            assert inspect(connection).get_table_names() == []
        db.engine.dispose()


def test_current_counts_what_upgrade_would_apply(empty_database_url):
    app, db, _care = make_app(empty_database_url)
    run_cli(app, "upgrade")
    run_cli(app, "downgrade")
    output = run_cli(app, "current").output
    assert "(head)" not in output and "1 migration(s) to apply" in output
    with app.app_context():
        db.engine.dispose()
