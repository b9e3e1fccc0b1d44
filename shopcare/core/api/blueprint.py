"""The ``api`` child blueprint (``/care/api/v1``) and what every API request goes through.

:func:`make_blueprint` makes it for one app when the app is mounted, with the
operations every feature declared (``state.add_api(routes)``).

Before each API view: the body-size limit is set and the ``api`` rate limit is
counted (per API key, or per client address without one). Every error is the JSON
error body, including 404 and 405 for URLs under the prefix that match no view.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from shopcare.core import ratelimit
from shopcare.core.api import errors
from shopcare.core.api.auth import client_key
from shopcare.core.config import setting
from shopcare.core.state import State, get_state
from shopcare.core.web import BODY_METHODS, read_body

#: Where the API sits under shopcare's own prefix.
URL_PREFIX = "/api/v1"


def _before_api_request() -> None:
    limit = setting("SHOPCARE_API_MAX_CONTENT_LENGTH")
    if limit is not None and (
        request.max_content_length is None or limit < request.max_content_length
    ):
        request.max_content_length = limit
    ratelimit.check("api", key=client_key)
    if request.method in BODY_METHODS:
        # The whole body now, or a 413: a chunked one too (see read_body).
        read_body(request.max_content_length)


def make_blueprint(state: State) -> Blueprint:
    """The ``api`` blueprint for one app, with the routes its features declared."""
    api = Blueprint("api", __name__, url_prefix=URL_PREFIX)
    errors.register(api)
    api.before_request(_before_api_request)
    for route in state.api_routes:
        api.add_url_rule(
            route.rule, endpoint=route.endpoint, view_func=route.view, methods=route.methods
        )
    return api


def api_path_prefix() -> str:
    """Where the API is mounted on this app (``/care/api/v1``)."""
    return (setting("SHOPCARE_URL_PREFIX").rstrip("/") + URL_PREFIX).rstrip("/")


def is_api_path(path: str) -> bool:
    """Whether ``path`` lies under the API prefix."""
    prefix = api_path_prefix()
    return path == prefix or path.startswith(prefix + "/")


def _unmatched_api_url() -> Response | None:
    # A URL that matches no rule has no blueprint, so the API's own error handlers
    # never see its 404 / 405; answer it here, without replacing any host handler.
    error = request.routing_exception
    if isinstance(error, HTTPException) and (error.code or 0) >= 400 and is_api_path(request.path):
        return errors.http_error(error)
    return None


def _exempt_from_host_csrf() -> None:
    # The host's CSRFProtect would refuse API-key requests (they carry no token);
    # api_auth checks the token itself for session requests.
    csrf = current_app.extensions.get("csrf")
    api = get_state().api_blueprint
    if csrf is not None and api is not None and api not in csrf._exempt_blueprints:
        csrf.exempt(api)


def init_app(app: Flask) -> None:
    """App-wide hooks the API needs (called when the app is mounted)."""
    with app.app_context():
        _exempt_from_host_csrf()  # a CSRFProtect made before shopcare

    @app.before_request
    def _shopcare_api_app_hooks() -> Response | None:
        _exempt_from_host_csrf()  # a CSRFProtect made after shopcare
        return _unmatched_api_url()
