"""Surveys, their versions and questions; invitations, responses and answers; the
e-mail addresses that asked for no more surveys.

A survey that has answers is never edited in place: an edit makes a new
:class:`SurveyVersion`, and each answer points at the :class:`Question` of the version
it answered, so it keeps that version's scale, labels and options for ever. Every
answer also keeps its ``score`` (0-100, DOMAIN.md: ``100 · (v - 1) / (k - 1)``) as
computed when it was given, and its question's ``area``: what the insights read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shopcare.core.db import Base, JSONType, utcnow
from shopcare.orders.models import Order

#: What a survey is for: customers' post-purchase survey, or a mystery-shopper checklist.
SURVEY_KINDS = ("post_purchase", "audit")
#: Question types: rating 1-5, NPS 0-10, CES 1-7, single and multiple choice, comparison
#: with other shops (better / same / worse), free text; ``check`` is an audit item (yes / no).
QUESTION_TYPES = ("rating", "nps", "ces", "choice", "multi", "comparison", "text", "check")
#: An invitation's life: ``sent`` (its e-mail queued) → ``started`` (partial answers) →
#: ``completed``; ``expired`` after the answering window; ``withdrawn`` when the address
#: unsubscribed before answering.
INVITATION_STATUSES = ("sent", "started", "completed", "expired", "withdrawn")
RESPONSE_KINDS = ("customer", "audit")
RESPONSE_STATUSES = ("partial", "complete")


def _in(column: str, values: tuple[str, ...]) -> str:
    return "{} IN ({})".format(column, ", ".join(f"'{value}'" for value in values))


class Survey(Base):
    """A survey, known by its ``key`` (``"post_purchase"``); its questions are those of
    its newest version (:attr:`current`)."""

    __tablename__ = "shopcare_surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[SurveyVersion]] = relationship(
        back_populates="survey", order_by="SurveyVersion.number", lazy="selectin"
    )

    __table_args__ = (CheckConstraint(_in("kind", SURVEY_KINDS), name="kind"),)

    @property
    def current(self) -> SurveyVersion:
        """The newest version: what new invitations and audits answer."""
        return self.versions[-1]

    @property
    def questions(self) -> list[Question]:
        return self.current.questions

    @property
    def number(self) -> int:
        return self.current.number

    def title(self, locale: str | None = None) -> str:
        return self.current.title(locale)

    def __repr__(self) -> str:
        return f"<Survey {self.key} v{self.versions[-1].number if self.versions else '?'}>"


class SurveyVersion(Base):
    """One version of a survey: its titles and questions, frozen once answered."""

    __tablename__ = "shopcare_survey_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("shopcare_surveys.id", ondelete="CASCADE"))
    number: Mapped[int]
    title_en: Mapped[str] = mapped_column(String(200))
    title_es: Mapped[str] = mapped_column(String(200))
    intro_en: Mapped[str] = mapped_column(Text, default="")
    intro_es: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    survey: Mapped[Survey] = relationship(back_populates="versions")
    questions: Mapped[list[Question]] = relationship(
        back_populates="version",
        order_by="Question.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    __table_args__ = (UniqueConstraint("survey_id", "number"),)

    def title(self, locale: str | None = None) -> str:
        return self.title_es if str(locale or "").startswith("es") else self.title_en

    def intro(self, locale: str | None = None) -> str:
        return self.intro_es if str(locale or "").startswith("es") else self.intro_en

    @property
    def pages(self) -> list[list[Question]]:
        """The questions grouped by page, in order."""
        grouped: dict[int, list[Question]] = {}
        for question in self.questions:
            grouped.setdefault(question.page, []).append(question)
        return [grouped[page] for page in sorted(grouped)]


class Question(Base):
    """One question of a survey version.

    ``key`` names the question across versions (the CSV column, the API's answer key);
    ``options`` is a list of ``{"value", "en", "es"}`` for choice and multi questions.
    ``area`` is one of the eight index areas (``shopcare.core.areas.AREAS``),
    ``dimension`` an optional quality dimension (``DIMENSIONS``), ``weight`` its weight
    in its area's index.
    """

    __tablename__ = "shopcare_survey_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("shopcare_survey_versions.id", ondelete="CASCADE")
    )
    position: Mapped[int]
    page: Mapped[int] = mapped_column(default=1)
    key: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(16))
    area: Mapped[str] = mapped_column(String(16))
    dimension: Mapped[str | None] = mapped_column(String(16))
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    required: Mapped[bool] = mapped_column(default=False)
    text_en: Mapped[str] = mapped_column(String(500))
    text_es: Mapped[str] = mapped_column(String(500))
    #: for choice and multi questions: ``[{"value": "card", "en": "Card", "es": "Tarjeta"}]``
    options: Mapped[list[Any] | None] = mapped_column(JSONType, nullable=True)

    version: Mapped[SurveyVersion] = relationship(back_populates="questions")

    __table_args__ = (
        UniqueConstraint("version_id", "key"),
        CheckConstraint(_in("type", QUESTION_TYPES), name="type"),
        CheckConstraint("weight >= 0", name="weight"),
    )

    def text(self, locale: str | None = None) -> str:
        return self.text_es if str(locale or "").startswith("es") else self.text_en

    def option_label(self, value: str, locale: str | None = None) -> str:
        for option in self.options or ():
            if option["value"] == value:
                return str(option["es"] if str(locale or "").startswith("es") else option["en"])
        return value

    @property
    def scale(self) -> tuple[int, int] | None:
        """``(lowest, highest)`` of a numeric question, ``None`` for the others."""
        return SCALES.get(self.type)

    def __repr__(self) -> str:
        return f"<Question {self.key} {self.type} {self.area}>"


#: The numeric scales: ``type: (lowest, highest)``. A comparison is stored as 1 (worse),
#: 2 (same), 3 (better); an audit check as 0 (no) or 1 (yes).
SCALES: dict[str, tuple[int, int]] = {
    "rating": (1, 5),
    "nps": (0, 10),
    "ces": (1, 7),
    "comparison": (1, 3),
    "check": (0, 1),
}


class Invitation(Base):
    """The invitation of one delivered order's shopper to answer a survey (one per order).

    ``token`` is the unguessable key of its answering link (no login).
    """

    __tablename__ = "shopcare_survey_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("shopcare_orders.id", ondelete="CASCADE"), unique=True
    )
    survey_id: Mapped[int] = mapped_column(ForeignKey("shopcare_surveys.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("shopcare_survey_versions.id"))
    email: Mapped[str] = mapped_column(String(254))
    locale: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="sent")
    reminders_sent: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: when its e-mail (or the last reminder) was queued
    last_sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]

    order: Mapped[Order] = relationship(lazy="joined", innerjoin=True)
    survey: Mapped[Survey] = relationship()
    version: Mapped[SurveyVersion] = relationship()

    __table_args__ = (
        # the cool-down (one address's recent invitations) and the reminder pass
        Index("ix_shopcare_survey_invitations_email_created_at", "email", "created_at"),
        Index("ix_shopcare_survey_invitations_status_last_sent_at", "status", "last_sent_at"),
        Index("ix_shopcare_survey_invitations_survey_id_created_at", "survey_id", "created_at"),
        CheckConstraint(_in("status", INVITATION_STATUSES), name="status"),
    )

    def __repr__(self) -> str:
        return f"<Invitation {self.id} order={self.order_id} {self.status}>"


class Response(Base):
    """One filled-in survey: a customer's answer to an invitation (one per invitation),
    or a mystery-shopper audit (``kind="audit"``, no invitation, ``auditor`` named)."""

    __tablename__ = "shopcare_survey_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("shopcare_survey_invitations.id", ondelete="CASCADE"), unique=True
    )
    survey_id: Mapped[int] = mapped_column(ForeignKey("shopcare_surveys.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("shopcare_survey_versions.id"))
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("shopcare_orders.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(16), default="customer")
    status: Mapped[str] = mapped_column(String(16), default="partial")
    #: the shopper ticked "you may contact me about my answers"
    may_contact: Mapped[bool] = mapped_column(default=False)
    #: who filled in an audit (staff member or agency)
    auditor: Mapped[str | None] = mapped_column(String(200))
    #: an audit's score, 0-100 (weighted share of its checks met)
    score: Mapped[float | None] = mapped_column(Float)
    #: the complaint ticket a low answer opened (its reference), once
    followup_reference: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    anonymised_at: Mapped[datetime | None]

    survey: Mapped[Survey] = relationship()
    version: Mapped[SurveyVersion] = relationship()
    invitation: Mapped[Invitation | None] = relationship()
    order: Mapped[Order | None] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        back_populates="response",
        order_by="Answer.id",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    __table_args__ = (
        Index(
            "ix_shopcare_survey_responses_kind_status_completed_at",
            "kind",
            "status",
            "completed_at",
        ),
        Index("ix_shopcare_survey_responses_survey_id_completed_at", "survey_id", "completed_at"),
        CheckConstraint(_in("kind", RESPONSE_KINDS), name="kind"),
        CheckConstraint(_in("status", RESPONSE_STATUSES), name="status"),
    )

    def answer_for(self, key: str) -> Answer | None:
        for answer in self.answers:
            if answer.question.key == key:
                return answer
        return None


class Answer(Base):
    """One question's answer in a response.

    ``value`` is the number given (rating, NPS, CES, comparison, check), ``choice`` the
    option value(s) (several space-separated for ``multi``), ``text`` free text;
    ``score`` the number on 0-100 (``None`` for choice and text) and ``area`` / ``type``
    the question's, copied so that the indices are one query over this table.
    """

    __tablename__ = "shopcare_survey_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("shopcare_survey_responses.id", ondelete="CASCADE")
    )
    question_id: Mapped[int] = mapped_column(ForeignKey("shopcare_survey_questions.id"))
    kind: Mapped[str] = mapped_column(String(16), default="customer")
    type: Mapped[str] = mapped_column(String(16))
    area: Mapped[str] = mapped_column(String(16))
    dimension: Mapped[str | None] = mapped_column(String(16))
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    value: Mapped[int | None]
    choice: Mapped[str | None] = mapped_column(String(500))
    text: Mapped[str | None] = mapped_column(Text)
    score: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    response: Mapped[Response] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (
        UniqueConstraint("response_id", "question_id"),
        # the indices: an area's (or a type's) answers over a period
        Index("ix_shopcare_survey_answers_area_created_at", "area", "created_at"),
        Index("ix_shopcare_survey_answers_type_created_at", "type", "created_at"),
        Index("ix_shopcare_survey_answers_question_id", "question_id"),
        # the dashboard's live days and the insights' daily rollup: answers by time
        Index("ix_shopcare_survey_answers_created_at", "created_at"),
    )


class Unsubscribe(Base):
    """An e-mail address that asked for no more surveys: it holds for ever."""

    __tablename__ = "shopcare_survey_unsubscribes"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
