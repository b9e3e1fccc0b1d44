"""The suggestion box's part in a person's export and erasure (``shopcare.core.privacy``):
the tickets filed with the person's address or about their orders, with every message.
Erasure keeps the figures (kind, area, status, priority, channel, times, SLA, the
handling score and votes) and removes the address, the name and every text they wrote."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select, update

from shopcare.core.db import session
from shopcare.core.privacy import BLANK, Erased, Found, PrivacyPart
from shopcare.feedback.models import Ticket, TicketMessage
from shopcare.orders.models import Order


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _theirs(email: str) -> Any:
    mine = select(Order.id).where(Order.email == email)
    return select(Ticket).where(or_(Ticket.email == email, Ticket.order_id.in_(mine)))


def export(email: str) -> Found:
    tickets = session().scalars(_theirs(email).order_by(Ticket.id)).all()
    records = [
        {
            "reference": t.reference,
            "kind": t.kind,
            "area": t.area,
            "status": t.status,
            "channel": t.channel,
            "subject": t.subject,
            "remedy": t.remedy,
            "order": t.order.reference if t.order else None,
            "email": t.email,
            "name": t.name,
            "created_at": _iso(t.created_at),
            "resolved_at": _iso(t.resolved_at),
            "satisfaction_score": t.satisfaction_score,
            "satisfaction_comment": t.satisfaction_comment,
            "messages": [
                {"author": m.author, "body": m.body, "created_at": _iso(m.created_at)}
                for m in t.messages
                if not m.internal
            ],
        }
        for t in tickets
    ]
    return Found(records, [("ticket", str(t.id)) for t in tickets])


def erase(email: str, alias: str) -> Erased:
    db = session()
    tickets = db.scalars(_theirs(email)).all()
    ids = [t.id for t in tickets]
    names = {t.name for t in tickets if t.name}
    if ids:
        db.execute(
            update(Ticket)
            .where(Ticket.id.in_(ids))
            .values(
                email=alias,
                name=None,
                user_id=None,
                subject=BLANK,
                message=BLANK,
                satisfaction_comment=None,
                board_note=None,
                published=False,
            )
            .execution_options(synchronize_session="fetch")
        )
        # what the person wrote goes; staff replies and notes about them too (they quote them)
        db.execute(
            update(TicketMessage)
            .where(TicketMessage.ticket_id.in_(ids))
            .values(body=BLANK)
            .execution_options(synchronize_session="fetch")
        )
    db.flush()
    return Erased({"tickets": len(ids)}, [("ticket", str(i)) for i in ids], names)


#: Declared in ``shopcare.feedback.wiring``.
PART = PrivacyPart("feedback", export, erase)
