"""The signals shopcare sends, in the ``shopcare`` blinker namespace.

Every signal is sent by a service after its change is flushed, with the Flask app
as sender (:func:`send`); the keyword arguments of each are listed beside it and in the README.
Connect with ``shopcare.core.signals.order_recorded.connect(receiver, app)``.
"""

from __future__ import annotations

from typing import Any

from blinker import Namespace, Signal
from flask import current_app

namespace = Namespace()


def send(signal: Signal, **kwargs: Any) -> None:
    """Send ``signal`` with the current app as sender: the one way shopcare sends its
    signals (after the change is flushed), so a receiver connected for one app never
    hears another's."""
    signal.send(current_app._get_current_object(), **kwargs)  # type: ignore[attr-defined]


#: An order was recorded or updated. kwargs: ``order``, ``created`` (bool).
order_recorded = namespace.signal("order-recorded")

#: An event was appended to the event log. kwargs: ``event`` (a ``shopcare.core.events.Event``).
event_recorded = namespace.signal("event-recorded")

#: An outbox item (an e-mail or a job) failed for the last time and is kept as
#: ``failed`` until someone retries it. kwargs: ``item`` (a ``shopcare.core.outbox.OutboxItem``).
outbox_item_failed = namespace.signal("outbox-item-failed")

#: A shipment's tracking status moved (``care.tracking.add_event``). kwargs: ``order``,
#: ``shipment``, ``from_status``, ``to_status`` (two of the nine statuses),
#: ``occurred_at`` (aware datetime of the carrier's event), ``order_status`` (the whole
#: order's status after the move) and ``event`` (the timeline's ``Event``).
order_status_changed = namespace.signal("order-status-changed")

#: A shipment became late (past its delivery window, or in ``exception`` /
#: ``failed_attempt``); sent once per shipment, ever. kwargs: ``shipment``, ``order``,
#: ``reason`` (``"overdue"`` or the troubled status) and ``days_late`` (int, 0 when
#: not yet past the window).
shipment_late = namespace.signal("shipment-late")

# -- after-sales cases (shopcare.cases). Amounts are integers in the minor unit of
# ``currency`` (the order's); ``idempotency_key`` is the same on every resend.

#: A case was opened (``care.cases.open``). kwargs: ``case``, ``order``.
case_opened = namespace.signal("case-opened")

#: A case was approved (by staff, an auto-approval rule, or at once for a withdrawal).
#: kwargs: ``case``, ``order``.
case_approved = namespace.signal("case-approved")

#: Money must go back to the shopper (the case's parcel was received). Sent once per
#: case. kwargs: ``case``, ``order``, ``amount`` (int, minor units), ``currency``,
#: ``goods``, ``fees``, ``shipping`` (ints, minor units), ``idempotency_key`` (str).
refund_due = namespace.signal("refund-due")

#: An exchange must be shipped; same kwargs as ``refund-due`` (``amount`` is the value
#: to exchange).
exchange_due = namespace.signal("exchange-due")

#: Store credit must be issued; same kwargs as ``refund-due``.
store_credit_due = namespace.signal("store-credit-due")

# -- surveys (shopcare.surveys)

#: A shopper finished a survey (``care.surveys.answer(..., final=True)``); sent for every
#: finished response, whatever its answers. kwargs: ``response``, ``invitation``.
survey_completed = namespace.signal("survey-completed")

#: A finished response has a low answer: an NPS of 0-6 or a rating of 1-2. kwargs:
#: ``response``, ``invitation``, ``answers`` (the low ``Answer`` rows).
survey_detractor = namespace.signal("survey-detractor")
# -- the suggestion box (shopcare.feedback)

#: A ticket was submitted (``care.feedback.submit``, any channel). kwargs: ``ticket``.
feedback_submitted = namespace.signal("feedback-submitted")

#: A ticket's SLA target passed unmet; sent once per ticket and target (and once more
#: after a reopen sets a new target). kwargs: ``ticket``, ``target``
#: (``"first_response"`` or ``"resolution"``), ``due_at`` (aware datetime).
complaint_sla_breached = namespace.signal("complaint-sla-breached")

#: The shopper rated how their ticket was handled. kwargs: ``ticket``, ``score`` (1-5).
feedback_rated = namespace.signal("feedback-rated")
