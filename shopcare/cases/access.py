"""Who may see a case: the one rule, built on the order's.

An order is seen by its owner's session, by staff and by whoever holds a valid guest
link to it (the signed ``key`` the order page uses); a case is seen by whoever may
see its order. API keys see cases when they carry ``cases:read`` (checked by the API
decorator). A case's photos follow the same rule. Anyone else gets 404, whether the
case exists or not.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request

from shopcare.core import access
from shopcare.core.errors import NotFound
from shopcare.core.i18n import _
from shopcare.core.state import get_state


class LinkExpired(Exception):
    """A genuine guest link that is too old."""


def guest_grant(key: str | None) -> tuple[int, str] | None:
    """``(order_id, reference)`` from a guest order link's key, ``None`` without one.

    :raises LinkExpired: for a genuine but old key.
    """
    if not key:
        return None
    tracker = get_state().care.tracking
    try:
        grant: tuple[int, str] = tracker.read_guest_token(key)
        return grant
    except NotFound as error:
        # GuestLinkExpired is a NotFound: told apart by name, without importing the
        # tracking domain
        if type(error).__name__ == "GuestLinkExpired":
            raise LinkExpired(str(error)) from None
        return None


def guest_key(order: Any) -> str:
    """A guest link key for ``order`` (to carry through the case pages)."""
    tracker = get_state().care.tracking
    return str(tracker.guest_token(order))


def may_see_order(order: Any, grant: tuple[int, str] | None = None) -> bool:
    """The order's rule (:func:`shopcare.core.access.may_see_order`): its owner, staff,
    the holder of its guest link, or an API key with ``cases:read``."""
    return access.may_see_order(order, guest_grant=grant, scope="cases:read")


def may_see_case(case: Any, grant: tuple[int, str] | None = None) -> bool:
    """A case is seen by whoever may see its order."""
    return may_see_order(case.order, grant)


def require_order(order: Any | None) -> tuple[int, str] | None:
    """404 unless the current visitor may see ``order``; returns the guest grant used.

    A genuine but expired guest link (an old e-mail's "See your request") sends a
    visitor who may not see ``order`` otherwise to the order look-up, saying so, as
    the order page does; whether ``order`` exists plays no part in that.
    """
    try:
        grant = guest_grant(request.args.get("key") or request.form.get("key"))
    except LinkExpired:
        grant = None
        if order is None or not may_see_order(order, grant):
            again = access.guest_url()
            if again is None:
                abort(404)
            flash(
                _("This link has expired. Enter your order number and e-mail address again."),
                "error",
            )
            abort(redirect(again))
    if order is None or not may_see_order(order, grant):
        abort(404)
    return grant


def require_case(case: Any | None) -> tuple[int, str] | None:
    """404 unless the current visitor may see ``case``."""
    if case is None:
        abort(404)
    return require_order(case.order)
