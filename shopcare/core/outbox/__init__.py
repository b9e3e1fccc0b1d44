"""The outbox: e-mails and jobs that must happen (at least) once, written in the
caller's transaction and worked by ``flask shopcare work`` on any number of hosts.

::

    from shopcare.core.outbox import enqueue_mail, enqueue_job, job_handler, periodic

    enqueue_mail("ann@example.com", "tracking/status_changed", {"reference": "A-1"},
                 locale="es", dedupe_key=f"tracking:status:{shipment.id}:delivered")

    @job_handler("surveys.invite")
    def invite(payload: dict) -> None: ...

    @periodic("complaints.sla_check", every=timedelta(minutes=10))
    def check_slas() -> None: ...
"""

from __future__ import annotations

from shopcare.core.outbox.models import MAIL_KIND, OutboxItem, PeriodicTask
from shopcare.core.outbox.services import (
    count_by_status,
    enqueue_job,
    enqueue_mail,
    get_item,
    job_handler,
    list_items,
    periodic,
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
    "get_item",
    "job_handler",
    "list_items",
    "periodic",
    "retry",
    "retry_failed",
]
