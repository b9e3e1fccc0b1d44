#!/usr/bin/env python3
"""Benchmark: the staff case queue with 15,000 cases, against the baseline route.

For each database (SQLite file, and PostgreSQL from ``BENCH_POSTGRES_URL`` or a
throwaway cluster) it seeds the demo shop, adds cases in bulk until there are
``--cases`` (15,000 by default; written with multi-row INSERTs, as a benchmark's
fixture, spread over kinds, statuses, reasons, flags and the year), then:

1. counts the SQL statements of the queue page in-process (page sizes 25, 50, 100;
   unfiltered, filtered by status and flag, and a search by SKU): the goal is at most
   4 whatever the page size;
2. serves the demo with gunicorn (2 sync workers) and measures requests per second
   of the queue (unfiltered and filtered) and of the baseline route
   (``/bench/baseline/<reference>``: one order and its lines, a minimal template) in
   the same rounds, as ``bench/order_page.py`` does, logged in as staff.

    .venv/bin/python bench/case_queue.py [--seconds 10] [--rounds 3] [--db sqlite,postgres]

Prints the figures and the ratios queue / baseline; results go to
bench/results/case_queue.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench.order_page import database, free_port, gunicorn  # noqa: E402

QUEUE = "/care/staff/cases"
FILTERED = "/care/staff/cases?status=requested&flag=high_value&sort=value"


def prepare(url: str, total: int) -> str:
    """Seed the demo and bulk-add cases up to ``total``; return the baseline path."""
    import os
    import random

    from sqlalchemy import func, insert, select

    from bench.app import create
    from shopcare.cases.models import FLAGS, KINDS, STATUSES, Case, CaseLine
    from shopcare.demo.seed import seed
    from shopcare.orders.models import Order, OrderLine

    os.environ["BENCH_DATABASE_URL"] = url
    app = create()
    seed(app)
    rng = random.Random(11)
    with app.app_context():
        db = app.extensions["shopcare"].db
        orders = db.session.execute(
            select(Order.id, Order.email, Order.user_id, Order.placed_at)
        ).all()
        lines = db.session.execute(
            select(OrderLine.id, OrderLine.order_id, OrderLine.unit_price_minor)
        ).all()
        by_order: dict[int, list[Any]] = {}
        for line in lines:
            by_order.setdefault(line.order_id, []).append(line)
        start = int(db.session.scalar(select(func.count(Case.id))) or 0)
        reasons = ["too_small", "too_large", "changed_mind", "defective", "stopped_working", None]
        batch_cases, batch_lines = [], []
        next_id = int(db.session.scalar(select(func.max(Case.id))) or 0) + 1
        for _ in range(start, total):
            order = rng.choice(orders)
            picked = rng.sample(
                by_order[order.id], k=min(len(by_order[order.id]), rng.randint(1, 2))
            )
            opened = order.placed_at + timedelta(days=rng.randint(3, 40))
            flags = [flag for flag in FLAGS if rng.random() < 0.1]
            case_id = next_id
            next_id += 1
            batch_cases.append(
                {
                    "id": case_id,
                    "number": f"R-{opened.year}-{case_id:06d}",
                    "request_key": f"bench-{case_id}",
                    "kind": rng.choice(KINDS),
                    "status": rng.choice(STATUSES),
                    "version": 1,
                    "order_id": order.id,
                    "user_id": order.user_id,
                    "email": order.email,
                    "reason": rng.choice(reasons),
                    "remedy": "refund",
                    "description": "",
                    "flags": " " + " ".join(flags) + (" " if flags else ""),
                    "currency": "EUR",
                    "value_minor": sum(line.unit_price_minor for line in picked),
                    "opened_at": opened,
                    "updated_at": opened,
                }
            )
            batch_lines.extend(
                {"case_id": case_id, "order_line_id": line.id, "quantity": 1} for line in picked
            )
            if len(batch_cases) >= 1000:
                db.session.execute(insert(Case), batch_cases)
                db.session.execute(insert(CaseLine), batch_lines)
                batch_cases, batch_lines = [], []
        if batch_cases:
            db.session.execute(insert(Case), batch_cases)
            db.session.execute(insert(CaseLine), batch_lines)
        if db.session.get_bind().dialect.name == "postgresql":
            from sqlalchemy import text

            db.session.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('shopcare_cases', 'id'), max(id)) FROM shopcare_cases"
                )
            )
        db.session.commit()
        count = db.session.scalar(select(func.count(Case.id)))
        reference = db.session.scalar(select(Order.reference).order_by(Order.id.desc()).limit(1))
        print(f"  {count} cases")
        db.engine.dispose()
    return f"/bench/baseline/{reference}"


def statements_per_page(url: str) -> dict[str, int]:
    """SQL statements of the queue page for several page sizes and filters, in-process."""
    import os

    from sqlalchemy import event

    from bench.app import create

    os.environ["BENCH_DATABASE_URL"] = url
    app = create()
    client = app.test_client()
    login(client_get=lambda path: client.get(path), client_post=client.post)
    counts: dict[str, int] = {}
    with app.app_context():
        engine = app.extensions["shopcare"].db.engine
    seen: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        for size in (25, 50, 100):
            for name, path in (
                ("all", QUEUE),
                ("filtered", FILTERED),
                ("search", f"{QUEUE}?q=KIT-MUGS"),
                ("page 7", f"{QUEUE}?page=7"),
            ):
                seen.clear()
                joiner = "&" if "?" in path else "?"
                response = client.get(f"{path}{joiner}per_page={size}")
                assert response.status_code == 200, response.status_code
                counts[f"{name} per_page={size}"] = len(seen)
    finally:
        event.remove(engine, "before_cursor_execute", before)
        engine.dispose()
    return counts


def login(*, client_get: Any, client_post: Any) -> None:
    from shopcare.demo.seed import STAFF

    page = client_get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token, page
    response = client_post(
        "/login", data={"csrf_token": token.group(1), "email": STAFF[0], "password": STAFF[1]}
    )
    assert response.status_code in (200, 302), response.status_code


def staff_cookie(base: str) -> str:
    """Log in as the demo's staff member over HTTP; return the session cookie header."""
    from shopcare.demo.seed import STAFF

    target = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
    conn.request("GET", "/login")
    response = conn.getresponse()
    html = response.read().decode()
    cookie = response.getheader("Set-Cookie", "").split(";")[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert token
    body = urllib.parse.urlencode(
        {"csrf_token": token.group(1), "email": STAFF[0], "password": STAFF[1]}
    )
    conn.request(
        "POST",
        "/login",
        body=body,
        headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
    )
    response = conn.getresponse()
    response.read()
    return str(response.getheader("Set-Cookie", cookie)).split(";")[0]


def load(url: str, seconds: int, connections: int, cookie: str) -> float:
    if shutil.which("wrk"):
        out = subprocess.run(
            [
                "wrk",
                "-t",
                "2",
                "-c",
                str(connections),
                "-d",
                f"{seconds}s",
                "-H",
                f"Cookie: {cookie}",
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        if "Non-2xx or 3xx responses" in out:
            raise RuntimeError(f"errors under load for {url}:\n{out}")
        match = re.search(r"Requests/sec:\s+([\d.]+)", out)
        assert match, out
        return float(match.group(1))
    target = urllib.parse.urlsplit(url)
    path = target.path + (f"?{target.query}" if target.query else "")
    counts = [0] * connections
    deadline = time.monotonic() + seconds

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        while time.monotonic() < deadline:
            conn.request("GET", path, headers={"Cookie": cookie})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{url} answered {response.status}")
            counts[index] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--cases", type=int, default=15_000)
    parser.add_argument("--db", default="sqlite,postgres")
    args = parser.parse_args()
    print(
        f"load client: {'wrk' if shutil.which('wrk') else 'python'}; gunicorn 2 workers; "
        f"{args.rounds} rounds of {args.seconds}s, {args.connections} connections"
    )
    results: dict[str, Any] = {}
    for kind in args.db.split(","):
        with ExitStack() as stack:
            url = stack.enter_context(database(kind))
            if url is None:
                print(f"{kind}: skipped (no PostgreSQL binaries and no BENCH_POSTGRES_URL)")
                continue
            print(f"{kind}: seeding the demo shop and {args.cases} cases …")
            baseline = prepare(url, args.cases)
            statements = statements_per_page(url)
            worst = max(statements.values())
            print(f"{kind}: SQL statements per queue page: {statements} (max {worst}; goal ≤ 4)")
            base = stack.enter_context(gunicorn(url, free_port()))
            cookie = staff_cookie(base)
            targets = {
                "baseline": base + baseline,
                "queue": base + QUEUE,
                "queue_filtered": base + FILTERED,
            }
            for target in targets.values():
                load(target, 2, args.connections, cookie)  # warm-up
            figures: dict[str, list[float]] = {name: [] for name in targets}
            for _ in range(args.rounds):
                for name, target in targets.items():
                    figures[name].append(load(target, args.seconds, args.connections, cookie))
            rps = {name: statistics.median(values) for name, values in figures.items()}
            ratio = rps["queue"] / rps["baseline"]
            ratio_filtered = rps["queue_filtered"] / rps["baseline"]
            results[kind] = {
                **rps,
                "ratio": ratio,
                "ratio_filtered": ratio_filtered,
                "statements": statements,
            }
            print(
                f"{kind}: baseline {rps['baseline']:.0f} req/s, queue {rps['queue']:.0f} req/s "
                f"(ratio {ratio:.2f}), filtered {rps['queue_filtered']:.0f} req/s (ratio {ratio_filtered:.2f})"
            )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "case_queue.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
