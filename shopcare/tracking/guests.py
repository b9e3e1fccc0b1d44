"""Guest order links: a guest who knows an order's number and e-mail gets a signed
link to its page, valid ``SHOPCARE_GUEST_LINK_MAX_AGE`` seconds."""

from __future__ import annotations

import hashlib
import hmac
from typing import NamedTuple

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from shopcare.core.config import setting
from shopcare.core.db import session
from shopcare.core.errors import NotFound, ValidationError
from shopcare.orders.models import Order
from shopcare.orders.services import normalize_email, reference_key

#: Salt of the guest order links, so that no other signed value of the app opens them.
GUEST_LINK_SALT = "shopcare.tracking.guest-order"
#: What an unknown reference's e-mail is compared with, so both branches do the same work.
_NO_SUCH_ORDER_EMAIL = hashlib.sha256(b"shopcare: no such order").digest()


class GuestLinkExpired(NotFound):
    """A guest order link was genuine but is older than ``SHOPCARE_GUEST_LINK_MAX_AGE``."""


class GuestOrder(NamedTuple):
    """The order a guest proved to know: just enough to sign its link."""

    id: int
    reference: str


def find_for_guest(reference: str, email: str) -> GuestOrder | None:
    """The order if ``reference`` exists and ``email`` is its e-mail, else ``None``.

    An unknown reference and a wrong e-mail cost the same: one query (of three
    columns, so no lines are loaded for a real order), then one constant-time
    comparison of two SHA-256 digests (so not even the stored address's length
    shows in the timing).

    :raises ValidationError: for a malformed reference or e-mail (whether the
        order exists plays no part).
    """
    key = reference_key(reference)
    if key is None:
        raise ValidationError("reference", "not an order reference")
    given = hashlib.sha256(normalize_email(email).encode()).digest()
    # Matched as people type it (case, spaces, a leading "#"): one query on the
    # unique key.
    row = (
        session()
        .execute(select(Order.id, Order.reference, Order.email).where(Order.reference_key == key))
        .one_or_none()
    )
    stored = hashlib.sha256(row.email.encode()).digest() if row else _NO_SUCH_ORDER_EMAIL
    matches = hmac.compare_digest(stored, given)
    return GuestOrder(row.id, row.reference) if matches and row is not None else None


def guest_token(order: Order | GuestOrder) -> str:
    """A signed token that opens ``order``'s page (it carries the id and the
    reference, never the e-mail); valid ``SHOPCARE_GUEST_LINK_MAX_AGE`` seconds."""
    return str(_serializer().dumps({"o": order.id, "r": order.reference}))


def read_guest_token(token: str) -> tuple[int, str]:
    """``(order_id, reference)`` from a guest token.

    :raises GuestLinkExpired: for a genuine token that is too old.
    :raises NotFound: for anything else (tampered, truncated, another salt).
    """
    try:
        value = _serializer().loads(token, max_age=int(setting("SHOPCARE_GUEST_LINK_MAX_AGE")))
    except SignatureExpired:
        raise GuestLinkExpired("this order link has expired") from None
    except BadSignature:
        raise NotFound("no such order link") from None
    if not isinstance(value, dict) or not isinstance(value.get("o"), int):
        raise NotFound("no such order link")
    return int(value["o"]), str(value.get("r"))


def _serializer() -> URLSafeTimedSerializer:
    if not current_app.secret_key:
        # An empty key would make guest links forgeable by anyone.
        raise RuntimeError("shopcare's guest order links need the app's SECRET_KEY to be set")
    return URLSafeTimedSerializer(current_app.secret_key, salt=GUEST_LINK_SALT)
