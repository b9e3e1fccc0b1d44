"""Demo data for the satisfaction dashboard: returns spread over the whole year (so the
return rate by month, by product and by reason, and the money refunded, have something
to show beside the handful of showcase cases), then the daily rollup of the answers
built as the worker would (``care.insights.refresh_rollup``).

Returns are opened through ``care.cases`` a few days after delivery, on about one
delivered order in eight without a case yet, and taken through to closed with a refund
(a few stay received, or are rejected), by the same calls staff would make. Their
e-mails went out at the time: none is left queued; a refund's ``resolved_at`` is set to
when it would have been (six days after the return was opened).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update

from shopcare.cases.models import Case
from shopcare.core.db import utcnow
from shopcare.core.errors import ValidationError
from shopcare.core.events import Actor
from shopcare.core.outbox import OutboxItem
from shopcare.demo.seed_cases import STAFF

if TYPE_CHECKING:
    from shopcare.demo.context import SeedContext

#: The share of delivered orders (without a case yet) that send something back.
RETURN_SHARE = 0.125
#: Why, weighted: sizes dominate, as they do in a shop selling pots and plants by size.
REASONS = ["too_small"] * 3 + ["too_large"] * 2 + ["changed_mind"] * 2


def seed_insights(ctx: SeedContext) -> None:
    """Returns over the year, then the answers' rollup (see the module docstring)."""
    desk = ctx.care.cases
    session = ctx.db.session
    first_item = int(session.scalar(select(func.max(OutboxItem.id))) or 0)
    taken = set(session.scalars(select(Case.order_id)))
    for order in ctx.orders:
        if order.delivered_at is None or order.id in taken:
            continue
        if ctx.rng.random() >= RETURN_SHARE:
            continue
        opened = order.delivered_at + timedelta(days=ctx.rng.randint(2, 9), hours=3)
        if opened >= ctx.now - timedelta(days=2):
            continue
        line = ctx.rng.choice(list(order.lines))
        try:
            case = desk.open(
                order.reference,
                "return",
                {line.sku: 1},
                reason=ctx.rng.choice(REASONS),
                remedy="refund",
                email=order.email,
                now=opened,
                actor=Actor.shopper(order.user_id, order.email),
            )
        except ValidationError:  # past its return period, say: no return then
            continue
        fate = ctx.rng.random()
        number = case.number
        assert number is not None  # a case is numbered when it is opened
        if fate < 0.08:
            desk.reject(number, "The item shows signs of use.", actor=STAFF)
        else:
            desk.approve(number, actor=STAFF)
            desk.receive(number, actor=STAFF)
            if fate >= 0.2:
                found = desk.get(number)
                assert found is not None and found.due_minor is not None
                due = found.due_minor
                desk.resolve(
                    number,
                    "refunded",
                    amount=f"{due / 100:.2f}",
                    reference=f"PAY-{case.id:05d}",
                    actor=STAFF,
                )
                desk.close(number, actor=STAFF)
                # the workflow stamps "now"; the back-filled refund happened back then
                session.execute(
                    update(Case)
                    .where(Case.id == case.id)
                    .values(
                        resolved_at=opened + timedelta(days=6),
                        updated_at=opened + timedelta(days=6),
                    )
                )
        session.commit()
    session.execute(
        update(OutboxItem)
        .where(OutboxItem.id > first_item, OutboxItem.status == "queued")
        .values(status="done", finished_at=utcnow(), sent_at=utcnow())
    )
    ctx.care.insights.refresh_rollup(now=ctx.now)
