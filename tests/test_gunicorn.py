"""shopcare under gunicorn worker processes on the test database: concurrent writes to
the same orders from several processes never fail, double or merge.

A small, bounded version of ``bench/concurrency_probe.py`` (which replays the full
probe: 500 order posts and 500 webhook calls against 4 workers on PostgreSQL).
"""

from __future__ import annotations

import json
import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import func, select

from shopcare.core.api import keys
from shopcare.core.events import Event
from shopcare.orders.models import Order, OrderLine
from shopcare.tracking.models import Shipment
from tests.tracking.helpers import SECRET, signature

REFERENCES = [f"GU-{n}" for n in range(4)]
VERSIONS = 6  # posts per reference, each with another set of lines
EVENTS = ["in_transit", "out_for_delivery", "delivered"]


def order_body(reference: str, version: int) -> dict[str, Any]:
    skus = ["A", f"V{version}"] + (["B"] if version % 2 else [])
    return {
        "reference": reference,
        "email": "ann@example.com",
        "placed_at": "2026-03-01T09:00:00+00:00",
        "lines": [{"sku": sku, "name": sku, "quantity": 1, "unit_price": "2.00"} for sku in skus],
    }


def event_body(reference: str, number: int) -> list[dict[str, Any]]:
    return [
        {
            "reference": reference,
            "status": EVENTS[number],
            "occurred_at": f"2026-03-02T1{number}:00:00+00:00",
            "carrier": "dhl",
            "tracking_number": f"T-{reference}",
        }
    ]


def test_orders_and_events_from_four_workers_at_once(app, db, gunicorn_server):
    _row, key = keys.create("gunicorn", ["orders:write"])
    db.session.commit()
    server = gunicorn_server(workers=4, config={"SHOPCARE_WEBHOOK_SECRET": SECRET})
    auth = {"Authorization": f"Bearer {key}"}

    calls: list[tuple[str, Any]] = [
        ("order", order_body(ref, version)) for ref in REFERENCES for version in range(VERSIONS)
    ]
    calls += [("event", event_body(ref, n)) for ref in REFERENCES for n in range(3)] * 3
    random.Random(7).shuffle(calls)

    def call(kind: str, payload: Any) -> int:
        if kind == "order":
            return server.request("POST", "/care/api/v1/orders", json_body=payload, headers=auth)[0]
        raw = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "Shopcare-Signature": signature(raw)}
        return server.request("POST", "/care/api/v1/tracking/events", body=raw, headers=headers)[0]

    # The events need their order: send every reference's first version before the rest.
    for reference in REFERENCES:
        assert call("order", order_body(reference, 0)) == 201
    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(lambda item: call(*item), calls))

    assert [s for s in statuses if s >= 500] == [], server.output()
    assert set(statuses) == {200}, sorted(set(statuses))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Order)) == len(REFERENCES)
    posted = [sorted(line["sku"] for line in order_body("x", v)["lines"]) for v in range(VERSIONS)]
    for order in db.session.scalars(select(Order)):
        skus = sorted(
            db.session.scalars(select(OrderLine.sku).where(OrderLine.order_id == order.id))
        )
        assert skus in posted, (order.reference, skus)  # one whole version, never a mix
    assert db.session.scalar(select(func.count()).select_from(Shipment)) == len(REFERENCES)
    for status in EVENTS:
        stored = db.session.scalar(
            select(func.count()).select_from(Event).where(Event.action == f"shipment.{status}")
        )
        assert stored == len(REFERENCES), status  # each event once, though sent three times
    assert set(db.session.scalars(select(Shipment.status))) == {"delivered"}
