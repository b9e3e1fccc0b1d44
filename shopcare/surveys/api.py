"""The surveys' JSON endpoints (``/care/api/v1/surveys``): read surveys and their
responses with an API key carrying ``surveys:read``.

Each answer is declared once, as a pydantic model below (:mod:`shopcare.core.api.shapes`):
``Survey`` (its current version's questions, texts in English and Spanish),
``SurveyList``, ``SurveyResponse`` (answers scored 0-100) and ``SurveyResponseList``; the
OpenAPI document takes its components from them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from flask import jsonify, request
from pydantic import AliasPath, BeforeValidator, Field
from sqlalchemy import select
from werkzeug.wrappers import Response as HttpResponse

from shopcare.core.api.auth import api_auth
from shopcare.core.api.errors import ApiError
from shopcare.core.api.openapi import operation
from shopcare.core.api.schemas import DateTime, Listing, Number, one_of
from shopcare.core.api.shapes import Shape, dump
from shopcare.core.areas import AREAS
from shopcare.core.db import session
from shopcare.core.errors import NotFound
from shopcare.core.state import Routes
from shopcare.surveys.models import (
    QUESTION_TYPES,
    RESPONSE_KINDS,
    RESPONSE_STATUSES,
    SURVEY_KINDS,
    Response,
)
from shopcare.surveys.models import Survey as SurveyRow
from shopcare.surveys.services import current_desk

#: The surveys' endpoints (``state.add_api`` in the wiring); their shapes are below.
routes = Routes()


class SurveyText(Shape):
    """A text in each of the survey's languages."""

    en: str
    es: str


def _in_each_language(text: Callable[[str], str]) -> dict[str, str]:
    # ``Question.text(locale)``, ``Survey.title(locale)``: read in each language.
    return {locale: text(locale) for locale in SurveyText.model_fields}


Translated = Annotated[SurveyText, BeforeValidator(_in_each_language)]


class SurveyQuestion(Shape):
    key: str
    type: Annotated[str, one_of(QUESTION_TYPES)]
    area: Annotated[str, one_of(AREAS)]
    dimension: str | None
    weight: Number
    required: bool
    page: int
    text: Translated
    options: list[dict[str, Any]] | None


class Survey(Shape):
    """A survey with its current version's questions."""

    key: str
    kind: Annotated[str, one_of(SURVEY_KINDS)]
    version: int = Field(validation_alias="number", description="the current version's number")
    title: Translated
    questions: list[SurveyQuestion]


class SurveyList(Shape):
    items: list[Survey]


class SurveyAnswer(Shape):
    key: str = Field(validation_alias=AliasPath("question", "key"))
    type: str
    area: str
    value: int | None
    choice: str | None
    text: str | None
    score: Number | None = Field(description="0-100")


class SurveyResponse(Shape):
    id: int
    version: int = Field(validation_alias=AliasPath("version", "number"))
    kind: Annotated[str, one_of(RESPONSE_KINDS)]
    status: Annotated[str, one_of(RESPONSE_STATUSES)]
    order: str | None = Field(None, validation_alias=AliasPath("order", "reference"))
    score: Number | None = Field(description="an audit's score, 0-100")
    may_contact: bool
    created_at: DateTime
    completed_at: DateTime | None
    answers: list[SurveyAnswer]


class SurveyResponseList(Listing):
    items: list[SurveyResponse]


PER_PAGE = 100


def _survey(key: str) -> SurveyRow:
    current_desk().list()
    survey = current_desk().get(key)
    if survey is None:
        raise NotFound("no such survey")
    return survey


@routes.get("/surveys")
@operation(
    "List surveys",
    description="Every survey with its current version's questions.",
    responses={200: ("The surveys", SurveyList)},
    tags=("surveys",),
)
@api_auth(scopes=("surveys:read",))
def list_surveys() -> HttpResponse:
    return jsonify(dump(SurveyList, {"items": current_desk().list()}))


@routes.get("/surveys/<survey>")
@operation(
    "Read a survey",
    responses={200: ("The survey", Survey)},
    tags=("surveys",),
)
@api_auth(scopes=("surveys:read",))
def get_survey(survey: str) -> HttpResponse:
    return jsonify(dump(Survey, _survey(survey)))


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
            "schema": {"type": "string", "enum": list(RESPONSE_STATUSES)},
        },
    ],
    responses={200: ("A page of responses", SurveyResponseList), 400: "A bad query parameter"},
    tags=("surveys",),
)
@api_auth(scopes=("surveys:read",))
def list_responses(survey: str) -> HttpResponse:
    for name in ("page", "status"):
        if len(request.args.getlist(name)) > 1:
            raise ApiError(400, "bad_request", f"{name}: give it once", {name: "give it once"})
    raw = request.args.get("page", "1")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 10_000:
        raise ApiError(
            400,
            "bad_request",
            "page: a whole number from 1 to 10000",
            {"page": "a whole number from 1 to 10000"},
        )
    page = int(raw)
    status = request.args.get("status")
    if status is not None and status not in RESPONSE_STATUSES:
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
    listing = {"items": rows[:PER_PAGE], "page": page, "has_next": len(rows) > PER_PAGE}
    return jsonify(dump(SurveyResponseList, listing))
