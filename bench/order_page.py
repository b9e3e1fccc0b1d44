#!/usr/bin/env python3
"""Benchmark: shopcare's order page against a minimal baseline route, under gunicorn.

For each database (SQLite file, and PostgreSQL from ``BENCH_POSTGRES_URL`` or a
throwaway cluster when Debian's binaries are installed) it seeds the demo shop,
picks the seeded order with the most shipments and timeline events, serves the demo
app with gunicorn (2 sync workers) and drives it from a second process with wrk
(Debian's package; a small Python keep-alive client when wrk is missing),
alternating the baseline and the order page so both see the same machine state.

Two servers run side by side on the same database, each measured against its own
baseline in the same rounds:

- **warm**: the shop's default settings. The order page's tracking fragment is
  cached per worker (``SHOPCARE_PAGE_CACHE_SIZE``), keyed by the order's version, so
  after each worker's first request for the order the page costs one query and the
  layout: this is the warm-cache steady state of a page that is read far more often
  than its order changes (the warm-up requests fill the cache, as traffic would).
- **cold**: ``SHOPCARE_PAGE_CACHE_SIZE=0``, so every request loads and renders
  everything (three statements on PostgreSQL, four on SQLite): what a miss costs, and
  what each change costs once.

    .venv/bin/python bench/order_page.py [--seconds 10] [--rounds 3] [--db sqlite,postgres]

Prints requests per second for each and the ratios order page / baseline; the goal
is at least 0.80 (warm). Results also go to bench/results/order_page.json.

``--in-process`` measures the same two pages without gunicorn or a network client:
CPU time per request (``time.process_time``) with the Flask test client, the
baseline and the order page taking turns (5 rounds of 200 requests each, the median
ratio), for a warm and a cold app. It is the app's own cost, steadier than requests
per second on a machine other work shares (the gunicorn figures swing with the load
average; CPU time per request much less), and it runs unchanged on older commits
(``bench/app.py`` has the same interface), which is how before/after pairs are read.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(url: str) -> tuple[str, str]:
    """Seed the demo on ``url``; return (order page path, baseline path) for a busy order."""
    from sqlalchemy import String, cast, func, select

    from bench.app import create
    from shopcare.core.events.models import Event
    from shopcare.demo.seed import seed
    from shopcare.orders.models import Order

    os.environ["BENCH_DATABASE_URL"] = url
    app = create()
    seed(app)
    with app.app_context():
        db = app.extensions["shopcare"].db
        busiest = db.session.execute(
            select(Order.id, Order.reference, func.count(Event.id).label("events"))
            .join(
                Event,
                (Event.subject_kind == "order") & (Event.subject_id == cast(Order.id, String)),
            )
            .group_by(Order.id, Order.reference)
            .order_by(func.count(Event.id).desc(), Order.id)
            .limit(1)
        ).one()
        order = db.session.get(Order, busiest.id)
        care = app.extensions["shopcare"].care
        key = care.tracking.guest_token(order)
        with app.test_request_context():
            from flask import url_for

            page = url_for("shopcare.tracking.order", reference=order.reference, key=key)
        print(
            f"  order {order.reference}: {len(order.lines)} lines, {busiest.events} timeline events"
        )
        db.engine.dispose()
    return page, f"/bench/baseline/{order.reference}"


@contextmanager
def gunicorn(
    url: str,
    port: int,
    *,
    page_cache_size: int | None = None,
    workers: int = 2,
    env_extra: dict[str, str] | None = None,
) -> Iterator[str]:
    env = {**os.environ, "BENCH_DATABASE_URL": url, "PYTHONPATH": str(ROOT), **(env_extra or {})}
    env.pop("BENCH_PAGE_CACHE_SIZE", None)
    if page_cache_size is not None:
        env["BENCH_PAGE_CACHE_SIZE"] = str(page_cache_size)
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "bench.app:create()",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # a busy machine imports slowly
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=5).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def check(url: str) -> None:
    with urllib.request.urlopen(url, timeout=10) as response:
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")


def wrk(url: str, seconds: int, connections: int) -> float:
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if re.search(r"Non-2xx or 3xx responses", out):
        raise RuntimeError(f"errors under load for {url}:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match.group(1))


def python_load(url: str, seconds: int, connections: int) -> float:
    """A keep-alive HTTP client in threads, for machines without wrk."""
    target = urllib.parse.urlsplit(url)
    path = target.path + (f"?{target.query}" if target.query else "")
    counts = [0] * connections
    deadline = time.monotonic() + seconds

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
        while time.monotonic() < deadline:
            conn.request("GET", path)
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


def measure(
    targets: dict[str, str], seconds: int, rounds: int, connections: int
) -> dict[str, float]:
    """Requests per second for each named URL: the median of ``rounds`` runs, the
    URLs taking turns within each round."""
    load = wrk if shutil.which("wrk") else python_load
    for url in targets.values():
        check(url)
        load(url, 2, connections)  # warm-up: imports, caches, connection pools
    figures: dict[str, list[float]] = {name: [] for name in targets}
    for _ in range(rounds):
        for name, url in targets.items():
            figures[name].append(load(url, seconds, connections))
    return {name: statistics.median(values) for name, values in figures.items()}


@contextmanager
def database(kind: str) -> Iterator[str | None]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        return
    if os.environ.get("BENCH_POSTGRES_URL"):
        yield os.environ["BENCH_POSTGRES_URL"]
        return
    from pgcluster import find_pg_bin, throwaway_cluster

    bindir = find_pg_bin()
    if bindir is None:
        yield None
        return
    with throwaway_cluster(bindir) as url:
        yield url


def in_process(url: str, page: str, baseline: str, rounds: int = 5) -> dict[str, float]:
    """The order page / baseline ratio of CPU time per request, in this process, for
    the warm (cached fragment) and the cold (``SHOPCARE_PAGE_CACHE_SIZE=0``) app."""
    os.environ["BENCH_DATABASE_URL"] = url
    from bench.app import create

    os.environ.pop("BENCH_PAGE_CACHE_SIZE", None)
    apps = {"warm": create()}
    os.environ["BENCH_PAGE_CACHE_SIZE"] = "0"
    apps["cold"] = create()
    os.environ.pop("BENCH_PAGE_CACHE_SIZE")
    ratios: dict[str, float] = {}
    for name, app in apps.items():
        client = app.test_client()
        for _ in range(50):  # warm-up: imports, compiled templates, the fragment cache
            assert client.get(page).status_code == 200, page
            assert client.get(baseline).status_code == 200, baseline

        def cpu(path: str, requests: int = 200, client: Any = client) -> float:
            started = time.process_time()
            for _ in range(requests):
                client.get(path)
            return (time.process_time() - started) / requests

        ratios[name] = statistics.median(cpu(baseline) / cpu(page) for _ in range(rounds))
    return ratios


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument(
        "--in-process", action="store_true", help="CPU time per request, no gunicorn"
    )
    args = parser.parse_args()
    if args.in_process:
        for kind in args.db.split(","):
            with database(kind) as url:
                if url is None:
                    print(f"{kind}: skipped (no PostgreSQL binaries and no BENCH_POSTGRES_URL)")
                    continue
                page, baseline = prepare(url)
                ratios = in_process(url, page, baseline)
                print(
                    f"{kind}: in process, CPU time per request: ratio {ratios['warm']:.2f} warm, "
                    f"{ratios['cold']:.2f} cold (cache off)"
                )
        return 0
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
            print(f"{kind}: seeding the demo shop …")
            page, baseline = prepare(url)
            warm = stack.enter_context(gunicorn(url, free_port()))
            cold = stack.enter_context(gunicorn(url, free_port(), page_cache_size=0))
            rps = measure(
                {
                    "baseline": warm + baseline,
                    "order_page": warm + page,
                    "baseline_cold_server": cold + baseline,
                    "order_page_cold": cold + page,
                },
                args.seconds,
                args.rounds,
                args.connections,
            )
            ratio = rps["order_page"] / rps["baseline"]
            ratio_cold = rps["order_page_cold"] / rps["baseline_cold_server"]
            results[kind] = {**rps, "ratio": ratio, "ratio_cold": ratio_cold}
            print(
                f"{kind}: baseline {rps['baseline']:.0f} req/s, order page {rps['order_page']:.0f} "
                f"req/s: ratio {ratio:.2f} warm-cache steady state "
                f"({'meets' if ratio >= 0.8 else 'BELOW'} the 0.80 goal)\n"
                f"{kind}: cache off (SHOPCARE_PAGE_CACHE_SIZE=0): baseline "
                f"{rps['baseline_cold_server']:.0f} req/s, order page "
                f"{rps['order_page_cold']:.0f} req/s: ratio {ratio_cold:.2f} cold"
            )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "order_page.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
