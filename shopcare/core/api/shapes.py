"""API shapes declared once, as pydantic models.

A request or response body is one :class:`Shape` (a pydantic v2 model); from it come

- the OpenAPI component (``model_json_schema(ref_template="#/components/schemas/{model}")``,
  collected into the document from the operations that refer to the model),
- the request check (:func:`~shopcare.core.api.parsing.json_body` validates the body
  against the model's JSON schema, so the 422 names each field exactly as the document
  says, then returns the model instance),
- the response body (``Model.model_validate(obj, from_attributes=True).model_dump(mode="json")``,
  which :func:`dump` writes).

Input shapes subclass :class:`InputShape` (unknown fields are refused). Money is
:data:`~shopcare.core.api.schemas.Money`, datetimes :data:`~shopcare.core.api.schemas.DateTime`
(responses) and :data:`~shopcare.core.api.schemas.DateTimeInput` (requests, parsed with
``parse_datetime`` for its messages).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import CoreSchema

Schema = dict[str, Any]
Mode = Literal["validation", "serialization"]
REF_TEMPLATE = "#/components/schemas/{model}"


class Shape(BaseModel):
    """A JSON shape of the API (a response body, or part of one)."""

    model_config = ConfigDict(from_attributes=True)


class InputShape(BaseModel):
    """A request body (or part of one): unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


def dump(model: type[BaseModel], obj: Any, *, context: Any = None) -> dict[str, Any]:
    """``obj`` (a row, any object with the attributes, or a dict) in the shape ``model``,
    as JSON; ``context`` reaches the model's validators (``info.context``)."""
    return model.model_validate(obj, from_attributes=True, context=context).model_dump(mode="json")


def is_shape(value: Any) -> bool:
    """Whether ``value`` is a pydantic model class."""
    return isinstance(value, type) and issubclass(value, BaseModel)


class ModelRef(dict[str, Any]):
    """A ``$ref`` to a model's component; remembers the model, so that the document
    includes its schema (see :func:`shopcare.core.api.openapi.ref`)."""

    def __init__(self, model: type[BaseModel]) -> None:
        super().__init__({"$ref": REF_TEMPLATE.format(model=model.__name__)})
        self.model = model


# JSON-schema keywords that apply to one type only: a union of such schemas is written
# as one schema with a list of types, as the hand-written schemas were
# (``{"type": ["string", "null"], "maxLength": 16}``, ``{"type": ["array", "null"],
# "items": …}``), and its 422 message stays
# "must be of type string or null".
_TYPE_KEYWORDS: dict[str, set[str]] = {
    "string": {"maxLength", "minLength", "pattern", "format"},
    "integer": {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"},
    "number": {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"},
    "boolean": set(),
    "array": {"items", "minItems", "maxItems", "uniqueItems"},
    "null": set(),
}

#: Keywords that describe rather than constrain (kept on the merged schema).
_ANY_TYPE = {"description", "examples"}


def _flatten(branches: list[Any]) -> list[Any]:
    flat: list[Any] = []
    for branch in branches:
        if isinstance(branch, dict) and set(branch) == {"anyOf"}:
            flat += _flatten(branch["anyOf"])
        else:
            flat.append(branch)
    return flat


def _merged(branches: list[Any]) -> Schema | None:
    types: list[str] = []
    merged: Schema = {}
    enum: list[Any] | None = None
    for branch in branches:
        kind = branch.get("type") if isinstance(branch, dict) else None
        if not isinstance(kind, str) or kind not in _TYPE_KEYWORDS or kind in types:
            return None
        rest = {k: v for k, v in branch.items() if k != "type"}
        if "enum" in rest:
            if enum is not None:
                return None
            enum = list(rest.pop("enum"))
        if not set(rest) <= _TYPE_KEYWORDS[kind] | _ANY_TYPE or set(rest) & set(merged):
            return None
        types.append(kind)
        merged.update(rest)
    if enum is not None:
        if "null" in types:
            enum.append(None)
        elif len(types) > 1:
            return None
        merged["enum"] = enum
    return {"type": types, **merged}


def _tidy(node: Any) -> Any:
    if isinstance(node, list):
        return [_tidy(item) for item in node]
    if not isinstance(node, dict):
        return node
    tidy = {
        key: _tidy(value)
        for key, value in node.items()
        if not (key == "title" and isinstance(value, str))
    }
    if isinstance(tidy.get("anyOf"), list):
        merged = _merged(_flatten(tidy["anyOf"]))
        if merged is not None:
            rest = {k: v for k, v in tidy.items() if k != "anyOf"}
            tidy = {**merged, **rest}
    return tidy


class ShopcareJsonSchema(GenerateJsonSchema):
    """pydantic's JSON schema, written the way shopcare's document always was: no
    generated titles, and simple unions as lists of types."""

    def default_schema(self, schema: Any) -> JsonSchemaValue:
        # ``= None`` means "may be left out", not a value to publish.
        json_schema: JsonSchemaValue = super().default_schema(schema)
        if schema.get("default", ...) is None:
            json_schema.pop("default", None)
        return json_schema

    def generate(self, schema: CoreSchema, mode: Mode = "validation") -> JsonSchemaValue:
        result: JsonSchemaValue = _tidy(super().generate(schema, mode))
        return result


def json_schema(
    model: type[BaseModel], mode: Mode = "validation", *, ref_template: str = REF_TEMPLATE
) -> Schema:
    """The model's JSON schema; nested models are ``$defs`` named like their class."""
    return model.model_json_schema(
        ref_template=ref_template, schema_generator=ShopcareJsonSchema, mode=mode
    )


def standalone_schema(model: type[BaseModel]) -> Schema:
    """The model's validation schema with its nested models inline in ``$defs`` (what
    request bodies are checked against)."""
    return json_schema(model, "validation", ref_template="#/$defs/{model}")


def components(models: Iterable[tuple[type[BaseModel], Mode]]) -> dict[str, Schema]:
    """The OpenAPI ``components.schemas`` of ``models`` and every model they nest."""
    found: dict[str, Schema] = {}
    for model, mode in models:
        schema = json_schema(model, mode)
        found.update(schema.pop("$defs", {}))
        found[model.__name__] = schema
    return found


def model_refs(node: Any) -> Iterable[type[BaseModel]]:
    """Every model a schema (a model class, a :class:`ModelRef`, or a dict holding them)
    refers to."""
    if is_shape(node):
        yield node
    elif isinstance(node, ModelRef):
        yield node.model
    elif isinstance(node, Mapping):
        for value in node.values():
            yield from model_refs(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from model_refs(value)


def plain(node: Any) -> Any:
    """``node`` as plain JSON (a model class becomes its ``$ref``)."""
    if is_shape(node):
        return {"$ref": REF_TEMPLATE.format(model=node.__name__)}
    if isinstance(node, Mapping):
        return {key: plain(value) for key, value in node.items()}
    if isinstance(node, list | tuple):
        return [plain(value) for value in node]
    return node


def schema_key(schema: Any) -> str:
    """A cache key for a schema (a model class or a JSON schema)."""
    if is_shape(schema):
        return f"model:{schema.__module__}.{schema.__qualname__}"
    return json.dumps(plain(schema), sort_keys=True, default=str)
