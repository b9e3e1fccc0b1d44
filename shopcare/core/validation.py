"""Checks on text that comes in from outside (forms, the API, the host's calls),
shared by every domain before anything reaches the database."""

from __future__ import annotations

import re

from shopcare.core.errors import ValidationError

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
