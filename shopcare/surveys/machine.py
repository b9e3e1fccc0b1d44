"""The invitation workflow: one table of allowed moves (see ``shopcare.core.machine``)."""

from __future__ import annotations

from shopcare.core.machine import Machine, Move
from shopcare.surveys.models import INVITATION_STATUSES

#: ``sent → started → completed``; an invitation not completed expires after its
#: window, or is withdrawn when its address unsubscribes.
INVITATION = Machine(
    "invitation",
    states=INVITATION_STATUSES,
    moves=[
        Move("sent", "started", "survey.started"),
        Move("sent", "completed", "survey.completed"),
        Move("started", "completed", "survey.completed"),
        Move("sent", "expired", "survey.expired"),
        Move("started", "expired", "survey.expired"),
        Move("sent", "withdrawn", "survey.withdrawn"),
        Move("started", "withdrawn", "survey.withdrawn"),
    ],
)
