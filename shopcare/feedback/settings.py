"""The suggestion box's ``SHOPCARE_*`` settings and their defaults (README "Suggestion box")."""

from __future__ import annotations

from typing import Any

#: Each setting the feedback domain reads, with its default (read with ``setting``).
SETTINGS: dict[str, Any] = {
    # -- the suggestion box (shopcare.feedback; README "Suggestion box")
    "SHOPCARE_FEEDBACK_REOPEN_DAYS": 14,  # a resolved ticket may be reopened by its shopper this many days
    # SLA target for the first public reply, in hours per priority (a missing priority: no target)
    "SHOPCARE_FEEDBACK_SLA_FIRST_RESPONSE_HOURS": {"urgent": 1, "high": 4, "normal": 8, "low": 16},
    # SLA target for the resolution, in hours per priority
    "SHOPCARE_FEEDBACK_SLA_RESOLUTION_HOURS": {"urgent": 8, "high": 16, "normal": 40, "low": 80},
    "SHOPCARE_FEEDBACK_SLA_BUSINESS_HOURS": True,  # False: targets count calendar hours
    # opening hours per weekday (0 Monday … 6 Sunday): (open, close) as "HH:MM"; a missing day is closed.
    # Public holidays of SHOPCARE_COUNTRY (and SHOPCARE_COUNTRY_SUBDIVISION) are closed too.
    "SHOPCARE_FEEDBACK_OPENING_HOURS": {day: ("09:00", "17:00") for day in range(5)},
    "SHOPCARE_FEEDBACK_BOARD": False,  # True: the public suggestion board at /care/feedback/board
    # the address shoppers' e-mail replies go to; each ticket's replies go to local+token@domain
    "SHOPCARE_FEEDBACK_REPLY_ADDRESS": None,
    "SHOPCARE_FEEDBACK_MAX_MESSAGE": 5000,  # characters in one message
}
