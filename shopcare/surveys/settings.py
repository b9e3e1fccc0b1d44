"""The surveys domain's ``SHOPCARE_*`` settings and their defaults (README "Surveys")."""

from __future__ import annotations

from typing import Any

#: Each setting the surveys domain reads, with its default (read with ``setting``).
SETTINGS: dict[str, Any] = {
    # -- post-purchase surveys (shopcare.surveys; README "Surveys")
    "SHOPCARE_SURVEYS": True,  # False: no invitations are made (answering links keep working)
    "SHOPCARE_SURVEY_DELAY_DAYS": 7,  # invite this many days after delivery (days in the shop's zone)
    "SHOPCARE_SURVEY_DELAY_DAYS_BY": {},  # {"category": days}: an order waits for its slowest category
    "SHOPCARE_SURVEY_SEND_HOUR": 10,  # the hour of the day (shop's zone) from which an invitation is due
    "SHOPCARE_SURVEY_MAX_AGE_DAYS": 30,  # orders delivered longer ago than delay + this are never invited
    "SHOPCARE_SURVEY_COOLDOWN_DAYS": 90,  # no second invitation to one address within this many days
    "SHOPCARE_SURVEY_SKIP_OPEN_CASES": True,  # no invitation while the order has an open case or complaint
    "SHOPCARE_SURVEY_REMINDERS": 1,  # at most this many reminders per invitation
    "SHOPCARE_SURVEY_REMINDER_DAYS": 4,  # days between the invitation (or last reminder) and a reminder
    "SHOPCARE_SURVEY_EXPIRY_DAYS": 21,  # an invitation can be answered this many days
}
