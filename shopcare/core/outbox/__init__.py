"""The outbox: e-mails and jobs that must happen (at least) once, written in the
caller's transaction and worked by ``flask shopcare work`` on any number of hosts.

::

    from shopcare.core.outbox import enqueue_mail, enqueue_job

    enqueue_mail("ann@example.com", "tracking/status_changed", {"reference": "A-1"},
                 locale="es", dedupe_key=f"tracking:status:{shipment.id}:delivered")
    enqueue_job("surveys.invite", {"order_id": order.id})

    # the job's handler and any periodic task, in the domain's wiring (init_app):
    state.add_job("surveys.invite", invite)
    state.add_periodic("complaints.sla_check", check_slas, every=timedelta(minutes=10))
"""

from __future__ import annotations

from shopcare.core.outbox.models import MAIL_KIND, OutboxItem, PeriodicTask
from shopcare.core.outbox.services import (
    count_by_status,
    enqueue_job,
    enqueue_mail,
    enqueue_mails,
    enqueue_mails_from,
    get_item,
    list_items,
    retry,
    retry_failed,
)

__all__ = [
    "MAIL_KIND",
    "OutboxItem",
    "PeriodicTask",
    "count_by_status",
    "enqueue_job",
    "enqueue_mail",
    "enqueue_mails",
    "enqueue_mails_from",
    "get_item",
    "list_items",
    "retry",
    "retry_failed",
]
