"""Who may see a ticket: the one rule, and the signed keys that prove it.

A ticket is seen by staff, by the logged-in shopper who filed it (or who owns its
order), by whoever holds its signed link (the ``key`` in the acknowledgement
e-mail), and by whoever may see its order (the order's own guest link: the order's
buyer). Anyone else gets 404, whether the ticket exists or not. The reply address
of a ticket's e-mails carries a second, shorter signature (:func:`reply_token`), so a
forged address matches nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from flask import abort, current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

from shopcare.core import access
from shopcare.core.state import get_state

_SALT = "shopcare.feedback.ticket"
_TOKEN = re.compile(r"(F-\d{4}-\d{6})\.([0-9a-f]{20})", re.IGNORECASE)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key or "", salt=_SALT)


def ticket_key(ticket: Any) -> str:
    """The signed key of ``ticket``'s private link (it never expires: the shopper keeps
    the e-mail; it shows only that ticket)."""
    return str(_serializer().dumps(ticket.reference))


def key_reference(key: str | None) -> str | None:
    """The ticket reference a genuine key was made for, else ``None``."""
    if not key or len(key) > 200:
        return None
    try:
        value = _serializer().loads(key)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def _order_grant(key: str | None) -> tuple[int, str] | None:
    """What an order's guest link proves, ``(order id, reference)``, else ``None``."""
    if not key or len(key) > 500:
        return None
    try:
        grant: tuple[int, str] = get_state().care.tracking.read_guest_token(key)
    except Exception:  # not an order link, or an expired one: no grant
        return None
    return grant


def may_see_ticket(ticket: Any, key: str | None = None) -> bool:
    """Staff, the shopper who filed it (or owns its order), the holder of its key, or
    whoever may see its order (:func:`shopcare.core.access.may_see_order`)."""
    if access.is_staff():
        return True
    user_id = access.current_user_id()
    if user_id is not None and ticket.user_id == user_id:
        return True
    if key is not None and key_reference(key) == ticket.reference:
        return True
    if ticket.order is not None:
        return access.may_see_order(
            ticket.order, guest_grant=_order_grant(key), scope="feedback:read"
        )
    return False


def require_ticket(ticket: Any | None) -> str | None:
    """404 unless the current visitor may see ``ticket``; returns the key to carry on."""
    key = request.args.get("key") or request.form.get("key") or None
    if ticket is None or not may_see_ticket(ticket, key):
        abort(404)
    if key_reference(key) is not None or _order_grant(key) is not None:
        return key
    return None


def _signature(reference: str) -> str:
    secret = (
        (current_app.secret_key or "").encode()
        if isinstance(current_app.secret_key, str)
        else (current_app.secret_key or b"")
    )
    return hmac.new(secret, f"{_SALT}.reply:{reference}".encode(), hashlib.sha256).hexdigest()[:20]


def reply_token(reference: str) -> str:
    """``F-2026-000042.<20 hex>``: the token the reply address of a ticket's e-mails carries."""
    return f"{reference}.{_signature(reference)}"


def token_reference(text: str) -> str | None:
    """The reference of the first genuine reply token found in ``text`` (an address),
    else ``None`` (a forged signature is no token)."""
    for match in _TOKEN.finditer(text or ""):
        reference = match.group(1).upper()
        if hmac.compare_digest(match.group(2).lower(), _signature(reference)):
            return reference
    return None
