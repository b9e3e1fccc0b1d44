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
from shopcare.insights.models import DailyAnswers, Rollup
from shopcare.orders.models import Order, OrderLine
from shopcare.surveys.models import (
    Answer,
    Invitation,
    Question,
    Response,
    Survey,
    SurveyVersion,
    Unsubscribe,
)
from shopcare.tracking.models import Shipment, ShipmentLine

__all__ = [
    "Answer",
    "ApiKey",
    "CannedReply",
    "Case",
    "CaseLine",
    "CasePhoto",
    "DailyAnswers",
    "Event",
    "Invitation",
    "Order",
    "OrderLine",
    "OutboxItem",
    "PeriodicTask",
    "Question",
    "Response",
    "Rollup",
    "Shipment",
    "ShipmentLine",
    "Survey",
    "SurveyVersion",
    "Ticket",
    "TicketMessage",
    "TicketVote",
    "Unsubscribe",
]
