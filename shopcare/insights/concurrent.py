"""The dashboard's independent figures computed at once, each on its own connection, all
reading one snapshot (PostgreSQL).

The dashboard asks the database a dozen independent questions — the segments, the
loyalty ladder, the returns, the deliveries, the complaints of both periods, the survey
summary — and PostgreSQL answers each on one core. :func:`gather` hands them to
``SHOPCARE_INSIGHTS_CONNECTIONS`` threads, each in its own app context (so its own
session and connection from the host's pool), so the server works on several at once and
the page waits for the longest lane instead of the sum.

Every lane reads the same data: the request's transaction exports its snapshot
(``pg_export_snapshot()``) and each lane's transaction imports it (``SET TRANSACTION
SNAPSHOT``, ``REPEATABLE READ``, read only), so the figures agree with each other exactly
as if one transaction had computed them all, and nothing a lane does can write. Each
lane gets the dashboard's ``work_mem`` (``shopcare.insights.sql.roomy_sorts``) and ends
with a rollback. On SQLite, with the setting at 1, or when the request's transaction has
already written something (no other connection could see it), the calls run one after
the other in the request's own transaction.

What runs in a lane must only read the database and settings: no request, no session
user, no translation (the tables' labels are built afterwards, in the request).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import current_app
from sqlalchemy import func, select, text

from shopcare.core.config import setting
from shopcare.core.db import session
from shopcare.insights.sql import dialect, roomy_sorts

#: What ``pg_export_snapshot()`` returns (e.g. ``00000003-0000001B-1``): checked before
#: it is written into ``SET TRANSACTION SNAPSHOT``, which takes no bind parameter.
_SNAPSHOT = re.compile(r"[0-9A-F]+(-[0-9A-F]+)+")


def lanes() -> int:
    """How many connections a dashboard may use at once (1 on SQLite)."""
    if dialect() != "postgresql":
        return 1
    return max(1, int(setting("SHOPCARE_INSIGHTS_CONNECTIONS") or 1))


def gather(calls: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """``{name: call()}`` for every call, computed :func:`lanes` at a time on
    connections that all read the request transaction's snapshot: each lane takes the
    next call not started, in the order given (put the longest first), on its one
    connection. An exception in a call is raised here, after the other lanes have
    finished."""
    width = min(lanes(), len(calls))
    if width > 1 and session().execute(select(func.txid_current_if_assigned())).scalar():
        width = 1  # this transaction has written: only its own connection sees that
    if width <= 1:
        roomy_sorts()
        return {name: call() for name, call in calls.items()}
    snapshot = str(session().execute(select(func.pg_export_snapshot())).scalar_one())
    if not _SNAPSHOT.fullmatch(snapshot):  # pragma: no cover - PostgreSQL's own format
        raise RuntimeError(f"unexpected snapshot id {snapshot!r}")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    waiting = list(calls.items())
    taking = threading.Lock()
    results: dict[str, Any] = {}

    def lane() -> None:
        """Take the next call until none is left, on one connection and transaction
        (set up again should a call have ended it)."""
        with app.app_context():
            own: Any = session()  # scoped: own() is the Session
            opened = None
            try:
                while True:
                    with taking:
                        if not waiting:
                            return
                        name, call = waiting.pop(0)
                    if opened is None or opened is not own().get_transaction():
                        own.rollback()
                        own.execute(
                            text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                        )
                        own.execute(text(f"SET TRANSACTION SNAPSHOT '{snapshot}'"))  # nosec B608: checked above
                        roomy_sorts()
                        opened = own().get_transaction()
                    results[name] = call()
            finally:
                own.rollback()
                own.close()

    with ThreadPoolExecutor(max_workers=width, thread_name_prefix="shopcare-insights") as pool:
        running = [pool.submit(lane) for _ in range(width)]
        for done in running:
            done.result()  # the first lane's exception, once all have finished
    return {name: results[name] for name in calls}
