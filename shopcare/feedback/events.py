"""The suggestion box's event vocabulary: every action ``care.feedback`` writes to a
ticket's event log (declared on each app by ``shopcare.feedback.wiring``)."""

from __future__ import annotations

from typing import Final

from shopcare.feedback.machine import TICKET

#: A ticket was submitted (public; to ``new``; data: ``kind``, ``channel``).
TICKET_SUBMITTED: Final = "ticket.submitted"
#: A public reply (data: ``author``) — staff's or the shopper's.
TICKET_REPLIED: Final = "ticket.replied"
#: An internal note by staff (never public).
TICKET_NOTED: Final = "ticket.noted"
#: Assigned to a staff member (data: ``assignee_id``).
TICKET_ASSIGNED: Final = "ticket.assigned"
#: The priority changed (data: ``priority``).
TICKET_PRIORITISED: Final = "ticket.prioritised"
#: The shopper rated the handling (data: ``score``).
TICKET_RATED: Final = "ticket.rated"
#: An SLA target passed unmet (data: ``target``: ``first_response`` or ``resolution``).
TICKET_SLA_BREACHED: Final = "ticket.sla_breached"
#: A suggestion was published on, or changed on, the board (data: ``board_status``).
TICKET_BOARD: Final = "ticket.board"
#: A suggestion was merged into another (data: ``into``).
TICKET_MERGED: Final = "ticket.merged"

EVENTS: Final = (
    TICKET_SUBMITTED,
    TICKET_REPLIED,
    TICKET_NOTED,
    TICKET_ASSIGNED,
    TICKET_PRIORITISED,
    TICKET_RATED,
    TICKET_SLA_BREACHED,
    TICKET_BOARD,
    TICKET_MERGED,
    *TICKET.events,
)
