"""Reading API requests: the JSON body (checked against the view's declared shape or
schema) and the values JSON cannot carry natively (datetimes)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NoReturn, TypeVar, overload

from flask import current_app, request
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError
from pydantic import BaseModel
from pydantic import ValidationError as ModelError

from shopcare.core.api.errors import ApiError
from shopcare.core.api.openapi import Schema, api_components, declared_operation
from shopcare.core.api.shapes import is_shape, plain, schema_key, standalone_schema
from shopcare.core.errors import ValidationError
from shopcare.core.state import get_state


def _no_constants(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def refuse_lone_surrogates(value: Any) -> None:
    """Raise ValueError for a string holding a lone UTF-16 surrogate (``"\\ud800"``):
    ``json`` accepts the escape, but no such text can be stored or encoded as UTF-8."""
    if isinstance(value, str):
        value.encode("utf-8")  # UnicodeEncodeError is a ValueError
    elif isinstance(value, dict):
        for key, item in value.items():
            refuse_lone_surrogates(key)
            refuse_lone_surrogates(item)
    elif isinstance(value, list):
        for item in value:
            refuse_lone_surrogates(item)


M = TypeVar("M", bound=BaseModel)


@overload
def json_body(schema: type[M]) -> M: ...
@overload
def json_body(schema: Schema | None = None) -> Any: ...
def json_body(schema: Any = None) -> Any:
    """The request's JSON object, checked against ``schema`` (default: the
    ``request_body`` the view declared with ``@operation``). For a pydantic model,
    the model instance; for a JSON schema (or none), the ``dict``.

    Numbers with a fraction are read as :class:`~decimal.Decimal`, exactly as written,
    so ``12.50`` is twelve and a half, never a rounded binary float.

    :raises ApiError: 415 when the body is not ``application/json``, 400 when it is
        not a JSON object, 422 naming each field that breaks the schema; a body over
        the size limit raises 413 on reading.
    """
    if not request.is_json:
        raise ApiError(
            415, "unsupported_media_type", "Send a JSON body (Content-Type: application/json)."
        )
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw, parse_float=Decimal, parse_constant=_no_constants)
        refuse_lone_surrogates(data)
    except (ValueError, RecursionError):
        raise ApiError(400, "malformed_json", "The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "The body must be a JSON object.")
    if schema is None:
        view = current_app.view_functions.get(request.endpoint or "")
        declared = declared_operation(view)
        schema = declared.request_body if declared else None
    if schema is not None:
        check(data, schema)
        if is_shape(schema):
            return shaped(schema, data)
    return data


def check(data: Any, schema: Any) -> None:
    """Validate ``data`` against ``schema``: a pydantic model (its JSON schema, the one
    the document publishes) or a JSON schema (refs resolve to the component schemas).

    :raises ValidationError: naming every field that breaks the schema
        (``lines[0].sku``), the first problem of each.
    """
    fields: dict[str, str] = {}
    errors = _validator(schema).iter_errors(data)
    # A value of the wrong type is told its type first (not "must be one of" for a null).
    for error in sorted(
        errors, key=lambda e: ([str(p) for p in e.absolute_path], e.validator != "type")
    ):
        for name, message in _problems(error):
            fields.setdefault(name, message)
    if fields:
        raise ValidationError(fields)


def shaped(model: type[M], data: Any) -> M:
    """``data`` (already checked with :func:`check`) as an instance of ``model``.

    :raises ValidationError: naming each field pydantic refuses (a model whose
        validators are stricter than its JSON schema).
    """
    try:
        return model.model_validate(data)
    except ModelError as error:
        fields: dict[str, str] = {}
        for problem in error.errors():
            fields.setdefault(field_name(problem["loc"]), problem["msg"])
        raise ValidationError(fields) from None


def _validator(schema: Any) -> Draft202012Validator:
    # Compiled once per app and schema: ``$ref``s resolve to the app's component schemas.
    state = get_state()
    key = schema_key(schema)
    validator: Draft202012Validator | None = state.api_validators.get(key)
    if validator is None:
        if is_shape(schema):
            validator = Draft202012Validator(standalone_schema(schema))
        else:
            components = {"schemas": api_components(state)}
            validator = Draft202012Validator({**plain(schema), "components": components})
        state.api_validators[key] = validator
    return validator


def field_name(path: Iterable[str | int]) -> str:
    """``lines[0].sku`` for the path ``["lines", 0, "sku"]`` (``""`` for the body)."""
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name


def _problems(error: SchemaError) -> list[tuple[str, str]]:
    path = list(error.absolute_path)
    instance, value = error.instance, error.validator_value
    if error.validator == "required" and isinstance(instance, dict):
        return [(field_name([*path, key]), "is required") for key in value if key not in instance]
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        known = error.schema.get("properties", {})
        return [
            (field_name([*path, key]), "is not a known field")
            for key in instance
            if key not in known
        ]
    return [(field_name(path), _message(error))]


def _message(error: SchemaError) -> str:
    value = error.validator_value
    messages = {
        "type": lambda: (
            "must be of type " + " or ".join(value if isinstance(value, list) else [value])
        ),
        "pattern": lambda: "has an invalid format",
        "format": lambda: f"is not a valid {value}",
        "minLength": lambda: f"at least {value} characters",
        "maxLength": lambda: f"at most {value} characters",
        "minimum": lambda: f"must be at least {value}",
        "maximum": lambda: f"must be at most {value}",
        "minItems": lambda: f"needs at least {value} items",
        "maxItems": lambda: f"at most {value} items",
        "enum": lambda: "must be one of " + ", ".join(map(str, value)),
        "oneOf": lambda: error.schema.get("description") or "is not an accepted value",
        "anyOf": lambda: error.schema.get("description") or "is not an accepted value",
    }
    make = messages.get(str(error.validator))
    return make() if make else error.message


def parse_datetime(value: Any, field: str, *, required: bool = True) -> datetime | None:
    """An ISO 8601 datetime with its UTC offset (``2024-05-01T10:00:00+02:00``, ``…Z``).

    :raises ValidationError: for a missing, malformed or naive value.
    """
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ValidationError(field, "an ISO 8601 datetime with offset is required")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(field, "is not an ISO 8601 datetime") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValidationError(field, "needs a UTC offset (e.g. +02:00 or Z)")
    try:
        parsed.astimezone(UTC)  # it is stored in UTC: 0001-01-01T00:00+01:00 cannot be
    except OverflowError:
        raise ValidationError(field, "is out of range") from None
    return parsed
