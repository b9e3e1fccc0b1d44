"""The surveys' part in a person's export and erasure (``shopcare.core.privacy``): the
invitations sent to the person's address or about their orders, their responses with
every answer, and their unsubscribe. Erasure keeps the figures (every score, choice and
time) and removes the address and what they wrote; an unsubscribe is forgotten with the
address (a later order of theirs is a new customer's)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select, update

from shopcare.core.db import session
from shopcare.core.privacy import BLANK, Erased, Found, PrivacyPart
from shopcare.orders.models import Order
from shopcare.surveys.models import Answer, Invitation, Response, Unsubscribe


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _invitations(email: str) -> Any:
    mine = select(Order.id).where(Order.email == email)
    return select(Invitation).where(or_(Invitation.email == email, Invitation.order_id.in_(mine)))


def _responses(invitation_ids: list[int]) -> list[Response]:
    if not invitation_ids:
        return []
    return list(
        session().scalars(
            select(Response).where(Response.invitation_id.in_(invitation_ids)).order_by(Response.id)
        )
    )


def export(email: str) -> Found:
    invitations = session().scalars(_invitations(email).order_by(Invitation.id)).all()
    responses = {r.invitation_id: r for r in _responses([i.id for i in invitations])}
    records: list[dict[str, Any]] = []
    for invitation in invitations:
        response = responses.get(invitation.id)
        records.append(
            {
                "order": invitation.order.reference,
                "email": invitation.email,
                "status": invitation.status,
                "sent_at": _iso(invitation.created_at),
                "reminders_sent": invitation.reminders_sent,
                "completed_at": _iso(invitation.completed_at),
                "response": None
                if response is None
                else {
                    "status": response.status,
                    "may_contact": response.may_contact,
                    "answers": [
                        {
                            "question": answer.question.key,
                            "value": answer.value,
                            "choice": answer.choice,
                            "text": answer.text,
                        }
                        for answer in response.answers
                    ],
                },
            }
        )
    unsubscribed = session().get(Unsubscribe, email)
    if unsubscribed is not None:
        records.append({"unsubscribed": True, "email": email})
    subjects = [("invitation", str(i.id)) for i in invitations]
    subjects += [("response", str(r.id)) for r in responses.values()]
    return Found(records, subjects)


def erase(email: str, alias: str) -> Erased:
    db = session()
    ids = list(db.scalars(_invitations(email).with_only_columns(Invitation.id)))
    responses = _responses(ids)
    response_ids = [r.id for r in responses]
    if ids:
        db.execute(
            update(Invitation)
            .where(Invitation.id.in_(ids))
            .values(email=alias)
            .execution_options(synchronize_session="fetch")
        )
    if response_ids:
        db.execute(
            update(Answer)
            .where(
                Answer.response_id.in_(response_ids), Answer.text.is_not(None), Answer.text != ""
            )
            .values(text=BLANK)
            .execution_options(synchronize_session="fetch")
        )
    gone = db.execute(delete(Unsubscribe).where(Unsubscribe.email == email)).rowcount  # type: ignore[attr-defined]
    db.flush()
    subjects = [("invitation", str(i)) for i in ids] + [("response", str(r)) for r in response_ids]
    return Erased(
        {
            "survey_invitations": len(ids),
            "survey_responses": len(response_ids),
            "unsubscribes": gone,
        },
        subjects,
    )


#: Declared in ``shopcare.surveys.wiring``.
PART = PrivacyPart("surveys", export, erase)
