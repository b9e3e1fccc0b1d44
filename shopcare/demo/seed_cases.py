"""Demo data for after-sales cases: every kind in every state it can reach, with photos.

Cases are opened through ``care.cases`` a few days after their order's delivery (so each
is within its period at the time) and moved along the workflow as staff and the host
would: approved, rejected, received, refunded or repaired, closed, or cancelled by the
shopper. A withdrawal is approved the moment it is made, so it is never ``requested``,
``rejected`` or ``cancelled``.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageDraw

from shopcare.core.events import Actor

if TYPE_CHECKING:
    from shopcare.demo.context import SeedContext

STAFF = Actor.staff("demo-staff", "staff@example.com")
#: (kind, the status it ends in) for every state each kind can reach.
PLAN: list[tuple[str, str]] = [
    *[(kind, status) for kind in ("return", "guarantee") for status in (
        "requested", "approved", "rejected", "received", "resolved", "closed", "cancelled",
    )],
    *[("withdrawal", status) for status in ("approved", "received", "resolved", "closed")],
]  # fmt: skip
REASONS = {
    "return": ["too_small", "too_large", "changed_mind", "arrived_damaged"],
    "guarantee": ["stopped_working", "defective", "broken_part"],
}
REMEDIES = {
    "return": ["refund", "exchange", "store_credit"],
    "guarantee": ["repair", "replacement", "refund"],
    "withdrawal": ["refund"],
}
#: what shoppers ask for instead, in an exchange
EXCHANGE_WISHES = ("Size M", "Size L, same colour", "The blue one", "Talla 42", "MUG-2")
OUTCOMES = {
    "refund": "refunded",
    "exchange": "exchanged",
    "store_credit": "credited",
    "repair": "repaired",
    "replacement": "replaced",
}
DESCRIPTIONS = {
    "return": "The colour is not what I expected.",
    "guarantee": "It stopped working after a few weeks.",
    "withdrawal": "",
}


def photo(colour: tuple[int, int, int], label: str) -> bytes:
    """A small picture standing in for a shopper's photo."""
    image = Image.new("RGB", (320, 240), colour)
    ImageDraw.Draw(image).text((16, 16), label, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def seed_cases(ctx: SeedContext) -> None:
    """Open and move the cases of :data:`PLAN` on recently and less recently delivered orders."""
    desk = ctx.care.cases
    arrived = {o.id: o.delivered_at for o in ctx.orders if o.delivered_at is not None}
    delivered = [
        o for o in ctx.orders if o.id in arrived and arrived[o.id] < ctx.now - timedelta(days=3)
    ]
    recent = [o for o in delivered if arrived[o.id] > ctx.now - timedelta(days=25)]
    older = [o for o in delivered if arrived[o.id] <= ctx.now - timedelta(days=25)]
    pools = {"withdrawal": recent, "return": recent or older, "guarantee": older or recent}
    used: set[int] = set()
    for index, (kind, status) in enumerate(PLAN):
        candidates = [o for o in pools[kind] if o.id not in used]
        ctx.rng.shuffle(candidates)
        for order in candidates[:20]:
            eligibility = desk.eligibility(
                order.reference, kind, now=arrived[order.id] + timedelta(days=2)
            )
            lines = sorted(line.sku for line in eligibility.lines if line.eligible)
            if lines:
                break
        else:
            continue
        used.add(order.id)
        sku = ctx.rng.choice(lines)
        remedy = ctx.rng.choice(REMEDIES[kind])
        opened = arrived[order.id] + timedelta(days=2, hours=ctx.rng.randint(1, 30))
        case = desk.open(
            order.reference,
            kind,
            {sku: 1},
            reason=ctx.rng.choice(REASONS[kind]) if kind in REASONS else None,
            remedy=remedy,
            exchange_for=ctx.rng.choice(EXCHANGE_WISHES) if remedy == "exchange" else None,
            description=DESCRIPTIONS[kind],
            photos=[photo((40 + 9 * index, 110, 90), f"{kind} {index}")]
            if kind != "withdrawal"
            else (),
            email=order.email,
            now=opened,
            actor=Actor.shopper(order.user_id, order.email),
        )
        _move(desk, case, status, remedy, ctx)
        ctx.db.session.commit()


def _move(desk: Any, case: Any, status: str, remedy: str, ctx: SeedContext) -> None:
    number = case.number
    if status == "requested":
        return
    if status == "cancelled":
        desk.cancel(number, actor=Actor.shopper(case.user_id, case.email))
        return
    if status == "rejected":
        desk.reject(number, "The item shows signs of use.", actor=STAFF)
        return
    if case.status == "requested":
        desk.approve(number, actor=STAFF)
    if status == "approved":
        return
    desk.receive(number, actor=STAFF)
    if status == "received":
        return
    case = desk.get(number)
    amount = None
    if OUTCOMES[remedy] in ("refunded", "credited"):
        amount = f"{case.due_minor / 100:.2f}"
    desk.resolve(
        number, OUTCOMES[remedy], amount=amount, reference=f"PAY-{case.id:05d}", actor=STAFF
    )
    if status == "closed":
        desk.close(number, actor=STAFF)
