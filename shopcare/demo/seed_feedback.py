"""Demo data for the suggestion box: tickets of every kind in every state, from every
channel, some past their SLA, rated closures, canned replies in English and Spanish,
and a public board of suggestions with buyers' votes and one merged duplicate."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shopcare.core.events import Actor
from shopcare.demo.context import SeedContext
from shopcare.feedback.models import CannedReply

#: (kind, area, subject, message, remedy) the demo's shoppers write.
TOPICS: list[tuple[str, str, str, str, str | None]] = [
    (
        "complaint",
        "processes",
        "Parcel arrived two days late",
        "I ordered express and it came on Friday.",
        "apology",
    ),
    (
        "complaint",
        "product",
        "Teapot lid cracked",
        "The lid was cracked when I opened the box.",
        "replacement",
    ),
    (
        "complaint",
        "post_sale",
        "No answer about my guarantee",
        "I wrote twice about the kettle.",
        "explanation",
    ),
    (
        "complaint",
        "product",
        "Charger gave off smoke",
        "The lamp's charger smelt of smoke and got hot.",
        "refund",
    ),
    (
        "suggestion",
        "infrastructure",
        "Plastic-free packaging",
        "Could you ship without plastic fillers?",
        None,
    ),
    (
        "suggestion",
        "product",
        "Larger sizes of the linen apron",
        "The apron is too short for tall people.",
        None,
    ),
    (
        "suggestion",
        "infrastructure",
        "Pick-up point in Malasaña",
        "A pick-up point near Tribunal would help.",
        None,
    ),
    (
        "suggestion",
        "commercial",
        "Gift wrapping at checkout",
        "I would pay a little for gift wrap.",
        None,
    ),
    (
        "compliment",
        "commercial",
        "Lovely handwritten note",
        "Thank you for the note in my parcel!",
        None,
    ),
    (
        "compliment",
        "processes",
        "Fast delivery to Sevilla",
        "Ordered Monday, here on Tuesday.",
        None,
    ),
    (
        "question",
        "processes",
        "Do you ship to the Canary Islands?",
        "And what would it cost?",
        None,
    ),
    ("question", "product", "Is the mug dishwasher safe?", "The label does not say.", None),
]
#: The states each kind is shown in, with the channel it came by.
PLAN: list[tuple[str, str]] = [
    ("new", "phone"), ("acknowledged", "web"), ("in_progress", "email"),
    ("waiting_on_customer", "web"), ("resolved", "in_person"), ("closed", "web"),
]  # fmt: skip
CANNED = [
    ("thanks", "en", None, "Thanks for writing", "Thank you for writing to us. We are looking into it and will come back to you shortly."),
    ("thanks", "es", None, "Gracias por escribir", "Gracias por escribirnos. Lo estamos revisando y te responderemos en breve."),
    ("more", "en", None, "Ask for details", "Could you send us a photo and your order number, please?"),
    ("more", "es", None, "Pedir detalles", "¿Podrías enviarnos una foto y tu número de pedido, por favor?"),
    ("late-parcel", "en", "processes", "Parcel running late", "We are sorry your parcel is late. We have asked the carrier where it is and will write again within one working day.\n\nIf it arrives meanwhile, just let us know."),
    ("late-parcel", "es", "processes", "Paquete con retraso", "Sentimos que tu paquete llegue tarde. Hemos preguntado a la empresa de transporte dónde está y te escribiremos de nuevo en un día laborable.\n\nSi llega antes, avísanos."),
]  # fmt: skip


def seed_feedback(ctx: SeedContext) -> None:
    """Submit and move the demo's tickets through ``care.feedback``."""
    desk = ctx.care.feedback
    staff = Actor.staff("staff", "staff@example.com")
    for key, locale, area, title, body in CANNED:
        ctx.db.session.add(
            CannedReply(
                key=key, locale=locale, area=area, title=title, body=body, updated_by="staff"
            )
        )
    buyers = [o for o in ctx.orders if o.user_id is not None]
    ctx.rng.shuffle(buyers)
    index = 0
    for kind, area, subject, message, remedy in TOPICS:
        for status, channel in PLAN:
            order = buyers[index % len(buyers)] if buyers else None
            index += 1
            opened = ctx.now - timedelta(days=ctx.rng.randint(1, 40), hours=ctx.rng.randint(0, 9))
            ticket = desk.submit(
                kind, subject, message, area=area,
                reference=order.reference if order is not None and kind == "complaint" and status != "new" else None,
                email=None if status == "new" else (order.email if order is not None else "guest@example.com"),
                remedy=remedy, channel=channel, anonymous=kind == "suggestion" and index % 3 == 0,
                user_id=order.user_id if order is not None else "guest",
                actor=Actor.shopper(order.user_id if order else None, order.email if order else None),
                now=opened,
            )  # fmt: skip
            _move(desk, ticket, status, staff, opened, ctx)
    ctx.db.session.commit()
    _board(ctx, staff)
    ctx.db.session.commit()


def _move(desk: Any, ticket: Any, status: str, staff: Actor, opened: Any, ctx: SeedContext) -> None:
    ref = ticket.reference
    if status in ("new", "acknowledged"):  # "new": logged by phone without an e-mail yet
        return
    answered = opened + timedelta(hours=ctx.rng.randint(1, 30))
    if ctx.rng.random() < 0.3:
        desk.reply(
            ref,
            "Checked the order: it left the warehouse late.",
            internal=True,
            actor=staff,
            now=answered,
        )
    desk.reply(ref, "Thank you for telling us. We are on it.", actor=staff, now=answered,
               waiting=status == "waiting_on_customer")  # fmt: skip
    if status in ("resolved", "closed"):
        desk.resolve(ref, "We sent a replacement today; sorry for the trouble.", actor=staff,
                     now=answered + timedelta(hours=ctx.rng.randint(2, 60)))  # fmt: skip
    if status == "closed":
        desk.rate_handling(ref, ctx.rng.choice((3, 4, 5, 5, 2)), "Quick and friendly.",
                           actor=Actor.shopper(ticket.user_id, ticket.email))  # fmt: skip


def _board(ctx: SeedContext, staff: Actor) -> None:
    desk = ctx.care.feedback
    by_subject: dict[str, list[Any]] = {}
    for ticket in desk.queue(kind="suggestion", per_page=200).items:
        by_subject.setdefault(ticket.subject, []).append(ticket)
    statuses = ("under_review", "planned", "in_progress", "done", "declined")
    notes = {
        "planned": "Coming this spring.",
        "done": "Done — thank you!",
        "declined": "Not for now, sorry.",
    }
    voters = sorted({o.user_id for o in ctx.orders if o.user_id is not None})
    for n, group in enumerate(by_subject.values()):
        status = statuses[n % len(statuses)]
        for ticket in group[:2]:
            desk.publish(ticket.reference, status, notes.get(status), actor=staff)
            for user_id in ctx.rng.sample(voters, min(len(voters), ctx.rng.randint(0, 12))):
                desk.vote(ticket.reference, user_id)
        if n == 0 and len(group) >= 2:  # one duplicate merged, its votes kept once
            desk.merge(group[1].reference, group[0].reference, actor=staff)
        elif len(group) >= 2:
            desk.publish(group[1].reference, status, published=False, actor=staff)
