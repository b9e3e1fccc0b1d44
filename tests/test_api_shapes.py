"""Shapes declared once as pydantic models: the document's components, the 422 a body
gets, and a body whose JSON schema refers to a model (a list of them, as the carrier
webhook takes)."""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from flask import Flask, jsonify
from pydantic import Field

from shopcare.core.api.openapi import operation, ref
from shopcare.core.api.parsing import json_body
from shopcare.core.api.schemas import Number, one_of
from shopcare.core.api.shapes import InputShape, Shape, dump, json_schema, standalone_schema
from shopcare.core.state import Routes, State
from tests.fixtures_api import API


class NoteInput(InputShape):
    text: str = Field(max_length=10, pattern=r"\S")
    tag: Annotated[str, Field(max_length=5)] | None = None
    size: Annotated[str, Field(max_length=3)] | Annotated[int, Field(ge=0)] | None = None


class Note(Shape):
    text: str
    tag: str | None


class Flag(InputShape):
    colour: Annotated[str, one_of(["red", "green"])]
    shade: Annotated[str, one_of(["light", "dark"])] | None = None


class Reading(Shape):
    value: Number | None


routes = Routes()
NOTES_INPUT = {"type": "array", "maxItems": 2, "items": ref(NoteInput)}


@routes.post("/test-notes")
@operation("A note, the new way", request_body=NoteInput, responses={200: ("The note", Note)})
def shapes_note() -> Any:
    data = json_body(NoteInput)
    assert isinstance(data, NoteInput)
    return jsonify(Note(text=data.text, tag=data.tag).model_dump(mode="json"))


@routes.post("/test-many-notes")
@operation(
    "Notes, in a JSON schema that refers to the model",
    request_body={"type": "object", "properties": {"notes": NOTES_INPUT}},
    responses={200: ("It", ref("Order"))},
)
def shapes_many_notes() -> Any:
    data = json_body()
    assert isinstance(data, dict)
    return jsonify({"count": len(data.get("notes", []))})


@routes.post("/test-flags")
@operation("A flag", request_body=Flag, responses={200: "It"})
def shapes_flag() -> Any:
    return jsonify(json_body(Flag).model_dump())


def _init_app(app: Flask, state: State) -> None:
    state.add_api(routes)


@pytest.fixture
def app(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    from shopcare import extension
    from tests.host import make_app

    feature = types.SimpleNamespace(init_app=_init_app)
    monkeypatch.setattr(extension, "FEATURES", (*extension.FEATURES, feature))
    app, db, _care = make_app(database_url, SHOPCARE_RATELIMIT_ENABLED=False)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_unions_are_written_as_lists_of_types() -> None:
    properties = json_schema(NoteInput)["properties"]
    assert properties["tag"] == {"type": ["string", "null"], "maxLength": 5}
    assert properties["size"] == {
        "type": ["string", "integer", "null"],
        "maxLength": 3,
        "minimum": 0,
    }
    assert "title" not in json_schema(NoteInput)["properties"]["text"]
    assert standalone_schema(NoteInput)["additionalProperties"] is False


def test_one_of_is_an_enum_checked_on_the_way_in() -> None:
    properties = json_schema(Flag)["properties"]
    assert properties["colour"] == {"type": "string", "enum": ["red", "green"]}
    assert properties["shade"] == {"type": ["string", "null"], "enum": ["light", "dark", None]}


def test_a_number_is_written_as_it_was_computed() -> None:
    assert json_schema(Reading, "serialization")["properties"]["value"] == {
        "type": ["number", "null"]
    }
    assert dump(Reading, {"value": 7}) == {"value": 7}
    assert isinstance(dump(Reading, {"value": 7})["value"], int)
    assert dump(Reading, {"value": 7.5}) == {"value": 7.5}


def test_shapes_in_the_document_and_the_checks(app: Flask) -> None:
    client = app.test_client()
    document = client.get(f"{API}/openapi.json").get_json()
    components = document["components"]["schemas"]
    assert {"NoteInput", "Note", "Flag", "Order", "Error"} <= set(components)
    post = document["paths"][f"{API}/test-notes"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/NoteInput"
    }
    assert post["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Note"
    }

    response = client.post(f"{API}/test-notes", json={"text": "hi"})
    assert response.status_code == 200 and response.get_json() == {"text": "hi", "tag": None}
    response = client.post(f"{API}/test-notes", json={"text": "x" * 11, "tag": 3, "more": 1})
    assert response.status_code == 422
    assert response.get_json()["error"] == {
        "code": "validation_failed",
        "message": "Some fields are invalid.",
        "fields": {
            "more": "is not a known field",
            "tag": "must be of type string or null",
            "text": "at most 10 characters",
        },
    }

    response = client.post(f"{API}/test-many-notes", json={"notes": [{"text": "hi"}]})
    assert response.status_code == 200 and response.get_json() == {"count": 1}
    response = client.post(f"{API}/test-many-notes", json={"notes": [{"text": 1, "more": 1}]})
    assert response.get_json()["error"]["fields"] == {
        "notes[0].more": "is not a known field",
        "notes[0].text": "must be of type string",
    }

    # A null where one of some strings is expected is told its type, then its values.
    response = client.post(f"{API}/test-flags", json={"colour": None, "shade": "pale"})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "colour": "must be of type string",
        "shade": "must be one of light, dark, None",
    }
    response = client.post(f"{API}/test-flags", json={"colour": "red"})
    assert response.get_json() == {"colour": "red", "shade": None}
