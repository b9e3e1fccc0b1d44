"""Imports every domain's models so that ``shopcare.db.metadata`` knows all tables.

Migrations, ``create_all`` and the autogenerate comparison read the metadata after
importing this module.
"""

from __future__ import annotations

from shopcare.api.models import ApiKey
from shopcare.events.models import Event
from shopcare.orders.models import Order, OrderLine
from shopcare.outbox.models import OutboxItem, PeriodicTask
from shopcare.tracking.models import Shipment, ShipmentLine

__all__ = [
    "ApiKey",
    "Event",
    "Order",
    "OrderLine",
    "OutboxItem",
    "PeriodicTask",
    "Shipment",
    "ShipmentLine",
]
