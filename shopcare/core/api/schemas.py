"""The JSON every API shape shares: the error body, money, datetimes, numbers, a
string's allowed values, a page of a listing.

Money is a decimal string in its currency (``"12.50"``), never a float; datetimes are
ISO 8601 in UTC with their offset. Each domain declares its own shapes beside its
endpoints (``shopcare.<domain>.api``) as pydantic models
(:mod:`shopcare.core.api.shapes`), using the types below.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, PlainSerializer, WithJsonSchema
from pydantic.json_schema import SkipJsonSchema

from shopcare.core.api.openapi import Schema
from shopcare.core.api.shapes import Shape

DATETIME: Schema = {"type": "string", "format": "date-time"}
MONEY: Schema = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$", "examples": ["12.50"]}


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
#: A request field that may be left out but not sent as ``null``:
#: ``reason: Annotated[str, Field(max_length=4000)] | Omitted = None`` (``None`` when left out).
Omitted = SkipJsonSchema[None]
#: In a staff action's request: the object's ``version`` as the client read it (a
#: guarded move then answers 409 if it changed since); ``None`` when not sent.
ReadVersion = Annotated[int, Field(ge=1, le=2**31 - 1)] | None
#: A JSON number in a response, written as it was computed: an ``int`` stays ``7``, a
#: ``float`` ``7.5`` (a plain ``float`` field would write ``7.0``).
Number = Annotated[float | int, WithJsonSchema({"type": "number"})]


def one_of(values: Iterable[str]) -> Any:
    """A string field's allowed values (``Annotated[str, one_of(STATUSES)]``), published
    as its ``enum``: a request body is checked against it; a response is not checked
    again on the way out (a value the code wrote is never a 500)."""
    return Field(json_schema_extra={"enum": list(values)})


class Listing(Shape):
    """A page of a listing; the listing's own shape adds ``items``."""

    page: int = Field(ge=1, description="this page's number, from 1")
    has_next: bool = Field(description="there is a page after this one")


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


__all__ = [
    "DATETIME",
    "MONEY",
    "DateTime",
    "DateTimeInput",
    "Error",
    "ErrorDetail",
    "Listing",
    "Money",
    "Number",
    "Omitted",
    "ReadVersion",
    "error_body",
    "one_of",
]
