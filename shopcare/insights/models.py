"""The insights' own tables: a daily rollup of the survey answers and its watermark.

The rollup holds counts and sums only (no answer text, no e-mail, no order): nothing in
it is personal data, so no privacy part covers it (README "Insights").
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shopcare.core.db import Base, utcnow


class DailyAnswers(Base):
    """The customer and audit answers of one shop-local ``day`` that share a kind, area,
    type, question and value: how many (``answers``; ``scored`` of them with a 0-100
    score) and their sums of weight, weight x score and weight x score²
    (``weights``, ``total``, ``squares``) — what the dashboard's NPS, CSAT, CES,
    distributions and indices add up (``shopcare.insights.rollup``)."""

    __tablename__ = "shopcare_insights_daily_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    area: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(16))
    question_id: Mapped[int]
    value: Mapped[int]
    answers: Mapped[int]
    scored: Mapped[int]
    weights: Mapped[float] = mapped_column(Float)
    total: Mapped[float] = mapped_column(Float)
    squares: Mapped[float] = mapped_column(Float)

    __table_args__ = (
        # one row per group and day; its leading ``day`` serves the dashboard's ranges
        UniqueConstraint(
            "day",
            "kind",
            "area",
            "type",
            "question_id",
            "value",
            name="uq_shopcare_insights_daily_answers_group",
        ),
    )


class Rollup(Base):
    """Where a rollup stands (one row per rollup ``name``): every shop-local day before
    ``until`` is rolled up, cut in ``zone``; ``last_id`` is the highest source row id
    seen, so a late row for an older day is found and its day redone."""

    __tablename__ = "shopcare_insights_rollups"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    zone: Mapped[str] = mapped_column(String(64))
    until: Mapped[date | None] = mapped_column(Date)
    last_id: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
