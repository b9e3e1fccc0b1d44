"""Tracking's part in a person's export and erasure (``shopcare.core.privacy``): the
shipments of the person's orders. Carrier data stays; staff notes are free text and go."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from shopcare.core.db import session
from shopcare.core.privacy import BLANK, Erased, Found, PrivacyPart
from shopcare.orders.models import Order
from shopcare.tracking.models import Shipment


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _theirs(email: str) -> Any:
    return select(Shipment).join(Order, Order.id == Shipment.order_id).where(Order.email == email)


def export(email: str) -> Found:
    shipments = session().scalars(_theirs(email).order_by(Shipment.id)).all()
    records = [
        {
            "order": shipment.order.reference,
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "status": shipment.status,
            "shipped_at": _iso(shipment.shipped_at),
            "delivered_at": _iso(shipment.delivered_at),
            "staff_note": shipment.staff_note,
        }
        for shipment in shipments
    ]
    return Found(records, [("shipment", str(shipment.id)) for shipment in shipments])


def erase(email: str, alias: str) -> Erased:
    ids = list(session().scalars(_theirs(email).with_only_columns(Shipment.id)))
    if ids:
        session().execute(
            update(Shipment)
            .where(Shipment.id.in_(ids), Shipment.staff_note.is_not(None))
            .values(staff_note=BLANK)
            .execution_options(synchronize_session="fetch")
        )
    return Erased({"shipments": len(ids)}, [("shipment", str(shipment_id)) for shipment_id in ids])


#: Declared in ``shopcare.tracking.wiring``.
PART = PrivacyPart("shipments", export, erase)
