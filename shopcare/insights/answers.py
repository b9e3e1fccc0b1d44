"""Survey figures: the eight indices, NPS, CSAT, CES, their distributions, the response
rate and the mystery-shopper audit scores, from ``shopcare.surveys``' answers.

Every answer keeps its question's area, type, weight and 0-100 score as given
(``shopcare.surveys.models.Answer``), so the figures group answers directly, with no
join back to the survey's current version.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import and_, case, func, select

from shopcare.core.areas import AREAS
from shopcare.core.db import read_rows, session
from shopcare.insights import rollup, stats
from shopcare.insights.models import DailyAnswers
from shopcare.insights.periods import Period, _instant
from shopcare.insights.sql import bucket_index
from shopcare.insights.stats import Figure
from shopcare.surveys.models import Answer, Invitation, Question, Response


def _in(period: Period, column: Any) -> Any:
    return and_(column >= period.start_utc, column < period.end_utc)


def _customer_answers(period: Period) -> Any:
    return and_(
        Answer.kind == "customer", Answer.value.is_not(None), _in(period, Answer.created_at)
    )


def weighted_mean(n: int, weights: float, total: float, squares: float, minimum: int) -> Figure:
    """A weighted mean with a t interval, from SQL sums: ``n`` answers, the sum of their
    ``weights``, of weight x score (``total``) and of weight x score² (``squares``).

    The spread is the weighted variance scaled to n - 1 (frequency weights normalised
    to n): s² = (Σw·x² - Σw·m²)/Σw · n/(n - 1); margin t(0.975, n - 1)·s/√n. With every
    weight 1 this is the ordinary t interval."""
    if n <= 0 or n < minimum or weights <= 0:
        return Figure(None, n)
    mean = total / weights
    if n < 2:
        return Figure(mean, n)
    variance = max(0.0, (squares - weights * mean * mean) / weights) * n / (n - 1)
    margin = stats.t_quantile(0.975, n - 1) * math.sqrt(variance / n)
    return Figure(mean, n, max(0.0, mean - margin), min(100.0, mean + margin))


def _sums() -> tuple[Any, ...]:
    return (
        func.count(Answer.id),
        func.coalesce(func.sum(Answer.weight), 0.0),
        func.coalesce(func.sum(Answer.weight * Answer.score), 0.0),
        func.coalesce(func.sum(Answer.weight * Answer.score * Answer.score), 0.0),
    )


def indices(
    period: Period, minimum: int, *, kind: str = "customer", orders: Any = None
) -> dict[str, Figure]:
    """``{area: Figure}`` for the eight areas (DOMAIN.md: the weighted mean of the 0-100
    scores of the answers tagged with the area), ``kind="audit"`` for the
    mystery-shopper audits' answers; ``orders``, a select of order ids, keeps only the
    answers about those orders (a product's page). Hidden below ``minimum`` answers."""
    query = (
        select(Answer.area, *_sums())
        .where(Answer.kind == kind, Answer.score.is_not(None), _in(period, Answer.created_at))
        .group_by(Answer.area)
    )
    if orders is not None:
        query = query.join(Response, Response.id == Answer.response_id).where(
            Response.order_id.in_(orders)
        )
    rows = session().execute(query).all()
    found = {area: (int(n), float(w), float(t), float(s)) for area, n, w, t, s in rows}
    return {
        area: weighted_mean(*found.get(area, (0, 0.0, 0.0, 0.0)), minimum=minimum) for area in AREAS
    }


def index_trend(period: Period, minimum: int) -> list[tuple[Any, dict[str, Figure]]]:
    """Each month of the period with ``{area: Figure}`` (gaps are ``Figure(None, 0)``)."""
    buckets = period.buckets("month")
    index = bucket_index(Answer.created_at, buckets).label("bucket")
    rows = (
        session()
        .execute(
            select(index, Answer.area, *_sums())
            .where(
                Answer.kind == "customer", Answer.score.is_not(None), _in(period, Answer.created_at)
            )
            .group_by(index, Answer.area)
        )
        .all()
    )
    found = {
        (int(i), area): (int(n), float(w), float(t), float(s))
        for i, area, n, w, t, s in rows
        if i is not None
    }
    return [
        (
            bucket,
            {
                area: weighted_mean(*found.get((i, area), (0, 0.0, 0.0, 0.0)), minimum=minimum)
                for area in AREAS
            },
        )
        for i, bucket in enumerate(buckets)
    ]


def distribution(period: Period, question_type: str, key: str | None = None) -> dict[int, int]:
    """How many customer answers gave each value, for one question type (and key):
    ``{0: 3, 1: 0, …, 10: 12}`` over the type's whole scale."""
    from shopcare.surveys.models import SCALES

    query = (
        select(Answer.value, func.count())
        .where(_customer_answers(period), Answer.type == question_type)
        .group_by(Answer.value)
    )
    if key is not None:
        query = query.join(Question, Question.id == Answer.question_id).where(Question.key == key)
    counted = {int(value or 0): int(count) for value, count in session().execute(query).all()}
    low, high = SCALES[question_type]
    return {value: counted.get(value, 0) for value in range(low, high + 1)}


def nps(period: Period, minimum: int) -> Figure:
    """NPS over the customer answers to NPS questions (adjusted-Wald interval)."""
    counts = distribution(period, "nps")
    promoters = counts[9] + counts[10]
    detractors = sum(counts[v] for v in range(0, 7))
    return stats.nps(promoters, detractors, sum(counts.values()), minimum=minimum)


def csat(period: Period, minimum: int) -> Figure:
    """CSAT: the share of answers of 4 or 5 to the overall-satisfaction question (key
    ``csat``, a 1-5 rating), Wilson interval."""
    counts = distribution(period, "rating", key="csat")
    return stats.wilson(counts[4] + counts[5], sum(counts.values()), minimum=minimum)


def ces(period: Period, minimum: int) -> Figure:
    """CES: the mean of the 1-7 answers to CES questions, t interval."""
    n, total, squares = (
        session()
        .execute(
            select(
                func.count(Answer.id),
                func.coalesce(func.sum(Answer.value), 0),
                func.coalesce(func.sum(Answer.value * Answer.value), 0),
            ).where(_customer_answers(period), Answer.type == "ces")
        )
        .one()
    )
    return stats.mean_t(int(n), float(total or 0), float(squares or 0), minimum=minimum)


def response_rate(period: Period) -> Figure:
    """Answered invitations / delivered invitations, for invitations sent in the period
    (Wilson interval; withdrawn invitations, never delivered, left out)."""
    sent, answered = (
        session()
        .execute(
            select(
                func.count(Invitation.id),
                func.sum(case((Invitation.completed_at.is_not(None), 1), else_=0)),
            ).where(Invitation.status != "withdrawn", _in(period, Invitation.created_at))
        )
        .one()
    )
    return stats.wilson(int(answered or 0), int(sent), minimum=1)


class Summary:
    """Every survey figure of two periods (a period and its comparison) from grouped
    rows: counts and weighted sums per month bucket, kind, area, type, question and
    value — the days the daily rollup covers from it (``shopcare.insights.rollup``), the
    others (today, anything after its watermark) from the answers themselves; the two
    sets of rows add up to what one scan of the answers gives. The figures are then
    added up from those grouped rows, so the dashboard reads the answers once instead
    of once per figure. ``use_rollup=False`` reads everything from the answers."""

    def __init__(
        self, current: Period, previous: Period, minimum: int, *, use_rollup: bool = True
    ) -> None:
        from shopcare.surveys.models import SCALES

        self.minimum = minimum
        self.scales = SCALES
        self.previous_buckets = previous.buckets("month")
        self.current_buckets = current.buckets("month")
        buckets = [*self.previous_buckets, *self.current_buckets]
        # closed days from the daily rollup, the rest (today, days after the watermark,
        # or everything when there is no rollup for the shop's zone) live
        until = rollup.usable_until(current.zone) if use_rollup else None
        live_from = previous.start_utc
        self.rows: list[Any] = []
        if until is not None and until > previous.start:
            live_from = max(live_from, _instant(until, current.zone))
            index = bucket_index(DailyAnswers.day, buckets, dates=True).label("bucket")
            self.rows += read_rows(
                select(
                    index,
                    DailyAnswers.kind,
                    DailyAnswers.area,
                    DailyAnswers.type,
                    DailyAnswers.question_id,
                    DailyAnswers.value,
                    func.sum(DailyAnswers.answers),
                    func.sum(DailyAnswers.weights),
                    func.sum(DailyAnswers.total),
                    func.sum(DailyAnswers.squares),
                    func.sum(DailyAnswers.scored),
                )
                .where(
                    DailyAnswers.day >= previous.start,
                    DailyAnswers.day < min(until, current.end),
                )
                .group_by(
                    index,
                    DailyAnswers.kind,
                    DailyAnswers.area,
                    DailyAnswers.type,
                    DailyAnswers.question_id,
                    DailyAnswers.value,
                ),
                {},
            ).all()
        if live_from < current.end_utc:
            index = bucket_index(Answer.created_at, buckets).label("bucket")
            self.rows += (
                session()
                .execute(
                    select(
                        index,
                        Answer.kind,
                        Answer.area,
                        Answer.type,
                        Answer.question_id,
                        Answer.value,
                        func.count(Answer.id),
                        func.coalesce(func.sum(Answer.weight), 0.0),
                        func.coalesce(func.sum(Answer.weight * Answer.score), 0.0),
                        func.coalesce(func.sum(Answer.weight * Answer.score * Answer.score), 0.0),
                        func.count(Answer.score),
                    )
                    .where(
                        Answer.value.is_not(None),
                        Answer.created_at >= live_from,
                        Answer.created_at < current.end_utc,
                    )
                    .group_by(
                        index,
                        Answer.kind,
                        Answer.area,
                        Answer.type,
                        Answer.question_id,
                        Answer.value,
                    )
                )
                .all()
            )
        self.split = len(self.previous_buckets)
        self._by_bucket: dict[int, list[Any]] | None = None
        self._figures: dict[tuple[Any, ...], Any] = {}
        # the CSAT question's ids (one per survey version): a small look-up, not a join
        self.csat_ids = set(session().scalars(select(Question.id).where(Question.key == "csat")))

    def _select(self, which: str, bucket: int | None = None) -> list[Any]:
        if self._by_bucket is None:  # the rows by bucket, once (a few thousand rows)
            self._by_bucket = {}
            for row in self.rows:
                if row[0] is not None:
                    self._by_bucket.setdefault(int(row[0]), []).append(row)
        if bucket is not None:
            wanted = [self.split + bucket]
        elif which == "current":
            wanted = list(range(self.split, self.split + len(self.current_buckets)))
        else:
            wanted = list(range(self.split))
        return [row for index in wanted for row in self._by_bucket.get(index, ())]

    def prepared(self) -> Summary:
        """This summary with every figure the dashboard reads already computed (and
        remembered): called in the dashboard's lane, so that this Python runs while the
        other lanes wait for the database, not after them. Returns ``self``."""
        for which in ("current", "previous"):
            self.indices(which)
            self.nps(which)
            self.csat(which)
            self.ces(which)
        self.indices(kind="audit")
        self.trend()
        for question_type in ("nps", "ces"):
            self.distribution(question_type)
        return self

    def indices(
        self, which: str = "current", *, kind: str = "customer", bucket: int | None = None
    ) -> dict[str, Figure]:
        """The eight indices (``{area: Figure}``) of the period (or ``"previous"``, or one
        of the period's buckets), from the customers' answers (or ``kind="audit"``).
        Remembered: read-only."""
        remembered = self._figures.get(("indices", which, kind, bucket))
        if remembered is None:
            remembered = self._figures[("indices", which, kind, bucket)] = self._indices(
                which, kind, bucket
            )
        return remembered

    def _indices(self, which: str, kind: str, bucket: int | None) -> dict[str, Figure]:
        sums: dict[str, list[float]] = {area: [0, 0.0, 0.0, 0.0] for area in AREAS}
        for row in self._select(which, bucket):
            if row[1] != kind or row[2] not in sums or not row[10]:
                continue
            total = sums[row[2]]
            total[0] += int(row[10])
            total[1] += float(row[7])
            total[2] += float(row[8])
            total[3] += float(row[9])
        minimum = self.minimum if kind == "customer" else 1
        return {
            area: weighted_mean(int(n), w, t, s, minimum=minimum)
            for area, (n, w, t, s) in sums.items()
        }

    def trend(self) -> list[tuple[Any, dict[str, Figure]]]:
        return [(bucket, self.indices(bucket=i)) for i, bucket in enumerate(self.current_buckets)]

    def distribution(
        self, question_type: str, which: str = "current", key: str | None = None
    ) -> dict[int, int]:
        """``{value: answers}`` of the customers' answers of ``question_type`` (``key``
        ``"csat"``: the CSAT question's only). Remembered: read-only."""
        remembered = self._figures.get(("distribution", question_type, which, key))
        if remembered is None:
            remembered = self._figures[("distribution", question_type, which, key)] = (
                self._distribution(question_type, which, key)
            )
        return remembered

    def _distribution(self, question_type: str, which: str, key: str | None) -> dict[int, int]:
        low, high = self.scales[question_type]
        counts = {value: 0 for value in range(low, high + 1)}
        for row in self._select(which):
            if (
                row[1] == "customer"
                and row[3] == question_type
                and (key is None or row[4] in self.csat_ids)
            ):
                counts[int(row[5])] = counts.get(int(row[5]), 0) + int(row[6])
        return counts

    def nps(self, which: str = "current") -> Figure:
        counts = self.distribution("nps", which)
        return stats.nps(
            counts[9] + counts[10],
            sum(counts[v] for v in range(0, 7)),
            sum(counts.values()),
            minimum=self.minimum,
        )

    def csat(self, which: str = "current") -> Figure:
        counts = self.distribution("rating", which, key="csat")
        return stats.wilson(counts[4] + counts[5], sum(counts.values()), minimum=self.minimum)

    def ces(self, which: str = "current") -> Figure:
        counts = self.distribution("ces", which)
        n = sum(counts.values())
        total = sum(value * count for value, count in counts.items())
        squares = sum(value * value * count for value, count in counts.items())
        return stats.mean_t(n, float(total), float(squares), minimum=self.minimum)
