"""The JSON every API shape shares: the error body, money, datetimes.

Money is a decimal string in its currency (``"12.50"``), never a float; datetimes are
ISO 8601 in UTC with their offset. Each domain declares its own shapes beside its
endpoints (``shopcare.orders.api``, ``shopcare.tracking.api``).
"""

from __future__ import annotations

from datetime import datetime

from shopcare.core.api.openapi import Schema, Schemas, ref

#: The core's component schemas (the error body).
schemas = Schemas()

DATETIME: Schema = {"type": "string", "format": "date-time"}
MONEY: Schema = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$", "examples": ["12.50"]}

ERROR = schemas.add(
    "Error",
    {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "fields"],
                "properties": {
                    "code": {"type": "string", "examples": ["validation_failed"]},
                    "message": {"type": "string"},
                    "fields": {
                        "type": "object",
                        "additionalProperties": {"type": "string"},
                        "description": "input field → what is wrong with it",
                    },
                },
            }
        },
    },
)


def iso(value: datetime | None) -> str | None:
    """A datetime as ISO 8601 in UTC (``2024-05-01T08:00:00+00:00``)."""
    return value.isoformat() if value is not None else None


__all__ = ["DATETIME", "ERROR", "MONEY", "iso", "ref", "schemas"]
