"""Rows one feature read in this request that another feature of the same page may use
instead of reading them again.

The order page's tracking part reads the order's parcels with their lines on a miss;
its after-sales panel needs the same parcel lines for its delivery facts. The tracking
part leaves them here (:func:`remember`), the panel takes them (:func:`recall`) and
reads only its cases. What is kept lives in the request's WSGI environ: it ends with
the request (an app context may outlive many), and only pages that write nothing use
it (a write could change what was read). Outside a request nothing is kept.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

__all__ = ["recall", "remember"]

#: The environ key of what this request kept.
KEY = "shopcare.shared_reads"


def remember(kind: str, key: Any, rows: Any) -> None:
    """Keep ``rows`` of ``kind`` (``"parcel_lines"``…) for ``key`` until the request ends."""
    if has_request_context():
        request.environ.setdefault(KEY, {})[(kind, key)] = rows


def recall(kind: str, key: Any) -> Any | None:
    """What :func:`remember` kept of ``kind`` for ``key`` in this request, or ``None``."""
    if not has_request_context():
        return None
    kept: dict[tuple[str, Any], Any] | None = request.environ.get(KEY)
    return None if kept is None else kept.get((kind, key))
