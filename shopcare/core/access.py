"""Who is asking: the host's Flask-Login user, the staff check, and who may see an order
(:func:`may_see_order`, the one rule every page and endpoint asks)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import quote, urlencode, urlsplit

from flask import (
    abort,
    current_app,
    g,
    has_request_context,
    make_response,
    redirect,
    request,
    url_for,
)
from flask_login import current_user as _login_user
from werkzeug.wrappers import Response

from shopcare.core.config import setting

F = TypeVar("F", bound=Callable[..., Any])


def current_user() -> Any | None:
    """The host's logged-in user, or ``None`` (also when the host has no Flask-Login)."""
    if not hasattr(current_app._get_current_object(), "login_manager"):  # type: ignore[attr-defined]
        return None
    user = _login_user._get_current_object()
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user


def current_user_id() -> str | None:
    """The logged-in user's id as shopcare stores it (an opaque string), or ``None``."""
    user = current_user()
    if user is None:
        return None
    return str(user.get_id())


def default_is_staff(user: Any) -> bool:
    """The default staff check: ``user.is_admin`` when the host's user has it; else no."""
    return bool(getattr(user, "is_admin", False))


def is_staff(user: Any | None = None) -> bool:
    """Whether ``user`` (default: the current user) may use the staff pages."""
    user = user if user is not None else current_user()
    if user is None:
        return False
    check = setting("SHOPCARE_IS_STAFF") or default_is_staff
    return bool(check(user))


def owns_order(order: Any, user: Any | None = None) -> bool:
    """Whether ``user`` (default: the current user) is the order's owner: its
    ``user_id`` is the user's id (duck-typed: any object with ``user_id`` will do)."""
    user = user if user is not None else current_user()
    owner = getattr(order, "user_id", None)
    return user is not None and owner is not None and str(owner) == str(user.get_id())


def may_see_order(
    order: Any, *, guest_grant: tuple[int, str] | None = None, scope: str = "orders:read"
) -> bool:
    """Who may see ``order``: the one rule for the order page, the JSON API and every
    domain that shows an order's things.

    - a request made with an API key (``g.shopcare_api_key``, set by the API's
      authentication): only if the key has ``scope``;
    - a holder of a valid guest link: ``guest_grant`` is what the link proved,
      ``(order id, reference)``, read and checked by the caller;
    - the logged-in owner (the order's ``user_id``), or staff (``SHOPCARE_IS_STAFF``).

    Anyone else may not; callers answer 404, as for an unknown order.
    """
    key = g.get("shopcare_api_key") if has_request_context() else None
    if key is not None:
        return scope in key.scope_set
    if guest_grant is not None and tuple(guest_grant) == (
        getattr(order, "id", None),
        getattr(order, "reference", None),
    ):
        return True
    user = current_user()
    return user is not None and (owns_order(order, user) or is_staff(user))


def login_url() -> str | None:
    """Where to send an anonymous visitor who must log in, with ``next`` set to the
    whole address they asked for: its query string included (encoded as one value,
    so neither an ``&`` cuts it nor a second ``next`` can be slipped in) and the
    mount prefix too (``SCRIPT_NAME``, or ``X-Forwarded-Prefix`` through
    ``ProxyFix(x_prefix=1)``), so the login page can send the visitor back."""
    target = setting("SHOPCARE_LOGIN_URL")
    if target is None:
        manager = getattr(current_app, "login_manager", None)
        view = getattr(manager, "login_view", None)
        if not view:
            return None
        target = url_for(view)
    separator = "&" if "?" in target else "?"
    # The address as the browser sent it: request.path is decoded (a reference may
    # hold "?" or "#"), so it is quoted back; the query string is still raw.
    here = quote(request.script_root + request.path, safe="/:@!$&'()*+,;=~")
    if request.query_string:
        here += "?" + request.query_string.decode("latin-1")
    return f"{target}{separator}{urlencode({'next': here})}"


