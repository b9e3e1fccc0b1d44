"""Rate limits: 429 with Retry-After as a page or as JSON, per address and per value."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from flask_babel import refresh
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from shopcare.core.errors import ConfigError
from shopcare.core.ratelimit import RateLimited, check, limit, retry_in
from shopcare.core.state import get_state
from tests.fixtures_api import API
from tests.test_api_errors import assert_error, order_body


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {
        "SHOPCARE_RATELIMIT_GUEST_LOOKUP": "2/minute",
        "SHOPCARE_RATELIMIT_PUBLIC_SUBMIT": "3/minute;4/hour",
        "SHOPCARE_RATELIMIT_API": "3/minute",
    }


@pytest.fixture
def lookup(app: Flask) -> FlaskClient:
    """A guest lookup limited per address and, more tightly, per reference (POST only)."""

    @app.route("/lookup", methods=["GET", "POST"])
    @limit(
        "guest_lookup",
        key=lambda: "ref:" + request.form.get("reference", "").upper(),
        scope="by_ref",
        methods=("POST",),
    )
    @limit("public_submit", methods=("POST",))
    def guest_lookup() -> str:
        return "found"

    return app.test_client()


def from_address(address: str) -> dict[str, Any]:
    return {"environ_base": {"REMOTE_ADDR": address}}


def test_a_page_gets_a_translated_429_page_with_retry_after(lookup: FlaskClient) -> None:
    for _ in range(2):
        assert lookup.post("/lookup", data={"reference": "SO-1"}).status_code == 200
    response = lookup.post("/lookup", data={"reference": "SO-1"})
    assert response.status_code == 429
    assert response.mimetype == "text/html"
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    page = response.get_data(as_text=True)
    assert "Too many attempts" in page and 'class="shopcare"' in page
    assert "Please try again in" in page

    refresh()  # the tests share one app context, where Flask-Babel keeps the locale
    spanish = lookup.post("/lookup", data={"reference": "SO-1"}, headers={"Accept-Language": "es"})
    assert spanish.status_code == 429
    assert "Demasiados intentos" in spanish.get_data(as_text=True)
    assert "Vuelve a intentarlo dentro de" in spanish.get_data(as_text=True)


def test_a_client_asking_for_json_gets_the_json_error(lookup: FlaskClient) -> None:
    for _ in range(2):
        lookup.post("/lookup", data={"reference": "SO-1"})
    response = lookup.post(
        "/lookup", data={"reference": "SO-1"}, headers={"Accept": "application/json"}
    )
    assert_error(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) >= 1


def test_the_same_group_counts_each_key_apart(lookup: FlaskClient) -> None:
    assert lookup.post("/lookup", data={"reference": "A"}).status_code == 200
    assert lookup.post("/lookup", data={"reference": "a"}).status_code == 200
    # the reference is spent, from any address
    assert (
        lookup.post("/lookup", data={"reference": "A"}, **from_address("10.0.0.9")).status_code
        == 429
    )
    # other references go on, until the address's own budget (3/minute) is spent
    assert lookup.post("/lookup", data={"reference": "B"}).status_code == 200
    assert lookup.post("/lookup", data={"reference": "C"}).status_code == 429
    # another address is not affected by the first one's budget
    assert (
        lookup.post("/lookup", data={"reference": "D"}, **from_address("10.0.0.8")).status_code
        == 200
    )


def test_only_the_listed_methods_count(lookup: FlaskClient) -> None:
    for _ in range(10):
        assert lookup.get("/lookup").status_code == 200
    assert lookup.post("/lookup", data={"reference": "A"}).status_code == 200


def test_the_api_is_limited_per_key_with_the_json_error(client: FlaskClient, api_key: Any) -> None:
    first, second = api_key(name="one"), api_key(name="two")
    statuses = [
        client.post(f"{API}/orders", json=order_body(), headers=first).status_code for _ in range(3)
    ]
    assert statuses == [201, 200, 200]  # recorded, then the same order updated
    response = client.post(f"{API}/orders", json=order_body(), headers=first)
    assert_error(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) >= 1
    assert client.post(f"{API}/orders", json=order_body(), headers=second).status_code == 200
    # without a valid key the budget is the address's, for any API URL
    for _ in range(3):
        client.get(f"{API}/openapi.json")
    assert_error(client.get(f"{API}/openapi.json"), 429, "rate_limited")
    assert_error(
        client.post(
            f"{API}/orders", json=order_body(), headers={"Authorization": "Bearer sck_guess"}
        ),
        429,
        "rate_limited",
    )


@pytest.mark.parametrize(
    "app_config",
    [{"SHOPCARE_RATELIMIT_ENABLED": False, "SHOPCARE_RATELIMIT_GUEST_LOOKUP": "1/hour"}],
)
def test_limits_can_be_turned_off(lookup: FlaskClient, app: Flask) -> None:
    assert get_state(app).limiter is None
    for _ in range(5):
        assert lookup.post("/lookup", data={"reference": "A"}).status_code == 200


def test_the_host_ratelimit_switch_turns_shopcare_limits_off(database_url: str) -> None:
    from tests.host import make_app

    app, db, _care = make_app(
        database_url, RATELIMIT_ENABLED=False, SHOPCARE_RATELIMIT_API="1/hour"
    )
    client = app.test_client()
    for _ in range(3):
        assert client.get(f"{API}/openapi.json").status_code == 200
    with app.app_context():
        db.engine.dispose()


def test_a_host_with_its_own_limiter_keeps_it(database_url: str) -> None:
    from tests.host import make_app

    app, db, _care = make_app(database_url, SHOPCARE_RATELIMIT_API="100/minute")
    host_limiter = Limiter(get_remote_address, app=app, storage_uri="memory://")

    @app.get("/host-page")
    @host_limiter.limit("1/minute")
    def host_page() -> str:
        return "host"

    client = app.test_client()
    assert client.get("/host-page").status_code == 200
    refused = client.get("/host-page")
    assert refused.status_code == 429
    assert "Too many attempts" not in refused.get_data(as_text=True)  # the host's own 429
    assert get_state(app).limiter is not host_limiter
    assert client.get(f"{API}/openapi.json").status_code == 200
    with app.app_context():
        db.engine.dispose()


def test_bad_settings_fail_loudly(database_url: str) -> None:
    from tests.host import make_app

    with pytest.raises(ConfigError, match="SHOPCARE_RATELIMIT_API"):
        make_app(database_url, SHOPCARE_RATELIMIT_API="lots")
    with pytest.raises(ConfigError, match="unknown rate-limit group"):
        limit("everything")


def test_check_from_inside_a_view(app: Flask) -> None:
    @app.post("/vote/<int:item>")
    def vote(item: int) -> str:
        check("public_submit", key=lambda: f"item:{item}", scope="votes")
        return "ok"

    client = app.test_client()
    for _ in range(3):
        assert client.post("/vote/1").status_code == 200
    assert client.post("/vote/1").status_code == 429
    assert client.post("/vote/2").status_code == 200


def test_an_empty_key_skips_the_check(app: Flask) -> None:
    @app.post("/maybe")
    @limit("guest_lookup", key=lambda: None)
    def maybe() -> str:
        return "ok"

    client = app.test_client()
    for _ in range(5):
        assert client.post("/maybe").status_code == 200


def test_retry_in_rounds_up(app: Flask) -> None:
    with app.test_request_context():
        assert retry_in(5) == "in 5 seconds"
        assert retry_in(61) == "in 2 minutes"
        assert retry_in(3601) == "in 2 hours"
    assert RateLimited("api", 7).get_headers()[-1] == ("Retry-After", "7")


def test_mounting_adds_no_limiter_command_to_the_hosts_cli(app: Flask) -> None:
    assert "limiter" not in app.cli.commands
    assert set(app.cli.commands) == {"shopcare"}


def test_shopcares_dependencies_add_no_flask_commands() -> None:
    """``flask`` shows the ``flask.commands`` entry points of every installed package, so a
    dependency of shopcare with one (Flask-Limiter: ``flask limiter``) would put its
    commands in every host's CLI. shopcare uses ``limits`` directly instead."""
    from importlib.metadata import PackageNotFoundError, distribution

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen: set[str] = set()
    todo = ["shopcare"]
    commands: dict[str, list[str]] = {}
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            continue  # an optional dependency that is not installed
        found = [ep.name for ep in dist.entry_points.select(group="flask.commands")]
        if found:
            commands[name] = found
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(requirement.name))
    assert "flask" in seen and "limits" in seen
    assert commands == {}
