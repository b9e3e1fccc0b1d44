"""Checks on text and times that come in from outside (forms, the API, the host's
calls), shared by every domain before anything reaches the database."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email

from shopcare.core.errors import ConfigError, ValidationError

#: What ``SHOPCARE_NAIVE_DATETIMES`` may say a naive datetime from the host means.
NAIVE_DATETIME_POLICIES = ("utc", "refuse")

# C0 controls but tab, newline and carriage return, and DEL. PostgreSQL refuses NUL
# in text outright (SQLite stores it), and none of them belongs in a shop's data.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# A lone UTF-16 surrogate ("\ud800" in JSON, or from Python): no database can store it
# as UTF-8, so it would raise UnicodeEncodeError on the way in, not a ValidationError.
_SURROGATE = re.compile("[\ud800-\udfff]")


def has_control_characters(value: str) -> bool:
    """Whether ``value`` holds a control character no shop text should have."""
    return _CONTROL.search(value) is not None


def check_text(value: str, field: str) -> str:
    """Return ``value``, or raise :class:`ValidationError` naming ``field`` when it holds
    control characters."""
    if has_control_characters(value):
        raise ValidationError(field, "contains control characters")
    if _SURROGATE.search(value):
        raise ValidationError(field, "contains a lone surrogate (not text)")
    return value


def text(
    value: Any, field: str, limit: int, *, required: bool = True, strip: bool = True
) -> str | None:
    """Text that comes in from outside, checked: the one rule for every text field.

    Stripped (unless ``strip=False``), free of control characters, at most ``limit``
    characters. ``None`` or blank is refused when ``required``, else read as ``None``.

    :raises ValidationError: naming ``field``.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError(field, "is required")
        return None
    if not isinstance(value, str):
        raise ValidationError(field, "must be text")
    value = check_text(value.strip() if strip else value, field)
    if len(value) > limit:
        raise ValidationError(field, f"at most {limit} characters")
    return value


def required_text(value: Any, field: str, limit: int, *, strip: bool = True) -> str:
    """:func:`text` for a field that must be there (typed as ``str``)."""
    checked = text(value, field, limit, strip=strip)
    assert checked is not None
    return checked


def aware_datetime(value: Any, field: str) -> datetime:
    """``value`` if it is a timezone-aware datetime (shopcare's own times: no naive
    policy applies, unlike :func:`host_datetime`).

    :raises ValidationError: naming ``field``.
    """
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(field, "must be a timezone-aware datetime")
    return value


def host_datetime(value: Any, field: str) -> datetime:
    """A datetime the host hands in (``placed_at``, ``occurred_at`` …), timezone-aware.

    A naive one is read as UTC — the common Flask-SQLAlchemy habit — unless
    ``SHOPCARE_NAIVE_DATETIMES = "refuse"``, which refuses it.

    :raises ValidationError: naming ``field`` for a value that is not a datetime, a
        refused naive one, or one that cannot be expressed in UTC.
    """
    from shopcare.core.config import setting

    if not isinstance(value, datetime):
        raise ValidationError(field, "a datetime is required")
    if value.tzinfo is None or value.utcoffset() is None:
        policy = setting("SHOPCARE_NAIVE_DATETIMES")
        if policy not in NAIVE_DATETIME_POLICIES:
            raise ConfigError(
                f"SHOPCARE_NAIVE_DATETIMES = {policy!r}; use one of {NAIVE_DATETIME_POLICIES}"
            )
        if policy == "refuse":
            raise ValidationError(
                field, "must be timezone-aware (SHOPCARE_NAIVE_DATETIMES refuses naive ones)"
            )
        value = value.replace(tzinfo=UTC)
    try:
        value.astimezone(UTC)  # stored in UTC: 0001-01-01T00:00+01:00 cannot be
    except OverflowError:
        raise ValidationError(field, "is out of range") from None
    return value


#: The largest id an INTEGER primary key holds (PostgreSQL's int4); BIGINT ones
#: (the event log, the outbox) hold :data:`MAX_BIG_ID`.
MAX_ID = 2**31 - 1
MAX_BIG_ID = 2**63 - 1


def check_int(value: Any, field: str, *, minimum: int, maximum: int) -> int:
    """``value`` if it is a whole number (not a bool) within ``minimum``…``maximum``.

    Every number shopcare accepts from its API or its Python API goes through here, so
    none reaches the database out of its column's range (an error there, not a
    :class:`ValidationError` naming the field).

    :raises ValidationError: naming ``field``.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, "must be a whole number")
    if not minimum <= value <= maximum:
        raise ValidationError(field, f"must be between {minimum} and {maximum}")
    return value


def form_id(text: str | None) -> int | None:
    """A form's or URL's id or version (``"12"``) as an int, or ``None`` when it is not
    one a column can hold (blank, not digits, 0, above :data:`MAX_ID`): the caller answers
    as for a stale or missing row, never with a database error."""
    if not text or not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def email_address(value: Any, field: str = "email", *, lower: bool = True) -> str:
    """A checked e-mail address, as shopcare stores and sends to it (in lower case
    unless ``lower=False``).

    Refused, with the reason: anything that is not an address, and an address whose
    part before the ``@`` is not ASCII — sending to it needs SMTPUTF8, which many
    mail servers lack, so every e-mail to it would fail for hours before it was
    marked failed. A non-ASCII domain is fine (it is sent as IDNA).

    :raises ValidationError: naming ``field``.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, "an e-mail address is required")
    try:
        checked = validate_email(value.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise ValidationError(field, str(error)) from None
    address = str(checked.normalized)
    return address.lower() if lower else address
