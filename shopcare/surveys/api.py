"""The surveys' JSON endpoints (``/care/api/v1/surveys``): read surveys and their
responses with an API key carrying ``surveys:read``."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from sqlalchemy import select
from werkzeug.wrappers import Response as HttpResponse

from shopcare.core.api.auth import api_auth
from shopcare.core.api.errors import ApiError
from shopcare.core.api.openapi import Schemas, operation
from shopcare.core.api.schemas import iso
from shopcare.core.areas import AREAS
from shopcare.core.db import session
from shopcare.core.errors import NotFound
from shopcare.core.state import Routes
from shopcare.surveys.models import QUESTION_TYPES, Response, Survey
from shopcare.surveys.services import current_desk

routes = Routes()
schemas = Schemas()

QUESTION_SCHEMA = schemas.add(
    "SurveyQuestion",
    {
        "type": "object",
        "required": ["key", "type", "area", "weight", "required", "page", "text"],
        "properties": {
            "key": {"type": "string"},
            "type": {"type": "string", "enum": list(QUESTION_TYPES)},
            "area": {"type": "string", "enum": list(AREAS)},
            "dimension": {"type": ["string", "null"]},
            "weight": {"type": "number"},
            "required": {"type": "boolean"},
            "page": {"type": "integer"},
            "text": {
                "type": "object",
                "properties": {"en": {"type": "string"}, "es": {"type": "string"}},
            },
            "options": {"type": ["array", "null"], "items": {"type": "object"}},
        },
    },
)
SURVEY_SCHEMA = schemas.add(
    "Survey",
    {
        "type": "object",
        "required": ["key", "kind", "version", "title", "questions"],
        "properties": {
            "key": {"type": "string"},
            "kind": {"type": "string", "enum": ["post_purchase", "audit"]},
            "version": {"type": "integer", "description": "the current version's number"},
            "title": {"type": "object"},
            "questions": {"type": "array", "items": QUESTION_SCHEMA},
        },
    },
)
SURVEY_LIST = schemas.add(
    "SurveyList",
    {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": SURVEY_SCHEMA}},
    },
)
RESPONSE_SCHEMA = schemas.add(
    "SurveyResponse",
    {
        "type": "object",
        "required": ["id", "version", "kind", "status", "answers"],
        "properties": {
            "id": {"type": "integer"},
            "version": {"type": "integer"},
            "kind": {"type": "string", "enum": ["customer", "audit"]},
            "status": {"type": "string", "enum": ["partial", "complete"]},
            "order": {"type": ["string", "null"]},
            "score": {"type": ["number", "null"], "description": "an audit's score, 0-100"},
            "may_contact": {"type": "boolean"},
            "created_at": {"type": "string", "format": "date-time"},
            "completed_at": {"type": ["string", "null"], "format": "date-time"},
            "answers": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["key", "type", "area"],
                    "properties": {
                        "key": {"type": "string"},
                        "type": {"type": "string"},
                        "area": {"type": "string"},
                        "value": {"type": ["integer", "null"]},
                        "choice": {"type": ["string", "null"]},
                        "text": {"type": ["string", "null"]},
                        "score": {"type": ["number", "null"], "description": "0-100"},
                    },
                },
            },
        },
    },
)
RESPONSE_LIST = schemas.add(
    "SurveyResponseList",
    {
        "type": "object",
        "required": ["items", "page", "has_next"],
        "properties": {
            "items": {"type": "array", "items": RESPONSE_SCHEMA},
            "page": {"type": "integer"},
            "has_next": {"type": "boolean"},
        },
    },
)
PER_PAGE = 100


def survey_json(survey: Survey) -> dict[str, Any]:
    """A survey's current version as the API shows it (the ``Survey`` schema)."""
    version = survey.current
    return {
        "key": survey.key,
        "kind": survey.kind,
        "version": version.number,
        "title": {"en": version.title_en, "es": version.title_es},
        "questions": [
            {
                "key": q.key,
                "type": q.type,
                "area": q.area,
                "dimension": q.dimension,
                "weight": q.weight,
                "required": q.required,
                "page": q.page,
                "text": {"en": q.text_en, "es": q.text_es},
                "options": q.options,
            }
            for q in version.questions
        ],
    }


def response_json(response: Response, numbers: dict[int, int]) -> dict[str, Any]:
    return {
        "id": response.id,
        "version": numbers.get(response.version_id, 0),
        "kind": response.kind,
        "status": response.status,
        "order": response.order.reference if response.order else None,
        "score": response.score,
        "may_contact": response.may_contact,
        "created_at": iso(response.created_at),
        "completed_at": iso(response.completed_at),
        "answers": [
            {
                "key": a.question.key,
                "type": a.type,
                "area": a.area,
                "value": a.value,
                "choice": a.choice,
                "text": a.text,
                "score": a.score,
            }
            for a in response.answers
        ],
    }


def _survey(key: str) -> Survey:
    current_desk().list()
    survey = current_desk().get(key)
    if survey is None:
        raise NotFound("no such survey")
    return survey


@routes.get("/surveys")
@operation(
    "List surveys",
    description="Every survey with its current version's questions.",
    responses={200: ("The surveys", SURVEY_LIST)},
    tags=("surveys",),
)
@api_auth(scopes=("surveys:read",))
def list_surveys() -> HttpResponse:
    return jsonify({"items": [survey_json(s) for s in current_desk().list()]})


@routes.get("/surveys/<survey>")
@operation(
    "Read a survey",
    responses={200: ("The survey", SURVEY_SCHEMA)},
    tags=("surveys",),
)
@api_auth(scopes=("surveys:read",))
def get_survey(survey: str) -> HttpResponse:
    return jsonify(survey_json(_survey(survey)))


@routes.get("/surveys/<survey>/responses")
@operation(
    "List a survey's responses",
    description="Newest first, 100 a page; each answer with its question's key, type, "
    "area and its score on 0-100.",
    parameters=[
        {
            "name": "page",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 10000},
        },
        {
            "name": "status",
            "in": "query",
            "schema": {"type": "string", "enum": ["partial", "complete"]},
        },
    ],
    responses={200: ("A page of responses", RESPONSE_LIST), 400: "A bad query parameter"},
    tags=("surveys",),
)
@api_auth(scopes=("surveys:read",))
def list_responses(survey: str) -> HttpResponse:
    for name in ("page", "status"):
        if len(request.args.getlist(name)) > 1:
            raise ApiError(400, "bad_request", f"{name}: give it once", {name: "give it once"})
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 10_000:
        raise ApiError(
            400,
            "bad_request",
            "page: a whole number from 1 to 10000",
            {"page": "a whole number from 1 to 10000"},
        )
    page = int(raw)
    status = request.args.get("status")
    if status is not None and status not in ("partial", "complete"):
        raise ApiError(
            400, "bad_request", "status: partial or complete", {"status": "partial or complete"}
        )
    found = _survey(survey)
    query = select(Response).where(Response.survey_id == found.id)
    if status:
        query = query.where(Response.status == status)
    rows = list(
        session().scalars(
            query.order_by(Response.id.desc()).limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)
        )
    )
    numbers = {v.id: v.number for v in found.versions}
    return jsonify(
        {
            "items": [response_json(r, numbers) for r in rows[:PER_PAGE]],
            "page": page,
            "has_next": len(rows) > PER_PAGE,
        }
    )
