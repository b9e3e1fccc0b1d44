"""Fixtures of the insights tests: orders, shipments and cases written straight into the
database (the figures read rows; how the rows came to be is other domains' business)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

from shopcare.cases.models import Case, CaseLine
from shopcare.core.db import session
from shopcare.orders.models import Order
from shopcare.tracking.models import Shipment

MADRID = ZoneInfo("Europe/Madrid")
CONFIG: dict[str, Any] = {
    "SHOPCARE_DEFAULT_TIMEZONE": "Europe/Madrid",
    "SHOPCARE_RATELIMIT_ENABLED": False,
}
_numbers = count(1)


def madrid(*args: int) -> datetime:
    return datetime(*args, tzinfo=MADRID)  # type: ignore[misc]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def order(
    care: Any,
    reference: str,
    lines: list[tuple[str, int, str] | tuple[str, int, str, str | None]],
    *,
    delivered: datetime | None = None,
    placed: datetime | None = None,
    email: str = "ann@example.com",
) -> Order:
    """An order of ``lines`` ``(sku, quantity, unit price[, category])``."""
    placed = placed or (delivered - timedelta(days=3) if delivered else utc(2026, 1, 1))
    return care.orders.record(
        reference,
        email,
        placed,
        [
            {
                "sku": line[0],
                "name": f"Product {line[0]}",
                "quantity": line[1],
                "unit_price": line[2],
                "category": line[3] if len(line) > 3 else None,
            }
            for line in lines
        ],
        delivered_at=delivered,
    )


def case(
    the_order: Order,
    kind: str,
    status: str,
    lines: dict[str, int],
    *,
    reason: str | None = None,
    opened: datetime | None = None,
    **extra: Any,
) -> Case:
    """A case of ``kind`` in ``status`` on ``{sku: units}`` of ``the_order``."""
    number = next(_numbers)
    by_sku = {line.sku: line for line in the_order.lines}
    made = Case(
        request_key=f"k-{number}",
        number=f"R-2026-{number:06d}",
        kind=kind,
        status=status,
        order_id=the_order.id,
        email=the_order.email,
        currency=the_order.currency,
        reason=reason,
        opened_at=opened or utc(2026, 3, 15),
        lines=[
            CaseLine(order_line_id=by_sku[sku].id, quantity=units) for sku, units in lines.items()
        ],
        **extra,
    )
    session().add(made)
    session().flush()
    return made


def shipment(
    the_order: Order,
    carrier: str,
    shipped: datetime,
    delivered: datetime,
    latest: datetime | None = None,
) -> Shipment:
    made = Shipment(
        order_id=the_order.id,
        carrier=carrier,
        tracking_number=f"T{next(_numbers)}",
        status="delivered",
        shipped_at=shipped,
        delivered_at=delivered,
        estimated_latest=latest,
    )
    session().add(made)
    session().flush()
    return made


def survey_fixture() -> Any:
    """A survey with one version and questions nps, csat (rating), ces, and one rating
    question per other area key used by the tests (``q_<area>``), plus an audit check."""
    from shopcare.surveys.models import Question, Survey, SurveyVersion

    survey = Survey(key=f"s{next(_numbers)}", kind="post_purchase")
    version = SurveyVersion(survey=survey, number=1, title_en="T", title_es="T")
    questions = {}
    for position, (key, kind, area) in enumerate(
        [
            ("nps", "nps", "satisfaction"),
            ("csat", "rating", "satisfaction"),
            ("ces", "ces", "processes"),
            ("product", "rating", "product"),
            ("check", "check", "infrastructure"),
        ]
    ):
        questions[key] = Question(
            version=version,
            position=position,
            key=key,
            type=kind,
            area=area,
            text_en=key,
            text_es=key,
        )
    session().add(survey)
    session().flush()
    return survey, version, questions


def answers(
    fixture: Any,
    key: str,
    values: list[int],
    *,
    when: datetime,
    the_order: Order | None = None,
    kind: str = "customer",
    weight: float = 1.0,
) -> None:
    """One response per value, each answering question ``key`` with it."""
    from shopcare.surveys.models import SCALES, Answer, Response

    survey, version, questions = fixture
    question = questions[key]
    low, high = SCALES[question.type]
    for value in values:
        response = Response(
            survey_id=survey.id,
            version_id=version.id,
            order_id=the_order.id if the_order else None,
            kind=kind,
            status="complete",
            created_at=when,
            completed_at=when,
        )
        response.answers.append(
            Answer(
                question_id=question.id,
                kind=kind,
                type=question.type,
                area=question.area,
                weight=weight,
                value=value,
                score=100.0 * (value - low) / (high - low),
                created_at=when,
            )
        )
        session().add(response)
    session().flush()
