"""The ticket workflow: one table of allowed moves (see ``shopcare.core.machine``)."""

from __future__ import annotations

from shopcare.core.machine import Machine, Move
from shopcare.feedback.models import STATUSES

#: ``new → acknowledged → in_progress ⇄ waiting_on_customer → resolved → closed``;
#: a resolved (or closed, within ``SHOPCARE_FEEDBACK_REOPEN_DAYS``) ticket may be
#: reopened to ``in_progress``. Staff may resolve from any open state.
TICKET = Machine(
    "ticket",
    states=STATUSES,
    moves=[
        Move("new", "acknowledged", "ticket.acknowledged", public=True),
        Move("new", "in_progress", "ticket.in_progress", public=True),
        Move("acknowledged", "in_progress", "ticket.in_progress", public=True),
        Move("in_progress", "waiting_on_customer", "ticket.waiting_on_customer", public=True),
        Move("waiting_on_customer", "in_progress", "ticket.in_progress", public=True),
        Move("new", "resolved", "ticket.resolved", public=True),
        Move("acknowledged", "resolved", "ticket.resolved", public=True),
        Move("in_progress", "resolved", "ticket.resolved", public=True),
        Move("waiting_on_customer", "resolved", "ticket.resolved", public=True),
        Move("resolved", "closed", "ticket.closed", public=True),
        Move("resolved", "in_progress", "ticket.reopened", public=True),
        Move("closed", "in_progress", "ticket.reopened", public=True),
    ],
    version_column="version",
)
