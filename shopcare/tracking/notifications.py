"""Who hears about a tracking change by e-mail: the shopper, through the outbox (the
host hears through its signals, sent with ``shopcare.core.signals.send``)."""

from __future__ import annotations

from shopcare.core.events import Event
from shopcare.core.outbox import enqueue_mail
from shopcare.orders.models import Order
from shopcare.tracking.models import Shipment


def mail_shopper(order: Order, shipment: Shipment, event: Event) -> None:
    """Queue the status e-mail (once per event), in the order's language."""
    enqueue_mail(
        order.email,
        "tracking/status_changed",
        {
            "order_id": order.id,
            "reference": order.reference,
            "status": shipment.status,
            "carrier": shipment.carrier_name,
            "tracking_number": shipment.tracking_number,
            "tracking_url": shipment.tracking_url,
            "location": event.data.get("location"),
            "items": [
                {"name": line.order_line.name, "quantity": line.quantity} for line in shipment.lines
            ],
        },
        locale=order.locale,
        dedupe_key=f"tracking-mail:{event.id}",
    )
