"""Imports every domain's models so that ``shopcare.core.db.metadata`` knows all tables.

Migrations, ``create_all`` and the autogenerate comparison read the metadata after
importing this module.
"""

from __future__ import annotations

from shopcare.cases.models import Case, CaseLine, CasePhoto
from shopcare.core.api.models import ApiKey
from shopcare.core.events.models import Event
from shopcare.core.outbox.models import OutboxItem, PeriodicTask
from shopcare.feedback.models import CannedReply, Ticket, TicketMessage, TicketVote
from shopcare.orders.models import Order, OrderLine
from shopcare.tracking.models import Shipment, ShipmentLine

__all__ = [
    "ApiKey",
    "CannedReply",
    "Case",
    "CaseLine",
    "CasePhoto",
    "Event",
    "Order",
    "OrderLine",
    "OutboxItem",
    "PeriodicTask",
    "Shipment",
    "ShipmentLine",
    "Ticket",
    "TicketMessage",
    "TicketVote",
]
