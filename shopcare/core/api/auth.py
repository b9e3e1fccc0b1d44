"""Who calls the API: an API key (``Authorization: Bearer <key>``) or a shopper's session.

::

    @api.post("/orders")
    @api_auth(scopes=("orders:write",))
    def record_order(): ...

    @api.get("/my/orders")
    @api_auth(scopes=("orders:read",), session=True)   # a key, or a logged-in shopper
    def my_orders(): ...

A key must carry every scope listed. A session needs no scope (the view decides what
a shopper may see), but an unsafe request (POST, PUT, PATCH, DELETE) made with a
session must carry the CSRF token in an ``X-CSRFToken`` header, because a browser
sends the cookie on its own; a request with an API key does not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

from flask import current_app, g, request
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError as CSRFValidationError

from shopcare.core.access import API, current_user, declare
from shopcare.core.api import keys
from shopcare.core.api.errors import ApiError
from shopcare.core.api.models import ApiKey
from shopcare.core.api.scopes import SCOPES
from shopcare.core.db import session as db_session
from shopcare.core.db import utcnow
from shopcare.core.ratelimit import client_address

F = TypeVar("F", bound=Callable[..., Any])

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_UNSET = object()


@dataclass(frozen=True)
class AuthRequirement:
    """What :func:`api_auth` asks of a view; the OpenAPI document reads it."""

    scopes: tuple[str, ...]
    session: bool


def bearer_token() -> str | None:
    """The key in ``Authorization: Bearer <key>``, or ``None`` without the header.

    :raises ApiError: 401 when the header is there but is not a bearer token.
    """
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("invalid_api_key", "Send the API key as: Authorization: Bearer <key>.")
    return token.strip()


def bearer_key() -> ApiKey | None:
    """The active API key this request carries, or ``None`` (looked up once per request)."""
    cached = getattr(request, "_shopcare_bearer_key", _UNSET)
    if cached is not _UNSET:
        return cast(ApiKey | None, cached)
    try:
        token = bearer_token()
    except ApiError:
        token = None
    started = utcnow()
    key = keys.authenticate(token) if token else None
    if key is not None and key.last_used_at is not None and key.last_used_at >= started:
        db_session().commit()  # last_used_at was written: keep it even if the request fails
    request._shopcare_bearer_key = key  # type: ignore[attr-defined]
    return key


def client_key() -> str:
    """The API's rate-limit key: the API key when one is valid, else the client address."""
    key = bearer_key()
    return f"key:{key.id}" if key is not None else client_address()


def check_csrf() -> None:
    """Check the CSRF token of a session-authenticated unsafe request.

    :raises ApiError: 403 ``csrf_failed`` when the token is missing or wrong.
    """
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    names = current_app.config.get("WTF_CSRF_HEADERS", ["X-CSRFToken", "X-CSRF-Token"])
    token = next((request.headers[name] for name in names if request.headers.get(name)), None)
    try:
        validate_csrf(token)
    except CSRFValidationError as error:
        raise ApiError(403, "csrf_failed", str(error.args[0] if error.args else error)) from None


def _unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": 'Bearer realm="shopcare"'})


def api_auth(scopes: Iterable[str] = (), *, session: bool = False) -> Callable[[F], F]:
    """Decorator: require an API key with ``scopes`` or, with ``session=True``, a
    logged-in user. Sets ``g.shopcare_api_key`` (the :class:`ApiKey`, or ``None`` for
    a session).

    :raises ApiError: 401 without valid credentials, 403 for a key lacking a scope
        or a session request without its CSRF token.
    """
    required = tuple(scopes)
    unknown = [scope for scope in required if scope not in SCOPES]
    if unknown:
        raise ValueError(f"unknown API scope(s) {unknown}; add them to shopcare.core.api.scopes")

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            g.shopcare_api_key = None
            if bearer_token() is not None:
                key = bearer_key()
                if key is None:
                    raise _unauthorized("invalid_api_key", "The API key is unknown or revoked.")
                missing = [scope for scope in required if scope not in key.scope_set]
                if missing:
                    raise ApiError(
                        403,
                        "insufficient_scope",
                        f"This API key lacks the scope {', '.join(missing)}.",
                    )
                g.shopcare_api_key = key
            elif session and current_user() is not None:
                if request.method not in SAFE_METHODS:
                    check_csrf()
            else:
                raise _unauthorized(
                    "unauthorized",
                    "Send an API key (Authorization: Bearer <key>)"
                    + (" or log in." if session else "."),
                )
            return current_app.ensure_sync(view)(*args, **kwargs)

        wrapper.shopcare_api_auth = AuthRequirement(required, session)  # type: ignore[attr-defined]
        return declare(cast(F, wrapper), API)

    return decorator
