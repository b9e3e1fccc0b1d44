#!/usr/bin/env python3
"""Benchmark: one invitation pass over 100,000 delivered orders, and the survey page
against the baseline route.

For each database (an SQLite file; PostgreSQL from ``BENCH_POSTGRES_URL`` or a
throwaway cluster) it creates shopcare's tables, inserts ``--orders`` delivered orders
(each a shopper of their own, delivered 8 days ago, so every one is due) in bulk, then
runs ``care.surveys.invite_due()`` and its commit **in a fresh process**, which reports
the wall time and its peak resident memory (``ru_maxrss``: the whole process,
interpreter and app included). Goal: under 30 s and 300 MB.

Then, in process with the Flask test client on the same app (``bench.app``: the demo
shop), it alternates the survey's first page for one invitation with the baseline
route (one order and its lines, a bare template) and reports requests per second of
each and the ratio; goal: the survey page at least 0.80 of the baseline. The survey's
thank-you page (one query, two sentences, in the same demo layout as the survey page)
is measured in the same rounds as ``layout_floor``: what any page in that layout costs
against the bare baseline (it is not the baseline; the ratio is against the baseline).

    .venv/bin/python bench/survey_pass.py [--orders 100000] [--db sqlite,postgres]

Results also go to bench/results/survey_pass.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench.order_page import database  # noqa: E402


def prepare(url: str, orders: int) -> None:
    """shopcare's tables and ``orders`` delivered orders, inserted in bulk."""
    os.environ["BENCH_DATABASE_URL"] = url
    from sqlalchemy import insert

    from bench.app import create
    from shopcare.core.db import session
    from shopcare.demo.extensions import care, db
    from shopcare.orders.models import Order

    app = create()
    with app.app_context():
        db.create_all()
        care.create_all()
        delivered = datetime.now(UTC) - timedelta(days=8)
        for start in range(0, orders, 10_000):
            session().execute(
                insert(Order),
                [
                    {
                        "reference": f"B-{n}",
                        "reference_key": f"b-{n}",
                        "email": f"shopper{n}@example.com",
                        "currency": "EUR",
                        "placed_at": delivered - timedelta(days=2),
                        "delivered_at": delivered + timedelta(seconds=n % 3600),
                        "created_at": delivered,
                        "updated_at": delivered,
                    }
                    for n in range(start, min(orders, start + 10_000))
                ],
            )
            session().commit()
        care.surveys.default_survey()
        session().commit()
        db.engine.dispose()


def child_pass() -> None:
    """Run in a fresh process: one invitation pass and its commit."""
    from bench.app import create
    from shopcare.core.db import session
    from shopcare.demo.extensions import care, db

    app = create()
    with app.app_context():
        session().execute(__import__("sqlalchemy").text("SELECT 1"))
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        made = care.surveys.invite_due()
        session().commit()
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        again = care.surveys.invite_due()  # a second pass right after: nothing to do
        session().commit()
        print(
            json.dumps(
                {
                    "invitations": len(made),
                    "second_pass": len(again),
                    "seconds": round(seconds, 2),
                    "peak_mb": round(peak / 1024, 1),
                    "before_mb": round(before / 1024, 1),
                }
            )
        )
        db.engine.dispose()


def page_ratio(url: str, seconds: float) -> dict[str, float]:
    """Requests per second of the survey page and the baseline, alternated in process."""
    os.environ["BENCH_DATABASE_URL"] = url
    from sqlalchemy import select

    from bench.app import create
    from shopcare.core.db import session
    from shopcare.demo.extensions import db
    from shopcare.surveys.models import Invitation

    app = create()
    with app.app_context():
        invitation = session().scalars(select(Invitation).limit(1)).one()
        token, reference = invitation.token, invitation.order.reference
        session().remove()
    client = app.test_client()
    paths = {
        "survey": f"/care/surveys/s/{token}?v=9",
        "baseline": f"/bench/baseline/{reference}",
        # not a baseline: the survey's own thank-you page (one query, two sentences, the
        # same demo layout), to show what any page in that layout costs against the
        # bare baseline
        "layout_floor": f"/care/surveys/s/{token}/done",
    }
    for path in paths.values():  # warm up
        for _ in range(20):
            assert client.get(path).status_code == 200, path
    counts = dict.fromkeys(paths, 0)
    spent = dict.fromkeys(paths, 0.0)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for name, path in paths.items():
            started = time.perf_counter()
            for _ in range(10):
                client.get(path)
            spent[name] += time.perf_counter() - started
            counts[name] += 10
    with app.app_context():
        db.engine.dispose()
    rates = {name: counts[name] / spent[name] for name in paths}
    return {
        **{k: round(v, 1) for k, v in rates.items()},
        "ratio": round(rates["survey"] / rates["baseline"], 2),
        "layout_floor_ratio": round(rates["layout_floor"] / rates["baseline"], 2),
    }


def load_average() -> str:
    """The machine's 1, 5 and 15 minute load averages (Linux), to read the figures by."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def main() -> int:
    if sys.argv[1:2] == ["--child"]:
        child_pass()
        return 0
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--db", default="sqlite,postgres")
    args = parser.parse_args()
    results = {}
    for kind in args.db.split(","):
        with ExitStack() as stack:
            url = stack.enter_context(database(kind))
            if url is None:
                print(f"{kind}: skipped (no PostgreSQL)")
                continue
            print(f"{kind}: inserting {args.orders} delivered orders …", flush=True)
            prepare(url, args.orders)
            output = subprocess.check_output(
                [sys.executable, __file__, "--child"],
                env={**os.environ, "BENCH_DATABASE_URL": url},
                text=True,
            )
            figures = json.loads(output.strip().splitlines()[-1])
            figures["load_after_pass"] = load_average()
            figures["pages"] = page_ratio(url, args.seconds)
            figures["load_after_pages"] = load_average()
            results[kind] = figures
            ok = figures["seconds"] < 30 and figures["peak_mb"] < 300
            print(f"{kind}: {json.dumps(figures)}  pass goal {'met' if ok else 'NOT met'}; "
                  f"page ratio goal {'met' if figures['pages']['ratio'] >= 0.8 else 'NOT met'}",
                  flush=True)  # fmt: skip
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "survey_pass.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
