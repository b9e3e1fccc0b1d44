"""The event log: an append-only record of who did what to which subject, and when.

::

    from shopcare.core.events import Actor, record_event, events_for

    record_event("order", order.id, "order.recorded", public=True)
    record_event("return", ret.id, "return.approved", from_state="requested",
                 to_state="approved", actor=Actor.staff(user_id, "sam@shop.example"))
    timeline = events_for("order", order.id, public_only=True)

Subjects are named by kind and primary key (``("order", str(order.id))``). The
audit trail (staff) and the shopper's timeline (``public=True``) read the same rows.
"""

from __future__ import annotations

from shopcare.core.events.actors import Actor
from shopcare.core.events.models import AppendOnlyError, Event
from shopcare.core.events.services import events_for, record_event

__all__ = ["Actor", "AppendOnlyError", "Event", "events_for", "record_event"]
