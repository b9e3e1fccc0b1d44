#!/usr/bin/env python3
"""Concurrency probe (not run by ``make test``): many writes to the same orders at
once, from several gunicorn workers, then a reconciliation in the database.

Against the demo app (``bench.app``) served by gunicorn with 4 workers on PostgreSQL
(``BENCH_POSTGRES_URL``, or a throwaway cluster from Debian's binaries):

1. 50 orders are recorded, one after the other (their first version);
2. then, all at once from 32 client threads in a shuffled order:
   - 500 order posts: the 50 references times 10 versions, each version another set of
     lines (``POST /care/api/v1/orders``);
   - 501 webhook calls: 167 distinct carrier events, each sent 3 times
     (``POST /care/api/v1/tracking/events``, signed);
3. the database is reconciled: every order exists exactly once with the lines of one
   whole version it was sent (never a mix of two), each parcel once, each distinct
   event stored exactly once, every parcel at the status of its newest event.

    .venv/bin/python bench/concurrency_probe.py [--db postgres|sqlite] [--workers 4]

Exits non-zero when any answer is a 5xx or the database does not reconcile.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import random
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench.order_page import database, free_port, gunicorn  # noqa: E402
from bench.write_path import prepare  # noqa: E402

SECRET = "whsec-probe"
REFERENCES = [f"PROBE-{n:02d}" for n in range(50)]
VERSIONS = 10
STATUSES = ["info_received", "in_transit", "out_for_delivery", "delivered"]
DISTINCT_EVENTS = 167
REPEATS = 3


def order(reference: str, version: int) -> dict[str, Any]:
    skus = ["MUG-1", f"V-{version}"] + (["TEA-9"] if version % 2 else [])
    return {
        "reference": reference,
        "email": "ann@example.com",
        "placed_at": "2026-03-01T09:00:00+00:00",
        "lines": [
            {"sku": sku, "name": sku, "quantity": 1 + version % 3, "unit_price": "3.50"}
            for sku in skus
        ],
    }


def events() -> list[dict[str, Any]]:
    """167 distinct events: each order's parcel through the statuses, hour by hour."""
    made = []
    for number in range(DISTINCT_EVENTS):
        reference = REFERENCES[number % len(REFERENCES)]
        step = number // len(REFERENCES)
        made.append(
            {
                "reference": reference,
                "status": STATUSES[step],
                "occurred_at": f"2026-03-02T{10 + step:02d}:00:00+00:00",
                "carrier": "dhl",
                "tracking_number": f"JD-{reference}",
                "location": "Madrid",
            }
        )
    return made


def signed(body: bytes) -> dict[str, str]:
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "Shopcare-Signature": f"t={stamp},v1={digest}"}


def post(port: int, path: str, body: bytes, headers: dict[str, str]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("POST", path, body, headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def reconcile(url: str) -> list[str]:
    """What does not add up in the database (empty when everything does)."""
    from sqlalchemy import create_engine, text

    problems = []
    sent_versions = {
        reference: [
            sorted(line["sku"] for line in order(reference, v)["lines"]) for v in range(VERSIONS)
        ]
        for reference in REFERENCES
    }
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT o.reference, l.sku FROM shopcare_orders o "
                "JOIN shopcare_order_lines l ON l.order_id = o.id WHERE o.reference LIKE 'PROBE-%'"
            )
        ).all()
        lines: dict[str, list[str]] = {}
        for reference, sku in rows:
            lines.setdefault(reference, []).append(sku)
        if sorted(lines) != sorted(REFERENCES):
            problems.append(f"orders: {len(lines)} of {len(REFERENCES)}")
        for reference, skus in lines.items():
            if sorted(skus) not in sent_versions[reference]:
                problems.append(f"{reference}: lines {sorted(skus)} are no version that was sent")
        shipments = connection.execute(
            text("SELECT count(*), count(DISTINCT order_id) FROM shopcare_shipments")
        ).one()
        if tuple(shipments) != (len(REFERENCES), len(REFERENCES)):
            problems.append(f"shipments: {tuple(shipments)}, expected one per order")
        stored = Counter(
            connection.execute(
                text(
                    "SELECT e.action, o.reference, e.occurred_at FROM shopcare_events e "
                    "JOIN shopcare_orders o ON e.subject_id = CAST(o.id AS VARCHAR) "
                    "WHERE e.subject_kind = 'order' AND e.action IN ("
                    + ", ".join(f"'shipment.{s}'" for s in STATUSES)
                    + ")"
                )
            ).all()
        )
        if len(stored) != DISTINCT_EVENTS or set(stored.values()) != {1}:
            problems.append(
                f"events: {len(stored)} distinct stored (expected {DISTINCT_EVENTS}), "
                f"copies {sorted(Counter(stored.values()).items())}"
            )
        statuses = Counter(
            connection.execute(text("SELECT status FROM shopcare_shipments")).scalars()
        )
        expected = Counter(
            STATUSES[
                max(
                    n // len(REFERENCES) for n in range(DISTINCT_EVENTS) if n % len(REFERENCES) == i
                )
            ]
            for i in range(len(REFERENCES))
        )
        if statuses != expected:
            problems.append(f"statuses {dict(statuses)}, expected {dict(expected)}")
        print(
            f"  database: {len(lines)} orders, {len(rows)} order lines, {shipments[0]} shipments, "
            f"{sum(stored.values())} shipment events ({len(stored)} distinct), statuses {dict(statuses)}"
        )
    engine.dispose()
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", default="postgres", choices=["postgres", "sqlite"])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=32)
    args = parser.parse_args()
    with ExitStack() as stack:
        url = stack.enter_context(database(args.db))
        if url is None:
            print("skipped: no PostgreSQL binaries and no BENCH_POSTGRES_URL")
            return 0
        key = prepare(url)
        port = free_port()
        stack.enter_context(
            gunicorn(url, port, workers=args.workers, env_extra={"BENCH_WEBHOOK_SECRET": SECRET})
        )
        auth = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
        for reference in REFERENCES:
            status = post(
                port, "/care/api/v1/orders", json.dumps(order(reference, 0)).encode(), auth
            )
            assert status == 201, status

        calls: list[tuple[str, bytes, dict[str, str]]] = [
            ("/care/api/v1/orders", json.dumps(order(ref, v)).encode(), auth)
            for ref in REFERENCES
            for v in range(VERSIONS)
        ]
        for event in events() * REPEATS:
            body = json.dumps(event).encode()
            calls.append(("/care/api/v1/tracking/events", body, {}))
        random.Random(11).shuffle(calls)
        started = time.monotonic()

        def call(item: tuple[str, bytes, dict[str, str]]) -> tuple[str, int]:
            path, body, headers = item
            return path, post(port, path, body, headers or signed(body))

        with ThreadPoolExecutor(max_workers=args.threads) as pool:
            answers = list(pool.map(call, calls))
        took = time.monotonic() - started
        by_kind = Counter((path.rsplit("/", 1)[-1], status) for path, status in answers)
        print(
            f"{args.db}, gunicorn {args.workers} workers, {args.threads} client threads: "
            f"{len(calls)} calls in {took:.1f}s"
        )
        for (kind, status), count in sorted(by_kind.items()):
            print(f"  {kind:7} {status}: {count}")
        errors = sum(count for (_, status), count in by_kind.items() if status >= 500)
        print(f"  5xx: {errors}")
        problems = reconcile(url)
        for problem in problems:
            print(f"  MISMATCH {problem}")
        print("  reconciled: every order and event stored exactly once" if not problems else "")
        return 1 if errors or problems else 0


if __name__ == "__main__":
    sys.exit(main())
