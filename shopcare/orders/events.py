"""The orders' event vocabulary: every action ``care.orders`` writes to the event log
(declared on each app by ``shopcare.orders.wiring``)."""

from __future__ import annotations

from typing import Final

#: A new order (public, at ``placed_at``; data: ``reference``).
ORDER_RECORDED: Final = "order.recorded"
#: A known order changed (data: ``reference``, ``changed``: the fields).
ORDER_UPDATED: Final = "order.updated"

#: Every name above, for ``state.add_events``.
EVENTS: Final = (ORDER_RECORDED, ORDER_UPDATED)