_BLANK_OR_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def safe_next(target: str | None, default: str) -> str:
    """``target`` if it is an address on this site (a path: ``/care/…?page=2``), else
    ``default``: a login page hands it to ``redirect`` after a login, so anything
    that leaves the site (``https://evil.example``, ``//evil.example``, ``/\\evil.example``,
    which browsers read as ``//``, ``javascript:…``) would be an open redirect."""
    if not target or not target.startswith("/") or _BLANK_OR_CONTROL.search(target):
        return default  # browsers drop tabs and newlines: "/\t/evil" is "//evil"
    if target.startswith(("//", "/\\")) or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def _to_login_or(status: int, *, guest: bool = False) -> Response:
    target = login_url()
    if target is None and guest:
        # No login at all (a host without Flask-Login): what a guest can do instead.
        target = guest_url()
    if target is None:
        abort(status)
    return cast(Response, redirect(target))


def guest_url() -> str | None:
    """Where a visitor goes when a page needs a login the host does not have: the first
    of the pages the features declared for guests (``state.add_guest_page``; tracking:
    the order look-up)."""
    from shopcare.core.state import get_state

    for endpoint in get_state().guest_pages:
        if endpoint in current_app.view_functions:
            return url_for(endpoint)
    return None


# -- declared access rules ----------------------------------------------------------------
#
# Every shopcare view says who may use it, as an attribute the route sweep
# (tests/test_route_sweep.py) reads: a view without one fails the suite. The decorators
# below set it; ``staff_required``, ``login_required`` and the API's ``api_auth`` set it
# themselves.

#: Anyone, no object behind it (the care home, the order look-up, the API's documents).
PUBLIC = "public"
#: A logged-in shopper's own list.
SHOPPER = "shopper"
#: Staff only.
STAFF = "staff"
#: One object of a kind: its owner, staff, or a guest with its signed link; anyone else
#: gets the same 404 as for no such object.
OWNER = "owner"
#: The JSON API: an API key with scopes, or a shopper's session where declared.
API = "api"
#: A machine caller that proves itself with a signature over the body (a carrier webhook).
SIGNED = "signed"
RULES = (PUBLIC, SHOPPER, STAFF, OWNER, API, SIGNED)
ATTRIBUTE = "shopcare_access"


def declare(view: F, rule: str, subject: str | None = None) -> F:
    """Mark ``view`` with its access rule (``(rule, subject)``), returning it."""
    if rule not in RULES:
        raise ValueError(f"unknown access rule {rule!r}")
    setattr(view, ATTRIBUTE, (rule, subject))
    return view


def public(view: F) -> F:
    """Declare ``view`` open to anyone (it shows no one's object)."""
    return declare(view, PUBLIC)


def signed(view: F) -> F:
    """Declare ``view`` as a machine endpoint that checks a signature itself."""
    return declare(view, SIGNED)


def owner_of(subject: str) -> Callable[[F], F]:
    """Declare ``view`` as showing or changing one ``subject`` (``"order"``,
    ``"case"``…) that only its owner, staff, or a guest with its signed link may use; the
    view enforces it through the subject's one access rule (``may_see_order`` …)."""

    def decorator(view: F) -> F:
        return declare(view, OWNER, subject)

    return decorator


def access_rule(view: Callable[..., Any]) -> tuple[str, str | None] | None:
    """The rule ``view`` declared, or ``None``."""
    return getattr(view, ATTRIBUTE, None)


def login_required(view: F) -> F:
    """Send anonymous visitors to the host's login page; a host without one sends them
    to what a guest can do instead (the order look-up); else 401."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return _to_login_or(401, guest=True)
        return view(*args, **kwargs)

    return declare(cast(F, wrapper), SHOPPER)


def staff_required(view: F) -> F:
    """Allow staff only: anonymous visitors go to log in, other users get 403. What a
    staff view answers is kept out of every cache (``Cache-Control: private,
    no-store``): staff pages and exports carry customers' addresses and orders."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        user = current_user()
        if user is None:
            return _to_login_or(401)
        if not is_staff(user):
            abort(403)
        response = make_response(view(*args, **kwargs))
        response.headers["Cache-Control"] = "private, no-store"
        return response

    return declare(cast(F, wrapper), STAFF)
