"""``api_auth``: API keys or a shopper's session; CSRF for session requests that change
things; the host's CSRFProtect never blocks API-key requests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Blueprint, Flask, g, jsonify
from flask.testing import FlaskClient
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect, generate_csrf

from shopcare import ShopCare
from shopcare.core.api import errors, keys
from shopcare.core.api.auth import api_auth
from tests.conftest import login
from tests.fixtures_api import API, bearer
from tests.host import USERS
from tests.test_api_errors import assert_error, order_body


def probe_blueprint() -> Blueprint:
    """A blueprint whose views accept a key with orders:read or a session."""
    bp = Blueprint("probe", __name__, url_prefix="/probe")
    errors.register(bp)

    @bp.route("/echo", methods=["GET", "POST", "DELETE"])
    @api_auth(scopes=("orders:read",), session=True)
    def echo() -> Any:
        key = g.shopcare_api_key
        return jsonify(key=key.name if key else None)

    @bp.get("/csrf")
    def csrf() -> str:
        return generate_csrf()

    return bp


@pytest.fixture
def probe(app: Flask) -> FlaskClient:
    app.register_blueprint(probe_blueprint())
    return app.test_client()


def test_a_key_needs_no_csrf_token(probe: FlaskClient, api_key: Any) -> None:
    response = probe.post("/probe/echo", headers=api_key("orders:read", name="tools"))
    assert response.status_code == 200
    assert response.get_json() == {"key": "tools"}


def test_a_key_wins_over_a_session_and_still_needs_its_scope(
    probe: FlaskClient, api_key: Any
) -> None:
    login(probe, "ann")
    assert_error(
        probe.get("/probe/echo", headers=api_key("orders:write")), 403, "insufficient_scope"
    )


def test_a_session_reads_without_a_token(probe: FlaskClient) -> None:
    assert_error(probe.get("/probe/echo"), 401, "unauthorized")
    login(probe, "ann")
    response = probe.get("/probe/echo")
    assert response.status_code == 200 and response.get_json() == {"key": None}


def test_a_session_needs_the_csrf_token_to_change_things(probe: FlaskClient) -> None:
    login(probe, "ann")
    assert_error(probe.post("/probe/echo"), 403, "csrf_failed")
    assert_error(probe.delete("/probe/echo", headers={"X-CSRFToken": "forged"}), 403, "csrf_failed")
    token = probe.get("/probe/csrf").get_data(as_text=True)
    assert probe.post("/probe/echo", headers={"X-CSRFToken": token}).status_code == 200
    assert probe.delete("/probe/echo", headers={"X-CSRF-Token": token}).status_code == 200


def test_the_session_endpoints_are_documented_with_both_schemes(probe: FlaskClient) -> None:
    from shopcare.core.api.auth import AuthRequirement

    view = probe.application.view_functions["probe.echo"]
    assert view.shopcare_api_auth == AuthRequirement(("orders:read",), True)


def test_unknown_scopes_fail_at_import_time() -> None:
    with pytest.raises(ValueError, match="orders:destroy"):
        api_auth(scopes=("orders:destroy",))


def test_host_csrfprotect_made_after_shopcare_does_not_block_keys(app: Flask, api_key: Any) -> None:
    CSRFProtect(app)
    client = app.test_client()
    assert client.post(f"{API}/orders", json=order_body(), headers=api_key()).status_code == 201
    # the host's own views are still protected
    assert client.post("/login/ann").status_code == 400


@pytest.fixture
def csrf_first_app(app: Flask, database_url: str) -> Iterator[Flask]:
    """A host that sets up CSRFProtect before shopcare (the ``app`` fixture empties
    the tables afterwards)."""
    host = Flask("csrfhost")
    host.config.update(SECRET_KEY="s", SQLALCHEMY_DATABASE_URI=database_url, TESTING=True)
    db = SQLAlchemy(host)
    CSRFProtect(host)
    LoginManager(host).user_loader(USERS.get)

    @host.post("/host-form")
    def host_form() -> str:
        return "saved"

    ShopCare(host, db=db)
    with host.app_context():
        yield host
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()


def test_host_csrfprotect_made_before_shopcare(csrf_first_app: Flask) -> None:
    app = csrf_first_app
    _row, key = keys.create("tools", ["orders:write"])
    app.extensions["shopcare"].db.session.commit()
    client = app.test_client()
    assert client.post(f"{API}/orders", json=order_body(), headers=bearer(key)).status_code == 201
    # the host's own forms are still protected
    assert client.post("/host-form").status_code == 400
