#!/usr/bin/env python3
"""Benchmark: recording new orders through the API against a minimal write, under gunicorn.

For each database (an SQLite file, and PostgreSQL from ``BENCH_POSTGRES_URL`` or a
throwaway cluster when Debian's binaries are installed) it creates shopcare's tables
and an API key, serves the demo app (``bench.app``) with gunicorn (2 sync workers)
and drives it from a second process with wrk (8 connections; a small Python
keep-alive client when wrk is missing), alternating two endpoints so that both see
the same machine state:

- **orders**: ``POST /care/api/v1/orders``, a new order of 2 lines each time (a new
  reference per request): authentication, the JSON schema, the service's checks, the
  order row's lock, the order, its lines, the ``order.recorded`` event and the commit;
- **baseline**: ``POST /bench/baseline/write``, which reads the same JSON body, inserts
  one row and commits: the least any write endpoint could do.

    .venv/bin/python bench/write_path.py [--seconds 10] [--rounds 3] [--db sqlite,postgres]

Prints requests per second for each and the ratio orders / baseline; the goal is at
least 0.40 on both databases. Results also go to bench/results/write_path.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench.order_page import database, free_port, gunicorn  # noqa: E402

GOAL = 0.40

#: wrk: each request a new order (or baseline row) with a reference of its own.
WRK_SCRIPT = r"""
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("number", threads)
end
function init(args)
  counter = 0
  prefix = args[1] .. "-" .. number .. "-"
  token = args[2]
end
function request()
  counter = counter + 1
  local body = string.format(
    '{"reference": "%s%d", "email": "ann@example.com", "placed_at": "2026-03-01T09:00:00+00:00",' ..
    ' "currency": "EUR", "lines": [' ..
    '{"sku": "MUG-1", "name": "Blue mug", "quantity": 2, "unit_price": "12.50"},' ..
    ' {"sku": "TEA-9", "name": "Green tea", "quantity": 1, "unit_price": "4.90"}]}',
    prefix, counter)
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end
"""


def order_body(reference: str) -> bytes:
    return json.dumps(
        {
            "reference": reference,
            "email": "ann@example.com",
            "placed_at": "2026-03-01T09:00:00+00:00",
            "currency": "EUR",
            "lines": [
                {"sku": "MUG-1", "name": "Blue mug", "quantity": 2, "unit_price": "12.50"},
                {"sku": "TEA-9", "name": "Green tea", "quantity": 1, "unit_price": "4.90"},
            ],
        }
    ).encode()


def prepare(url: str) -> str:
    """The demo's and shopcare's tables, the baseline's table and an API key on
    ``url``; returns the key."""
    from sqlalchemy import create_engine

    from bench.app import BASELINE_ROWS, create
    from shopcare.core.api import keys
    from shopcare.demo.seed import seed, seed_catalogue

    os.environ["BENCH_DATABASE_URL"] = url
    app = create()
    seed(app, steps=[seed_catalogue])  # the tables, and the products the home page shows
    with app.app_context():
        _row, key = keys.create("write-path bench", ["orders:write"])
        app.extensions["shopcare"].db.session.commit()
        app.extensions["shopcare"].db.engine.dispose()
    engine = create_engine(url)
    BASELINE_ROWS.metadata.create_all(engine)
    engine.dispose()
    return key


def run_wrk(url: str, seconds: int, connections: int, tag: str, key: str, script: Path) -> float:
    out = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "-s",
            str(script),
            url,
            "--",
            tag,
            key,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if re.search(r"Non-2xx or 3xx responses", out):
        raise RuntimeError(f"errors under load for {url}:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match.group(1))


def python_load(url: str, seconds: int, connections: int, tag: str, key: str) -> float:
    """A keep-alive HTTP client in threads, for machines without wrk."""
    target = urllib.parse.urlsplit(url)
    counts = [0] * connections
    deadline = time.monotonic() + seconds
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        while time.monotonic() < deadline:
            conn.request("POST", target.path, order_body(f"{tag}-{index}-{counts[index]}"), headers)
            response = conn.getresponse()
            response.read()
            if response.status >= 300:
                raise RuntimeError(f"{url} answered {response.status}")
            counts[index] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds


def measure(
    targets: dict[str, str], key: str, seconds: int, rounds: int, connections: int
) -> dict[str, float]:
    """Requests per second for each named URL: the median of ``rounds`` runs, the URLs
    taking turns within each round."""
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "post.lua"
        script.write_text(WRK_SCRIPT)
        runs = 0

        def load(url: str, duration: int) -> float:
            nonlocal runs
            runs += 1
            tag = f"w{os.getpid()}-{runs}"
            if shutil.which("wrk"):
                return run_wrk(url, duration, connections, tag, key, script)
            return python_load(url, duration, connections, tag, key)

        for url in targets.values():
            load(url, 2)  # warm-up: imports, caches, connection pools
        figures: dict[str, list[float]] = {name: [] for name in targets}
        for _ in range(rounds):
            for name, url in targets.items():
                figures[name].append(load(url, seconds))
    return {name: statistics.median(values) for name, values in figures.items()}


def count_orders(url: str) -> tuple[int, int]:
    """How many orders were recorded, and how many of them do not have exactly their
    2 lines (one statement: one snapshot, even while a last request commits)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        orders, wrong = connection.execute(
            text(
                "SELECT count(*), coalesce(sum(CASE WHEN (SELECT count(*) FROM"
                " shopcare_order_lines l WHERE l.order_id = o.id) = 2 THEN 0 ELSE 1 END), 0)"
                " FROM shopcare_orders o"
            )
        ).one()
    engine.dispose()
    return int(orders), int(wrong)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--db", default="sqlite,postgres")
    args = parser.parse_args()
    print(
        f"load client: {'wrk' if shutil.which('wrk') else 'python'}; gunicorn 2 workers; "
        f"{args.rounds} rounds of {args.seconds}s, {args.connections} connections"
    )
    results = {}
    for kind in args.db.split(","):
        with ExitStack() as stack:
            url = stack.enter_context(database(kind))
            if url is None:
                print(f"{kind}: skipped (no PostgreSQL binaries and no BENCH_POSTGRES_URL)")
                continue
            key = prepare(url)
            base = stack.enter_context(gunicorn(url, free_port()))
            rps = measure(
                {
                    "baseline": base + "/bench/baseline/write",
                    "orders": base + "/care/api/v1/orders",
                },
                key,
                args.seconds,
                args.rounds,
                args.connections,
            )
            ratio = rps["orders"] / rps["baseline"]
            orders, wrong = count_orders(url)
            if wrong:
                raise RuntimeError(f"{kind}: {wrong} of {orders} orders lack their 2 lines")
            results[kind] = {**rps, "ratio": ratio, "orders_recorded": orders}
            print(
                f"{kind}: baseline {rps['baseline']:.0f} req/s, new orders {rps['orders']:.0f} "
                f"req/s: ratio {ratio:.2f} ({'meets' if ratio >= GOAL else 'BELOW'} the "
                f"{GOAL:.2f} goal; {orders} orders of 2 lines recorded)"
            )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "write_path.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
