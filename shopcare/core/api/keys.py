"""Create, list, revoke and check API keys (used by the CLI, the API and tests).

A key reads ``sck_`` followed by 43 URL-safe characters (256 random bits). Its first
:data:`PREFIX_LENGTH` characters are stored in clear to find it; the whole key only
as a SHA-256, compared in constant time. A slow hash is not needed: the key is
random, not a password a person chose.

Functions flush but do not commit; the caller commits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import bindparam, select

from shopcare.core.api.models import ApiKey
from shopcare.core.api.scopes import SCOPES
from shopcare.core.db import session, utcnow
from shopcare.core.errors import NotFound, ValidationError
from shopcare.core.validation import MAX_ID, check_int

KEY_MARK = "sck_"
PREFIX_LENGTH = 12
MAX_KEY_LENGTH = 100
#: ``last_used_at`` is written at most this often per key, not on every request.
TOUCH_EVERY = timedelta(minutes=1)

#: Built once: every API request runs it, and building it costs more than running it.
_ACTIVE_BY_PREFIX = select(ApiKey).where(
    ApiKey.prefix == bindparam("prefix"), ApiKey.revoked_at.is_(None)
)


def hash_key(key: str) -> str:
    """The SHA-256 (hex) that is stored for ``key``."""
    return hashlib.sha256(key.encode()).hexdigest()


def create(name: str, scopes: Iterable[str]) -> tuple[ApiKey, str]:
    """Make a key named ``name`` with ``scopes``.

    :returns: the row and the key itself, which is not stored and cannot be shown again.
    :raises ValidationError: for an empty name or an unknown scope.
    """
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError("name", "a name of 1 to 100 characters is required")
    wanted = sorted(set(scopes))
    unknown = [scope for scope in wanted if scope not in SCOPES]
    if unknown:
        raise ValidationError(
            "scopes", f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(SCOPES)}"
        )
    key = KEY_MARK + secrets.token_urlsafe(32)
    row = ApiKey(
        name=name, prefix=key[:PREFIX_LENGTH], secret_hash=hash_key(key), scopes=" ".join(wanted)
    )
    session().add(row)
    session().flush()
    return row, key


def list_keys(*, include_revoked: bool = True) -> list[ApiKey]:
    """Every key, oldest first."""
    query = select(ApiKey).order_by(ApiKey.id)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    return list(session().scalars(query))


def find(id_or_prefix: str | int) -> ApiKey:
    """The key with this id, or whose prefix (or whole key) starts with this text.

    :raises NotFound: when no key, or more than one, matches.
    :raises ValidationError: for an id no key can have.
    """
    text = str(id_or_prefix).strip()
    if text.isascii() and text.isdigit():
        # At most 20 digits are read (int() of thousands would be slow, then refused).
        number = int(text) if len(text) <= 20 else MAX_ID + 1
        row = session().get(ApiKey, check_int(number, "id", minimum=1, maximum=MAX_ID))
        if row is None:
            raise NotFound(f"no API key with id {text}")
        return row
    if len(text) < len(KEY_MARK) + 4:
        raise NotFound("give the key's id or at least 8 characters of its prefix")
    prefix = text[:PREFIX_LENGTH]
    rows = list(
        session().scalars(select(ApiKey).where(ApiKey.prefix.startswith(prefix, autoescape=True)))
    )
    if len(rows) != 1:
        raise NotFound(
            f"no API key starts with {prefix!r}" if not rows else f"{prefix!r} matches several keys"
        )
    return rows[0]


def revoke(id_or_prefix: str | int) -> ApiKey:
    """Revoke a key (see :func:`find`); revoking twice keeps the first time."""
    row = find(id_or_prefix)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session().flush()
    return row


def authenticate(key: str) -> ApiKey | None:
    """The active key that ``key`` is, or ``None``; records when it was last used."""
    if not isinstance(key, str) or not key.startswith(KEY_MARK) or len(key) > MAX_KEY_LENGTH:
        return None
    digest = hash_key(key)
    candidates = session().scalars(_ACTIVE_BY_PREFIX, {"prefix": key[:PREFIX_LENGTH]})
    found = None
    for row in candidates:
        if hmac.compare_digest(row.secret_hash, digest):
            found = row
    if found is None:
        return None
    now = utcnow()
    if found.last_used_at is None or now - found.last_used_at >= TOUCH_EVERY:
        found.last_used_at = now
        session().flush()
    return found
