"""Rate limits for shopcare's public forms and its JSON API, on the `limits` library.

Limits come in named *groups* whose budget is a setting, so that a shop tunes them
without touching code::

    SHOPCARE_RATELIMIT_GUEST_LOOKUP = "10/minute;50/hour"

A view takes part in a group with :func:`limit`, or :func:`check` from inside the
view; the same group can be applied more than once with different keys (per client
address, per order reference, …), each counted on its own::

    @limit("guest_lookup", methods=("POST",))               # per client address
    def lookup():
        form = LookupForm()
        if form.validate_on_submit():                        # well-formed attempts only
            key = reference_key(form.reference.data)         # parsed: form or JSON alike
            check("guest_lookup", key=lambda: f"ref:{key}", scope="guest_lookup_reference")

Every view using a group shares the group's budget for the same key: ten guest
lookups a minute means ten in total, whichever page they come from.

``init_app`` gives each app its own rate limiter from the `limits` library (the one
under Flask-Limiter), on the app's shopcare state (``get_state().limiter``): a strategy
over the storage ``SHOPCARE_RATELIMIT_STORAGE_URI`` names. shopcare evaluates its own
limits, so a host's Flask-Limiter, its default limits and its config keep working
unchanged (a host's ``RATELIMIT_ENABLED = False`` also turns shopcare's limits off),
and shopcare adds no ``flask limiter`` command to the host's CLI. A refused request
raises :class:`RateLimited` (HTTP 429 with ``Retry-After``), shown as a page or,
under the API, as the JSON error body.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Collection
from datetime import timedelta
from functools import lru_cache, wraps
from typing import Any, TypeVar, cast

from flask import Flask, current_app, render_template, request
from flask_babel import format_timedelta
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import STRATEGIES, RateLimiter
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response

from shopcare.core.config import setting
from shopcare.core.errors import ConfigError
from shopcare.core.state import get_state

F = TypeVar("F", bound=Callable[..., Any])

log = logging.getLogger("shopcare.ratelimit")

#: Each group and the setting that holds its budget. Add a group here (and its
#: setting to ``shopcare.core.config.DEFAULTS``) to give a new kind of request a budget.
GROUPS: dict[str, str] = {
    "guest_lookup": "SHOPCARE_RATELIMIT_GUEST_LOOKUP",
    "public_submit": "SHOPCARE_RATELIMIT_PUBLIC_SUBMIT",
    "api": "SHOPCARE_RATELIMIT_API",
}


class RateLimited(TooManyRequests):
    """A request went over its group's budget (HTTP 429).

    :param group: the group whose budget ran out.
    :param retry_after: whole seconds until a retry can succeed.
    """

    retry_after: int

    def __init__(self, group: str, retry_after: int) -> None:
        super().__init__(
            description=f"Too many requests; try again in {retry_after} seconds.",
            retry_after=retry_after,
        )
        self.group = group


def client_address() -> str:
    """The key of per-client limits: ``ip:<remote address>``.

    Behind a proxy, the host applies ``werkzeug.middleware.proxy_fix.ProxyFix`` so
    that this is the shopper's address, not the proxy's.
    """
    return f"ip:{request.remote_addr or '127.0.0.1'}"


def init_app(app: Flask) -> RateLimiter | None:
    """Give ``app`` shopcare's own rate limiter (``None`` when limits are off)."""
    state = get_state(app)
    if not setting("SHOPCARE_RATELIMIT_ENABLED", app) or not app.config.get(
        "RATELIMIT_ENABLED", True
    ):
        state.limiter = None
        return None
    for group in GROUPS:  # fail at start-up, not on the first limited request
        _items(group, app)
    name = setting("SHOPCARE_RATELIMIT_STRATEGY", app)
    if name not in STRATEGIES:
        raise ConfigError(
            f"SHOPCARE_RATELIMIT_STRATEGY = {name!r}; known: {', '.join(sorted(STRATEGIES))}"
        )
    storage = storage_from_string(setting("SHOPCARE_RATELIMIT_STORAGE_URI", app))
    limiter = STRATEGIES[name](storage)
    state.limiter = limiter
    app.register_error_handler(RateLimited, _rate_limited_page)
    return limiter


def _items(group: str, app: Flask | None = None) -> list[RateLimitItem]:
    if group not in GROUPS:
        raise ConfigError(f"unknown rate-limit group {group!r}; known: {', '.join(GROUPS)}")
    name = GROUPS[group]
    value = setting(name, app)
    try:
        return _parse(value) if value else []
    except ValueError as error:
        raise ConfigError(f"{name} = {value!r} is not a rate limit string: {error}") from None


@lru_cache(maxsize=64)
def _parse(value: str) -> list[RateLimitItem]:
    return sorted(parse_many(value))


def check(
    group: str,
    *,
    key: Callable[[], str | None] | None = None,
    scope: str | None = None,
) -> None:
    """Count one request against ``group`` for ``key``, or raise :class:`RateLimited`.

    :param key: returns the identity the budget is kept for (default: the client
        address). A ``None`` or empty key skips the check.
    :param scope: keeps this key's count apart from other uses of the group
        (default: the group name).
    """
    limiter: RateLimiter | None = get_state().limiter
    if limiter is None:
        return
    identity = (key or client_address)()
    if not identity:
        return
    items = _items(group)
    identifiers = ("shopcare", scope or group, identity)
    try:
        for item in items:  # smallest window first; stop at the first refusal
            if not limiter.hit(item, *identifiers):
                reset = limiter.get_window_stats(item, *identifiers).reset_time
                raise RateLimited(group, max(1, math.ceil(reset - time.time())))
    except RateLimited:
        raise
    except Exception:
        # A rate-limit store that is down must not take the shop down with it.
        log.exception("rate-limit storage failed; request let through")


def limit(
    group: str,
    *,
    key: Callable[[], str | None] | None = None,
    scope: str | None = None,
    methods: Collection[str] | None = None,
) -> Callable[[F], F]:
    """Decorator: count each call of the view against ``group`` (see :func:`check`).

    :param methods: only count these HTTP methods (default: all), e.g. ``("POST",)``
        for a form whose GET only shows it.
    :raises ConfigError: at decoration time for an unknown group.
    """
    if group not in GROUPS:
        raise ConfigError(f"unknown rate-limit group {group!r}; known: {', '.join(GROUPS)}")
    counted = frozenset(method.upper() for method in methods) if methods else None

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if counted is None or request.method in counted:
                check(group, key=key, scope=scope)
            return current_app.ensure_sync(view)(*args, **kwargs)

        return cast(F, wrapper)

    return decorator


def retry_in(seconds: int) -> str:
    """``seconds`` as the shopper reads it ("in 2 minutes"), rounded up, localised."""
    if seconds < 60:
        delta = timedelta(seconds=seconds)
    elif seconds < 3600:
        delta = timedelta(minutes=math.ceil(seconds / 60))
    else:
        delta = timedelta(hours=math.ceil(seconds / 3600))
    return str(format_timedelta(delta, threshold=1, add_direction=True))


def wants_json() -> bool:
    """Whether the client prefers JSON to a page (``Accept: application/json``)."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"], "text/html")
    return best == "application/json"


def _rate_limited_page(error: RateLimited) -> Response:
    headers = {"Retry-After": str(error.retry_after)}
    if wants_json():
        from shopcare.core.api.errors import error_response

        return error_response(429, "rate_limited", error.description or "", headers=headers)
    html = render_template(
        "shopcare/ratelimit/429.html",
        retry_in=retry_in(error.retry_after),
        seconds=error.retry_after,
    )
    return Response(html, status=429, headers=headers, mimetype="text/html")
