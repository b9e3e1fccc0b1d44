"""Checks on text that comes in from outside (forms, the API, the host's calls),
shared by every domain before anything reaches the database."""

from __future__ import annotations

import re
from typing import Any

from email_validator import EmailNotValidError, validate_email

from shopcare.errors import ValidationError

# C0 controls but tab, newline and carriage return, and DEL. PostgreSQL refuses NUL
# in text outright (SQLite stores it), and none of them belongs in a shop's data.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control_characters(value: str) -> bool:
    """Whether ``value`` holds a control character no shop text should have."""
    return _CONTROL.search(value) is not None


def check_text(value: str, field: str) -> str:
    """Return ``value``, or raise :class:`ValidationError` naming ``field`` when it holds
    control characters."""
    if has_control_characters(value):
        raise ValidationError(field, "contains control characters")
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
