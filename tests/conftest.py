"""Fixtures: ``app``, ``db``, ``care``, ``client``; the database is SQLite unless
``SHOPCARE_TEST_DATABASE_URL`` names another (the Makefile's PostgreSQL run)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text

import shopcare.models  # noqa: F401
from shopcare.core.db import metadata
from tests.host import make_app

pytest_plugins = [
    "tests.fixtures_api",
    "tests.fixtures_browser",
    "tests.fixtures_db",
    "tests.fixtures_gunicorn",
    "tests.fixtures_signals",
    "tests.fixtures_smtp",
    "tests.fixtures_sweep",
]


def pytest_report_header(config: pytest.Config) -> str:
    return f"shopcare database: {os.environ.get('SHOPCARE_TEST_DATABASE_URL') or 'SQLite (temporary file)'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("SHOPCARE_TEST_DATABASE_URL")
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'shopcare.sqlite'}"
    engine = create_engine(url)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    engine.dispose()
    yield url


@pytest.fixture
def is_postgres(database_url: str) -> bool:
    return database_url.startswith("postgresql")


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Override in a test module to give the app extra config."""
    return {}


@pytest.fixture
def app(database_url: str, app_config: dict[str, Any]) -> Iterator[Flask]:
    app, db, _care = make_app(database_url, **app_config)
    with app.app_context():
        yield app
        db.session.rollback()
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(metadata.sorted_tables):
                if table.info.get("append_only") and connection.dialect.name == "postgresql":
                    # Its trigger refuses DELETE; TRUNCATE is not a row change.
                    connection.execute(text(f"TRUNCATE {table.name}"))
                else:
                    connection.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def db(app: Flask) -> Any:
    return app.extensions["shopcare"].db


@pytest.fixture
def care(app: Flask) -> Any:
    return app.extensions["shopcare"].care


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def login(client: FlaskClient, name: str) -> FlaskClient:
    """Log ``client`` in as one of tests.host.USERS (ann, bob: shoppers; sam: staff)."""
    assert client.post(f"/login/{name}").status_code == 200
    return client


@pytest.fixture
def count_queries(db: Any) -> Any:
    """``with count_queries() as statements: ...`` then ``len(statements)``."""
    from contextlib import contextmanager

    @contextmanager
    def counter() -> Iterator[list[str]]:
        statements: list[str] = []

        def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return counter


def sample_lines() -> list[dict[str, Any]]:
    return [
        {
            "sku": "MUG-1",
            "name": "Blue mug",
            "quantity": 2,
            "unit_price": "12.50",
            "category": "kitchen",
        },
        {"sku": "TEA-9", "name": "Green tea", "quantity": 1, "unit_price": "4.90"},
    ]


def now() -> datetime:
    return datetime.now(UTC)


ROOT = Path(__file__).resolve().parent.parent
