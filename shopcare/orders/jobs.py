"""``orders.record``: an order that could not be recorded during checkout, recorded
later by the worker (``care.orders.record_safely`` queues it).

The payload is the arguments of ``care.orders.record`` as JSON: datetimes as ISO 8601
strings (a naive one stays naive and is read by ``SHOPCARE_NAIVE_DATETIMES`` when
the job runs), prices as strings, so nothing is rounded on the way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from contextlib import suppress
from datetime import datetime
from typing import Any

from shopcare.core.state import get_state

#: The outbox job kind that records an order.
RECORD_JOB = "orders.record"
_DATETIMES = ("placed_at", "delivered_at")


def order_payload(
    reference: Any,
    email: Any,
    placed_at: Any,
    lines: Sequence[Mapping[str, Any]] | Any,
    **options: Any,
) -> dict[str, Any]:
    """The arguments of ``care.orders.record`` as a JSON-safe dict (Decimals and
    anything else that JSON lacks become strings)."""
    raw = {"reference": reference, "email": email, "placed_at": placed_at, **options}
    for name in _DATETIMES:
        if isinstance(raw.get(name), datetime):
            raw[name] = raw[name].isoformat()
    try:
        raw["lines"] = [dict(line) for line in lines]
    except (TypeError, ValueError):
        raw["lines"] = lines
    payload: dict[str, Any] = json.loads(json.dumps(raw, default=str))
    return payload


def record_from_payload(payload: Mapping[str, Any]) -> Any:
    """Record the order a payload of :func:`order_payload` describes."""
    arguments = dict(payload)
    for name in _DATETIMES:
        value = arguments.get(name)
        if isinstance(value, str):
            with suppress(ValueError):  # else record() names the field
                arguments[name] = datetime.fromisoformat(value)
    return get_state().care.orders.record(
        arguments.pop("reference", None),
        arguments.pop("email", None),
        arguments.pop("placed_at", None),
        arguments.pop("lines", None),
        **arguments,
    )


def record_later(payload: dict[str, Any]) -> None:
    """The ``orders.record`` job (``state.add_job`` in ``shopcare.orders.wiring``): record
    an order ``record_safely`` could not record at once (the worker commits;
    a ``ValidationError`` fails the job at once, anything else is retried)."""
    record_from_payload(payload)
