"""The JSON every API shape shares: the error body, money, datetimes.

Money is a decimal string in its currency (``"12.50"``), never a float; datetimes are
ISO 8601 in UTC with their offset. Each domain declares its own shapes beside its
endpoints (``shopcare.orders.api``, ``shopcare.tracking.api``) as pydantic models
(:mod:`shopcare.core.api.shapes`), using the types below.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, PlainSerializer, WithJsonSchema

from shopcare.core.api.openapi import Schema, Schemas, ref
from shopcare.core.api.shapes import Shape

#: Hand-written component schemas of the core (none left: the error body is a model).
schemas = Schemas()

DATETIME: Schema = {"type": "string", "format": "date-time"}
MONEY: Schema = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$", "examples": ["12.50"]}


def iso(value: datetime | None) -> str | None:
    """A datetime as ISO 8601 in UTC (``2024-05-01T08:00:00+00:00``)."""
    return value.isoformat() if value is not None else None


def _iso(value: datetime) -> str:
    return value.isoformat()


#: An amount in a response: a ``Decimal``, written as its decimal string (``"12.50"``).
Money = Annotated[
    Decimal, PlainSerializer(str, return_type=str, when_used="json"), WithJsonSchema(MONEY)
]
#: A datetime in a response: ISO 8601 with its offset (``2024-05-01T08:00:00+00:00``).
DateTime = Annotated[
    datetime, PlainSerializer(_iso, return_type=str, when_used="json"), WithJsonSchema(DATETIME)
]
#: A datetime in a request, as the string sent: read it with ``parse_datetime`` (its
#: messages say what is wrong: no offset, not ISO 8601, out of range).
DateTimeInput = Annotated[
    str,
    WithJsonSchema({**DATETIME, "description": "ISO 8601 with its UTC offset (Z or ±hh:mm)"}),
]


class ErrorDetail(Shape):
    code: str = Field(examples=["validation_failed"])
    message: str
    fields: dict[str, str] = Field(description="input field → what is wrong with it")


class Error(Shape):
    """The body of every error."""

    error: ErrorDetail


def error_body(code: str, message: Any, fields: dict[str, Any]) -> dict[str, Any]:
    """The error body as JSON (the :class:`Error` shape)."""
    detail = ErrorDetail(
        code=str(code),
        message=str(message),
        fields={str(name): str(text) for name, text in fields.items()},
    )
    return Error(error=detail).model_dump(mode="json")


ERROR = ref(Error)

__all__ = [
    "DATETIME",
    "ERROR",
    "MONEY",
    "DateTime",
    "DateTimeInput",
    "Error",
    "ErrorDetail",
    "Money",
    "error_body",
    "iso",
    "ref",
    "schemas",
]
