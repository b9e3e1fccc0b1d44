"""Demo data for surveys: a year of invitations and answers that move the indices over
the months, detractors (with a follow-up ticket when the complaint queue is mounted and
they may be contacted), partial answers, and two mystery-shopper audits.

Invitations are made by the same pass the workers run (``care.surveys.invite_due``),
walked through the year every few days, so each comes delivery + 7 days after its
order, with the cool-down; answers are given through ``care.surveys.answer`` at the
time they would have been. The e-mails of the back-filled year count as sent.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from shopcare.core.db import utcnow
from shopcare.core.outbox import OutboxItem

if TYPE_CHECKING:
    from shopcare.demo.context import SeedContext

COMMENTS_LOW = (
    "The parcel arrived late and nobody told me.",
    "El paquete llegó tarde y sin avisar.",
    "The mug was chipped.",
)
COMMENTS_HIGH = (
    "Lovely plants, very well packed.",
    "Todo perfecto, repetiré.",
    "Quick delivery, thank you!",
)


def quality(ctx: SeedContext, at: datetime) -> float:
    """How well the shop did at ``at`` on a 1-5 scale: better over the year, with a dip
    in the busy weeks of the fourth and fifth months (late parcels)."""
    start = ctx.now - timedelta(days=ctx.days)
    share = max(0.0, min(1.0, (at - start) / timedelta(days=ctx.days)))
    dip = 0.7 * math.exp(-(((share - 0.35) / 0.07) ** 2))
    return 3.1 + 1.3 * share - dip


def _scale(ctx: SeedContext, mean: float, low: int, high: int, spread: float) -> int:
    return max(low, min(high, round(ctx.rng.gauss(mean, spread))))


def answers_for(ctx: SeedContext, at: datetime) -> dict[str, Any]:
    q = quality(ctx, at)
    rating = {key: _scale(ctx, q, 1, 5, 0.9) for key in (
        "csat", "delivery", "product", "site", "information", "trust", "after_sale")}  # fmt: skip
    rating["delivery"] = _scale(ctx, q - 0.2, 1, 5, 1.0)
    nps = _scale(ctx, 2.4 * q - 2.0, 0, 10, 1.6)
    values: dict[str, Any] = {
        "nps": nps,
        **rating,
        "ces": _scale(ctx, 1.5 * q - 0.6, 1, 7, 1.0),
        "competition": str(_scale(ctx, 0.8 * q - 1.2, 1, 3, 0.6)),
    }
    if ctx.rng.random() < 0.3:
        pool = COMMENTS_LOW if nps <= 6 else COMMENTS_HIGH
        values["comment"] = ctx.rng.choice(pool)
    return values


def _answer(ctx: SeedContext, token: str, answered: datetime, roll: float) -> None:
    values = answers_for(ctx, answered)
    if roll < 0.05:  # started, never finished
        ctx.care.surveys.answer(token, {"nps": values["nps"]}, final=False, now=answered)
        return
    low = values["nps"] <= 6 or values["csat"] <= 2
    ctx.care.surveys.answer(token, values, may_contact=low and ctx.rng.random() < 0.6, now=answered)


def seed_surveys(ctx: SeedContext) -> None:
    """A year of invitations, answers and two audits (see the module docstring)."""
    care = ctx.care
    start = ctx.now - timedelta(days=ctx.days)
    pending: list[tuple[datetime, str, float]] = []  # (answered at, token, roll)
    at = start + timedelta(days=7)
    while at <= ctx.now:
        due = [p for p in pending if p[0] <= at]
        pending = [p for p in pending if p[0] > at]
        for answered, token, roll in sorted(due):
            _answer(ctx, token, answered, roll)
        for invitation in care.surveys.invite_due(now=at):
            roll = ctx.rng.random()
            answered = at + timedelta(hours=ctx.rng.randint(1, 5 * 24))
            if roll < 0.8 and answered < ctx.now:  # one in five never answers
                pending.append((answered, invitation.token, roll))
        care.surveys.remind_and_expire(now=at)
        at += timedelta(days=3)
    for answered, token, roll in sorted(pending):
        _answer(ctx, token, answered, roll)
    audit = care.surveys.audit_survey()
    checks = [q.key for q in audit.questions if q.type == "check"]
    delivered = [o for o in ctx.orders if o.delivered_at is not None]
    if len(delivered) >= 2:
        early, late = delivered[len(delivered) // 4], delivered[-3]
        for order, misses, agency in (
            (early, {"on_time", "question_answered"}, "Agencia Cliente Oculto"),
            (late, set(), "Staff: Marta"),
        ):
            care.surveys.record_audit(
                order.reference,
                {**{key: 0 if key in misses else 1 for key in checks},
                 "notes": "Bought as a normal customer."},
                auditor=agency,
                now=min(ctx.now, _delivered(order) + timedelta(days=2)),
            )  # fmt: skip
    # The back-filled year's e-mails went out at the time: none is sent now.
    ctx.db.session.execute(
        update(OutboxItem)
        .where(OutboxItem.dedupe_key.like("surveys:%"), OutboxItem.status == "queued")
        .values(status="done", finished_at=utcnow(), sent_at=utcnow())
    )


def _delivered(order: Any) -> datetime:
    """When a seeded (delivered) order arrived."""
    assert order.delivered_at is not None
    return order.delivered_at
