"""The OpenAPI document, and schemathesis against the live app: every documented
endpoint, no 5xx, every response as documented."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from shopcare.core.api.openapi import declared_operation
from shopcare.core.api.scopes import SCOPES
from tests.fixtures_api import API


@pytest.fixture
def app_config() -> dict[str, Any]:
    # schemathesis sends a few hundred requests; 429 is documented, but a run that is
    # mostly 429s would test nothing else.
    return {"SHOPCARE_RATELIMIT_API": "100000/minute"}


def test_the_document(client: FlaskClient) -> None:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    assert {"Error", "Order", "OrderInput", "OrderLine"} <= set(document["components"]["schemas"])
    schemes = document["components"]["securitySchemes"]
    assert schemes["apiKey"] == {**schemes["apiKey"], "type": "http", "scheme": "bearer"}
    assert schemes["session"]["in"] == "cookie" and schemes["session"]["name"] == "session"

    post = document["paths"][f"{API}/orders"]["post"]
    assert post["security"] == [{"apiKey": ["orders:write"]}]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/OrderInput"
    }
    assert set(post["responses"]) == {"200", "201", "400", "401", "403", "413", "415", "422", "429"}
    assert post["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Order"
    }
    assert "Retry-After" in post["responses"]["429"]["headers"]
    assert document["paths"][f"{API}/openapi.json"]["get"]["security"] == []


def test_every_api_endpoint_is_documented(app: Flask, client: FlaskClient) -> None:
    documented = client.get(f"{API}/openapi.json").get_json()["paths"]
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("shopcare.api."):
            assert declared_operation(app.view_functions[rule.endpoint]), rule.endpoint
            path = rule.rule
            for part in rule.arguments:
                path = path.replace(f"<{part}>", "{" + part + "}")
                for converter in ("int", "string", "path", "float", "uuid"):
                    path = path.replace(f"<{converter}:{part}>", "{" + part + "}")
            assert path in documented, rule.rule


def test_paths_carry_the_hosts_prefix(database_url: str) -> None:
    from tests.host import make_app

    app, db, _care = make_app(database_url, SHOPCARE_URL_PREFIX="/support")
    client = app.test_client()
    document = client.get("/support/api/v1/openapi.json").get_json()
    assert "/support/api/v1/orders" in document["paths"]
    assert all(path.startswith("/support/api/v1/") for path in document["paths"])
    assert client.get("/support/api/v1/nothing").get_json()["error"]["code"] == "not_found"
    with app.app_context():
        db.engine.dispose()


SCHEMATHESIS_CONFIG = """
# A request the schema allows can still break a business rule the schema cannot
# express (a deliverable-looking e-mail, a known currency and its decimals, SKUs
# unique within an order): that is the documented 422, not a failure.
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429"]
"""


@pytest.mark.slow
def test_schemathesis_against_the_live_app(
    app: Flask, client: FlaskClient, live_server: Any, api_key: Any, tmp_path: Path
) -> None:
    # From a file, so that the document's own endpoint is tested too.
    document = client.get(f"{API}/openapi.json").get_json()
    (tmp_path / "openapi.json").write_text(json.dumps(document))
    (tmp_path / "schemathesis.toml").write_text(SCHEMATHESIS_CONFIG)
    headers = api_key(*SCOPES, name="schemathesis")
    command = [
        str(Path(sys.executable).parent / "st"),
        "--config-file",
        str(tmp_path / "schemathesis.toml"),
        "--no-color",
        "run",
        str(tmp_path / "openapi.json"),
        "--url",
        live_server(app),
        "--header",
        f"Authorization:{headers['Authorization']}",
        "--checks",
        "all",
        "--max-examples",
        "30",
        "--seed",
        "20240501",
        "--workers",
        "1",
        "--request-timeout",
        "20",
    ]
    result = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout[-12000:] + result.stderr[-3000:]
    assert "FAILURES" not in result.stdout, result.stdout[-6000:]
    operations = len([op for path in document["paths"].values() for op in path])
    assert f"{operations} selected / {operations} total" in result.stdout, result.stdout[:2000]
