"""The cases' part in a person's export and erasure (``shopcare.core.privacy``): the
cases opened with the person's address or on their orders, with their photos."""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import or_, select, update

from shopcare.cases import photos as photo_files
from shopcare.cases.models import Case, CasePhoto
from shopcare.core.db import session
from shopcare.core.privacy import BLANK, Erased, Found, PrivacyPart
from shopcare.orders.models import Order


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _theirs(email: str) -> Any:
    mine = select(Order.id).where(Order.email == email)
    return select(Case).where(or_(Case.email == email, Case.order_id.in_(mine)))


def _photo(photo: CasePhoto) -> dict[str, Any]:
    path = photo_files.path_for(photo.token, photo.content_type)
    data = path.read_bytes() if path.exists() else None
    return {
        "content_type": photo.content_type,
        "width": photo.width,
        "height": photo.height,
        "created_at": _iso(photo.created_at),
        # the picture itself (article 20: in a usable form), base64 data
        "data_base64": base64.b64encode(data).decode("ascii") if data is not None else None,
    }


def export(email: str) -> Found:
    cases = session().scalars(_theirs(email).order_by(Case.id)).all()
    records = [
        {
            "number": case.number,
            "order": case.order.reference,
            "kind": case.kind,
            "status": case.status,
            "email": case.email,
            "name": case.name,
            "reason": case.reason,
            "remedy": case.remedy,
            "exchange_for": case.exchange_for,
            "description": case.description,
            "reject_reason": case.reject_reason,
            "outcome": case.outcome,
            "currency": case.currency,
            "due_minor": case.due_minor,
            "paid_minor": case.paid_minor,
            "opened_at": _iso(case.opened_at),
            "resolved_at": _iso(case.resolved_at),
            "lines": [
                {"sku": line.order_line.sku, "quantity": line.quantity} for line in case.lines
            ],
            "photos": [_photo(photo) for photo in case.photos],
        }
        for case in cases
    ]
    return Found(records, [("case", str(case.id)) for case in cases])


def erase(email: str, alias: str) -> Erased:
    db = session()
    cases = db.scalars(_theirs(email)).all()
    ids = [case.id for case in cases]
    names = {case.name for case in cases if case.name}
    photos = [photo for case in cases for photo in case.photos]
    for photo in photos:
        photo_files.discard(photo.token, photo.content_type, db)
        db.delete(photo)
    if ids:
        db.execute(
            update(Case)
            .where(Case.id.in_(ids))
            .values(email=alias, name=None, user_id=None)
            .execution_options(synchronize_session="fetch")
        )
        for column in (Case.description, Case.exchange_for, Case.reject_reason):
            db.execute(
                update(Case)
                .where(Case.id.in_(ids), column.is_not(None), column != "")
                .values({column.key: BLANK})
                .execution_options(synchronize_session="fetch")
            )
    db.flush()
    return Erased(
        {"cases": len(ids), "photos": len(photos)},
        [("case", str(case_id)) for case_id in ids],
        names,
    )


#: Declared in ``shopcare.cases.wiring``.
PART = PrivacyPart("cases", export, erase, event_text={"case.rejected": ("reason",)})
