"""The cases' event vocabulary: every action ``care.cases`` writes to a case's and its
order's event log (declared on each app by ``shopcare.cases.wiring``)."""

from __future__ import annotations

from typing import Final

from shopcare.cases.machine import CASE

#: A shopper (or staff) opened a case (public; to ``requested``).
CASE_OPENED: Final = "case.opened"
#: Staff noted something on a case (data: ``text``).
CASE_NOTED: Final = "case.noted"
#: Money is due to the shopper, announced once per case (data: ``amount_minor``, ``currency``).
CASE_MONEY_DUE: Final = "case.money_due"

#: Every name above and the moves of :data:`~shopcare.cases.machine.CASE`, for
#: ``state.add_events``.
EVENTS: Final = (CASE_OPENED, CASE_NOTED, CASE_MONEY_DUE, *CASE.events)
