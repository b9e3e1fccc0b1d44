"""API keys through ``flask shopcare api-key …``: shown once, stored hashed, revocable."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, select, text

from shopcare import NotFound, ValidationError
from shopcare.core.api import keys
from shopcare.core.api.models import ApiKey
from shopcare.core.db import metadata
from tests.fixtures_api import API, bearer
from tests.test_api_errors import assert_error, order_body

KEY = re.compile(r"^sck_[A-Za-z0-9_-]{43}$", re.MULTILINE)


def cli(app: Flask, *args: str) -> Any:
    result = app.test_cli_runner().invoke(args=["shopcare", "api-key", *args])
    return result


def everything_in_the_database(db: Any) -> str:
    """Every value of every shopcare table, as text."""
    db.session.expire_all()
    dump = []
    with db.engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                dump.extend(str(value) for value in row)
    return "\n".join(dump)


def test_create_prints_the_key_once_and_stores_only_its_hash(app: Flask, db: Any) -> None:
    result = cli(
        app, "create", "Back office", "--scope", "orders:write", "--scope", "tracking:write"
    )
    assert result.exit_code == 0, result.output
    [key] = KEY.findall(result.output)
    assert "orders:write tracking:write" in result.output

    row = db.session.scalars(select(ApiKey)).one()
    assert row.name == "Back office"
    assert row.scope_set == {"orders:write", "tracking:write"}
    assert row.prefix == key[:12]
    assert row.secret_hash == keys.hash_key(key) and len(row.secret_hash) == 64
    dump = everything_in_the_database(db)
    assert key not in dump
    assert key[12:20] not in dump  # not even the secret part in pieces

    listing = cli(app, "list")
    assert listing.exit_code == 0
    assert row.prefix in listing.output and "Back office" in listing.output
    assert "never" in listing.output and "active" in listing.output
    assert key not in listing.output
    assert not KEY.findall(listing.output)


def test_each_key_is_different_and_unknown_scopes_are_refused(app: Flask) -> None:
    first, second = (
        cli(app, "create", "a", "--scope", "orders:read"),
        cli(app, "create", "b", "--scope", "orders:read"),
    )
    assert KEY.findall(first.output) != KEY.findall(second.output)
    refused = cli(app, "create", "c", "--scope", "everything")
    assert refused.exit_code != 0
    assert "everything" in refused.output
    assert cli(app, "create", "d").exit_code != 0  # at least one scope


def test_revoke_by_id_or_prefix(app: Flask, client: FlaskClient, db: Any) -> None:
    first = KEY.findall(cli(app, "create", "first", "--scope", "orders:write").output)[0]
    second = KEY.findall(cli(app, "create", "second", "--scope", "orders:write").output)[0]
    assert client.post(f"{API}/orders", json=order_body(), headers=bearer(first)).status_code == 201

    result = cli(app, "revoke", first[:12])
    assert result.exit_code == 0, result.output
    assert "first" in result.output
    assert_error(
        client.post(f"{API}/orders", json=order_body(), headers=bearer(first)),
        401,
        "invalid_api_key",
    )
    assert (
        client.post(f"{API}/orders", json=order_body(), headers=bearer(second)).status_code == 200
    )

    second_id = db.session.scalars(select(ApiKey.id).where(ApiKey.name == "second")).one()
    assert cli(app, "revoke", str(second_id)).exit_code == 0
    assert_error(
        client.post(f"{API}/orders", json=order_body(), headers=bearer(second)),
        401,
        "invalid_api_key",
    )

    listing = cli(app, "list").output
    assert listing.count("revoked") == 2
    assert "No API keys." in cli(app, "list", "--active").output
    unknown = cli(app, "revoke", "sck_nothere")
    assert unknown.exit_code != 0 and "no API key" in unknown.output


def test_last_used_at_is_recorded(app: Flask, client: FlaskClient, db: Any) -> None:
    key = KEY.findall(cli(app, "create", "shop", "--scope", "orders:write").output)[0]
    assert "never" in cli(app, "list").output
    client.post(f"{API}/orders", json=order_body(), headers=bearer(key))
    row = db.session.scalars(select(ApiKey)).one()
    db.session.refresh(row)
    assert row.last_used_at is not None
    assert "never" not in cli(app, "list").output


def test_the_service(app: Flask, db: Any) -> None:
    row, key = keys.create("  tools  ", ["orders:read", "orders:read"])
    assert row.name == "tools" and row.scopes == "orders:read"
    assert keys.authenticate(key) is row
    assert keys.authenticate(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert keys.authenticate("sck_" + "x" * 500) is None
    assert keys.authenticate("") is None
    assert keys.find(key[:12]) is row and keys.find(key) is row and keys.find(row.id) is row
    with pytest.raises(NotFound):
        keys.find("sck_")
    with pytest.raises(ValidationError) as error:
        keys.create("x", ["orders:delete"])
    assert error.value.field == "scopes"
    with pytest.raises(ValidationError):
        keys.create(" ", ["orders:read"])
    revoked = keys.revoke(key[:12])
    when = revoked.revoked_at
    assert keys.revoke(row.id).revoked_at == when  # revoking twice keeps the first time
    assert keys.authenticate(key) is None
    assert keys.list_keys(include_revoked=False) == []


def test_the_prefix_is_indexed(db: Any) -> None:
    indexes = inspect(db.engine).get_indexes("shopcare_api_keys")
    assert any(index["column_names"] == ["prefix"] for index in indexes)


def test_a_like_wildcard_in_a_prefix_matches_nothing(app: Flask, db: Any) -> None:
    keys.create("a", ["orders:read"])
    with pytest.raises(NotFound):
        keys.find("sck_%%%%%%%%")
    assert db.session.execute(text("select count(*) from shopcare_api_keys")).scalar() == 1
