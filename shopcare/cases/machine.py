"""The case workflow: one table of allowed moves (see ``shopcare.core.machine``)."""

from __future__ import annotations

from shopcare.cases.models import STATUSES
from shopcare.core.machine import Machine, Move

#: ``requested → approved | rejected → received → resolved → closed``; the shopper may
#: cancel while requested. A resolution may come without a parcel (a refund without
#: return, a repair on site), so ``approved → resolved`` is allowed too.
CASE = Machine(
    "case",
    states=STATUSES,
    moves=[
        Move("requested", "approved", "case.approved", public=True),
        Move("requested", "rejected", "case.rejected", public=True),
        Move("requested", "cancelled", "case.cancelled", public=True),
        Move("approved", "received", "case.received", public=True),
        Move("approved", "resolved", "case.resolved", public=True),
        Move("received", "resolved", "case.resolved", public=True),
        Move("resolved", "closed", "case.closed", public=True),
        Move("rejected", "closed", "case.closed", public=True),
    ],
    version_column="version",
)
