"""Shapes declared once as pydantic models, and the older hand-written ``Schemas`` beside
them: a domain that has not converted yet keeps working, in the document and in the
422 it answers."""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from flask import Flask, jsonify
from pydantic import Field

from shopcare.core.api.openapi import Schemas, operation, ref
from shopcare.core.api.parsing import json_body
from shopcare.core.api.shapes import InputShape, Shape, json_schema, standalone_schema
from shopcare.core.state import Routes, State
from tests.fixtures_api import API


class NoteInput(InputShape):
    text: str = Field(max_length=10, pattern=r"\S")
    tag: Annotated[str, Field(max_length=5)] | None = None
    size: Annotated[str, Field(max_length=3)] | Annotated[int, Field(ge=0)] | None = None


class Note(Shape):
    text: str
    tag: str | None


routes = Routes()
schemas = Schemas()
OLD_INPUT = schemas.add(
    "OldNoteInput",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["text"],
        "properties": {"text": {"type": "string", "maxLength": 10}},
    },
)


@routes.post("/test-notes")
@operation("A note, the new way", request_body=NoteInput, responses={200: ("The note", Note)})
def shapes_note() -> Any:
    data = json_body(NoteInput)
    assert isinstance(data, NoteInput)
    return jsonify(Note(text=data.text, tag=data.tag).model_dump(mode="json"))


@routes.post("/test-old-notes")
@operation("A note, the old way", request_body=OLD_INPUT, responses={200: ("It", ref("Order"))})
def shapes_old_note() -> Any:
    data = json_body()
    assert isinstance(data, dict)
    return jsonify({"text": data["text"]})


def _init_app(app: Flask, state: State) -> None:
    state.add_api(routes, schemas=schemas)


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


def test_new_and_old_shapes_side_by_side(app: Flask) -> None:
    client = app.test_client()
    document = client.get(f"{API}/openapi.json").get_json()
    components = document["components"]["schemas"]
    assert {"NoteInput", "Note", "OldNoteInput", "Order", "Error"} <= set(components)
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

    response = client.post(f"{API}/test-old-notes", json={"text": "hi"})
    assert response.status_code == 200 and response.get_json() == {"text": "hi"}
    response = client.post(f"{API}/test-old-notes", json={"text": 1, "more": 1})
    assert response.get_json()["error"]["fields"] == {
        "more": "is not a known field",
        "text": "must be of type string",
    }
