#!/usr/bin/env python3
"""Benchmark: the satisfaction dashboard (``/care/insights/`` and its JSON at
``/care/api/v1/insights/dashboard``) over a generated shop, against the baseline route.

For each database (SQLite file, and PostgreSQL from ``BENCH_POSTGRES_URL`` or a
throwaway cluster) a child process generates the data (reproducible: ``--seed``) with
multi-row INSERTs: at ``--scale 1`` 100,000 orders (with their lines, shipments and
deliveries), 1,000,000 survey answers (100,000 responses of 10 answers), 20,000 tickets
and 15,000 cases, spread over two years; then it runs the worker's rollup refresh
(``insights.rollup``: the generated answers are late answers for past days, so their
days are rolled up; and the customer facts and the returned lines' facts are built). A second, fresh process then measures, in
process with the Flask test client (no HTTP server: the figure is the app's own time),
``--requests`` requests each of the baseline route (one order and its lines), the
dashboard JSON and the dashboard page for the last 365 days, and reports p50 and p90
in milliseconds and the process's peak resident memory (``ru_maxrss``).

    .venv/bin/python bench/insights.py [--scale 0.2] [--requests 15] [--db sqlite,postgres]

To measure again a PostgreSQL database a run generated (``--scale 1`` takes minutes):
``BENCH_POSTGRES_URL=… bench/insights.py --db postgres --measure-only``; with
``--connections 1,2,3`` each measure runs with that ``SHOPCARE_INSIGHTS_CONNECTIONS``
(the dashboard's lanes), in turn. The in-process
times of the customer figures (segments, loyalty ladder, lost customers) are reported
too (``parts_ms``), and for each request and question the CPU time of this process and
of the database server's backends (``cpu_ms``; the server's only when it runs on this
machine): the work itself, which a shared machine's load does not change.

Results also go to bench/results/insights.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

FULL = {"orders": 100_000, "responses": 100_000, "tickets": 20_000, "cases": 15_000}
AREAS_PER_RESPONSE = 10


def generate(url: str, scale: float, seed: int) -> dict[str, int]:
    """Write the shop's rows; return how many of each."""
    import random
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert, select

    from bench.app import create
    from shopcare.cases.models import Case, CaseLine
    from shopcare.core.areas import AREAS
    from shopcare.feedback.models import Ticket
    from shopcare.orders.models import Order, OrderLine
    from shopcare.surveys.models import Answer, Question, Response, Survey, SurveyVersion
    from shopcare.tracking.models import Shipment

    os.environ["BENCH_DATABASE_URL"] = url
    app = create()
    rng = random.Random(seed)
    counts = {key: max(1, int(value * scale)) for key, value in FULL.items()}
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=730)
    customers = max(1, counts["orders"] // 3)
    skus = [(f"SKU-{i:04d}", f"Product {i}", f"cat-{i % 12}") for i in range(400)]
    carriers = ["correos", "seur", "mrw", "dhl", "ups"]
    from shopcare.demo.seed import seed

    seed(app)  # the demo shop, its staff login and its own few orders
    with app.app_context():
        db = app.extensions["shopcare"].db
        conn = db.session.connection()
        from sqlalchemy import func

        def next_id(model: Any) -> int:
            return int(db.session.scalar(select(func.max(model.id))) or 0)

        base = {m.__name__: next_id(m) for m in (Order, OrderLine, Case, Ticket, Response, Answer)}

        def flush(table: Any, rows: list[dict[str, Any]]) -> None:
            if rows:
                conn.execute(insert(table), rows)
                rows.clear()

        orders, lines, shipments = [], [], []
        line_id = base["OrderLine"]
        line_info: list[tuple[int, int, int]] = []  # (line id, order id, quantity)
        first_order = base["Order"] + 1
        for order_id in range(first_order, first_order + counts["orders"]):
            placed = start + timedelta(seconds=rng.randrange(730 * 86400))
            delivered = placed + timedelta(hours=rng.randrange(24, 24 * 7))
            delivered_at = delivered if delivered < now else None
            customer = rng.randrange(customers)
            orders.append(
                {
                    "id": order_id,
                    "reference": f"B-{order_id}",
                    "reference_key": f"b-{order_id}",
                    "email": f"c{customer}@example.com",
                    "currency": "EUR",
                    "placed_at": placed,
                    "delivered_at": delivered_at,
                    "created_at": placed,
                    "updated_at": placed,
                }
            )
            for position, (sku, name, category) in enumerate(rng.sample(skus, rng.randint(1, 3))):
                line_id += 1
                quantity = rng.randint(1, 3)
                price = rng.randrange(500, 9000)
                lines.append(
                    {
                        "id": line_id,
                        "order_id": order_id,
                        "position": position,
                        "sku": sku,
                        "name": name,
                        "category": category,
                        "quantity": quantity,
                        "unit_price_minor": price,
                        "paid_minor": price * quantity,
                    }
                )
                line_info.append((line_id, order_id, quantity))
            if delivered_at is not None:
                shipped = placed + timedelta(hours=rng.randrange(2, 24))
                shipments.append(
                    {
                        "order_id": order_id,
                        "carrier": rng.choice(carriers),
                        "tracking_number": f"T{order_id}",
                        "status": "delivered",
                        "shipped_at": shipped,
                        "delivered_at": delivered_at,
                        "estimated_latest": shipped + timedelta(days=rng.randint(2, 6)),
                        "status_changed_at": delivered_at,
                        "created_at": shipped,
                        "updated_at": delivered_at,
                    }
                )
            if len(orders) >= 2000:
                flush(Order.__table__, orders)
                flush(OrderLine.__table__, lines)
                flush(Shipment.__table__, shipments)
        flush(Order.__table__, orders)
        flush(OrderLine.__table__, lines)
        flush(Shipment.__table__, shipments)

        cases, case_lines = [], []
        kinds = ["return"] * 6 + ["withdrawal"] * 2 + ["guarantee"] * 2
        statuses = [
            "requested",
            "approved",
            "received",
            "resolved",
            "closed",
            "rejected",
            "cancelled",
        ]
        reasons = {
            "return": ["too_small", "too_large", "changed_mind", "not_as_described"],
            "guarantee": ["defective"],
        }
        for case_id in range(base["Case"] + 1, base["Case"] + 1 + counts["cases"]):
            line, order_id, quantity = rng.choice(line_info)
            kind = rng.choice(kinds)
            opened = start + timedelta(seconds=rng.randrange(730 * 86400))
            status = rng.choice(statuses)
            resolved = status in ("resolved", "closed")
            cases.append(
                {
                    "id": case_id,
                    "number": f"R-{case_id:06d}",
                    "request_key": f"bench-{case_id}",
                    "kind": kind,
                    "status": status,
                    "order_id": order_id,
                    "email": "c@example.com",
                    "currency": "EUR",
                    "reason": rng.choice(reasons.get(kind, [None])),
                    "outcome": "refunded" if resolved else None,
                    "paid_minor": rng.randrange(500, 9000) if resolved else None,
                    "opened_at": opened,
                    "updated_at": opened,
                    "resolved_at": opened + timedelta(days=5) if resolved else None,
                }
            )
            case_lines.append(
                {"case_id": case_id, "order_line_id": line, "quantity": rng.randint(1, quantity)}
            )
            if len(cases) >= 2000:
                flush(Case.__table__, cases)
                flush(CaseLine.__table__, case_lines)
        flush(Case.__table__, cases)
        flush(CaseLine.__table__, case_lines)

        tickets = []
        for ticket_id in range(base["Ticket"] + 1, base["Ticket"] + 1 + counts["tickets"]):
            opened = start + timedelta(seconds=rng.randrange(730 * 86400))
            answered = opened + timedelta(hours=rng.expovariate(1 / 6))
            resolved = opened + timedelta(hours=rng.expovariate(1 / 40))
            tickets.append(
                {
                    "id": ticket_id,
                    "reference": f"F-{ticket_id:06d}",
                    "request_key": f"bench-t{ticket_id}",
                    "kind": rng.choice(
                        ["complaint", "complaint", "suggestion", "question", "compliment"]
                    ),
                    "area": rng.choice([*AREAS, "other"]),
                    "status": "closed",
                    "subject": "s",
                    "message": "m",
                    "created_at": opened,
                    "updated_at": resolved,
                    "first_response_at": answered if answered < now else None,
                    "resolved_at": resolved if resolved < now else None,
                    "first_response_due_at": opened + timedelta(hours=8)
                    if rng.random() < 0.7
                    else None,
                    "resolution_due_at": opened + timedelta(hours=72)
                    if rng.random() < 0.7
                    else None,
                    "satisfaction_score": rng.choice([None, 1, 2, 3, 4, 5, 5, 4]),
                }
            )
            if len(tickets) >= 2000:
                flush(Ticket.__table__, tickets)
        flush(Ticket.__table__, tickets)

        survey = Survey(key="bench", kind="post_purchase")
        version = SurveyVersion(survey=survey, number=1, title_en="B", title_es="B")
        plan = [
            ("nps", "nps", "satisfaction"),
            ("csat", "rating", "satisfaction"),
            ("ces", "ces", "processes"),
        ]
        plan += [(f"q_{area}", "rating", area) for area in list(AREAS)[:7]]
        questions = [
            Question(version=version, position=i, key=k, type=t, area=a, text_en=k, text_es=k)
            for i, (k, t, a) in enumerate(plan)
        ]
        db.session.add(survey)
        db.session.flush()
        scales = {"nps": (0, 10), "rating": (1, 5), "ces": (1, 7)}
        responses, answers = [], []
        answer_id = base["Answer"]
        for response_id in range(base["Response"] + 1, base["Response"] + 1 + counts["responses"]):
            when = start + timedelta(seconds=rng.randrange(730 * 86400))
            responses.append(
                {
                    "id": response_id,
                    "survey_id": survey.id,
                    "version_id": version.id,
                    "order_id": rng.randrange(first_order, first_order + counts["orders"]),
                    "kind": "customer",
                    "status": "complete",
                    "created_at": when,
                    "updated_at": when,
                    "completed_at": when,
                }
            )
            for question in questions:
                low, high = scales[question.type]
                value = rng.randint(low, high)
                answer_id += 1
                answers.append(
                    {
                        "id": answer_id,
                        "response_id": response_id,
                        "question_id": question.id,
                        "kind": "customer",
                        "type": question.type,
                        "area": question.area,
                        "weight": 1.0,
                        "value": value,
                        "score": 100.0 * (value - low) / (high - low),
                        "created_at": when,
                    }
                )
            if len(answers) >= 20_000:
                flush(Response.__table__, responses)
                flush(Answer.__table__, answers)
        flush(Response.__table__, responses)
        flush(Answer.__table__, answers)
        db.session.commit()
        if conn.dialect.name == "postgresql":
            from sqlalchemy import text

            for table in (
                "shopcare_orders",
                "shopcare_order_lines",
                "shopcare_cases",
                "shopcare_case_lines",
                "shopcare_shipments",
                "shopcare_tickets",
                "shopcare_survey_responses",
                "shopcare_survey_answers",
            ):
                db.session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {table}))"
                    )
                )
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("ANALYZE"))
        else:
            db.session.execute(__import__("sqlalchemy").text("ANALYZE"))
            db.session.commit()
        # the worker's periodic task (insights.rollup) would run now: the rows above are
        # answers for past days that arrived after the demo seed built the rollup
        from shopcare.insights import rollup

        began = time.perf_counter()
        done = rollup.refresh()
        db.session.commit()
        print(f"{done} in {time.perf_counter() - began:.1f} s", file=sys.stderr)
        # … the delivered units (the same task: shopcare.insights.units)
        from shopcare.insights import units

        began = time.perf_counter()
        done_units = units.refresh()
        db.session.commit()
        print(f"{done_units} in {time.perf_counter() - began:.1f} s", file=sys.stderr)
        # … and then the customer facts (the same task: shopcare.insights.customers)
        from shopcare.insights import customers

        began = time.perf_counter()
        done_facts = customers.refresh()
        db.session.commit()
        print(f"{done_facts} in {time.perf_counter() - began:.1f} s", file=sys.stderr)
        # … and the returned lines' facts (the same task: shopcare.insights.returned)
        from shopcare.insights import returned

        began = time.perf_counter()
        done_returned = returned.refresh()
        db.session.commit()
        print(f"{done_returned} in {time.perf_counter() - began:.1f} s", file=sys.stderr)
        if url.startswith("postgresql"):
            # settle the fresh tables (visibility map, statistics) now, so that
            # autovacuum does not run on them while the measuring process times
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM ANALYZE"))
        found = {
            "orders": counts["orders"],
            "answers": answer_id - base["Answer"],
            "tickets": counts["tickets"],
            "cases": counts["cases"],
            "order_lines": line_id,
        }
    return found


def measure(url: str, requests: int) -> dict[str, Any]:
    """p50/p90 (ms) of the baseline, the dashboard JSON and page; peak RSS (MB)."""
    import resource

    from bench.app import create
    from shopcare.core.api import keys

    os.environ["BENCH_DATABASE_URL"] = url
    app = create()
    from sqlalchemy import select

    from shopcare.orders.models import Order

    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        _row, secret = keys.create("bench", ["insights:read"])
        app.extensions["shopcare"].db.session.commit()
        reference = app.extensions["shopcare"].db.session.scalar(select(Order.reference).limit(1))
    client = app.test_client()
    from shopcare.demo.seed import STAFF

    client.post("/login", data={"email": STAFF[0], "password": STAFF[1]})
    from datetime import date, timedelta

    today = date.today()
    query = f"start={(today - timedelta(days=364)).isoformat()}&end={(today + timedelta(days=1)).isoformat()}"
    targets = {
        "baseline": (f"/bench/baseline/{reference}", {}),
        "dashboard_json": (
            f"/care/api/v1/insights/dashboard?{query}",
            {"Authorization": f"Bearer {secret}"},
        ),
        "dashboard_page": ("/care/insights/?preset=365d", {}),
    }
    result: dict[str, Any] = {}
    for name, (path, headers) in targets.items():
        first = client.get(path, headers=headers)
        assert first.status_code == 200, (
            name,
            first.status_code,
            first.get_data(as_text=True)[:300],
        )
        times = []
        python, server = time.process_time(), _server_seconds(app)
        for _ in range(requests):
            began = time.perf_counter()
            response = client.get(path, headers=headers)
            times.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200
        after = _server_seconds(app)
        times.sort()
        result[name] = {
            "p50_ms": round(statistics.median(times), 1),
            "p90_ms": round(times[min(len(times) - 1, int(0.9 * len(times)))], 1),
            # the work behind a request, whatever the machine's load: this process's CPU
            # and the database server's (every backend: the lanes' too), per request
            "cpu_ms": {
                "python": round((time.process_time() - python) * 1000 / requests, 1),
                "server": (
                    None
                    if server is None or after is None
                    else round((after - server) * 1000 / requests, 1)
                ),
            },
        }
    result["parts_ms"] = parts(app, requests)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


def _server_seconds(app: Any) -> float | None:
    """CPU seconds the PostgreSQL backends connected to the benchmark's database have
    used so far (the pool keeps its connections, the lanes' too), when the server runs on
    this machine (``/proc/<pid>/stat``); ``None`` otherwise (or on SQLite)."""
    from sqlalchemy import text

    with app.app_context():
        engine = app.extensions["shopcare"].db.engine
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as connection:
        pids = connection.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).scalars()
        total = 0.0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                return None
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def parts(app: Any, requests: int) -> dict[str, Any]:
    """The median time (ms, in process, one after the other) of each question the
    dashboard asks for the last 365 days against the 365 before (what its lanes run at
    once on PostgreSQL), and of the lost customers (their own page); and per question
    the mean CPU time (ms) of this process (``python``: building statements, reading
    rows, shaping) and of the database server's backend (``server``, when it runs on
    this machine): the work the lanes share out, which the load of a shared machine
    does not change as it changes the elapsed times."""
    from datetime import date, timedelta

    from shopcare.insights import report

    with app.app_context():
        insights = app.extensions["shopcare"].care.insights
        today = date.today()
        period = insights.period(today - timedelta(days=364), today + timedelta(days=1))
        previous = period.previous()
        timed = {
            "segments": lambda: insights.segments(period),
            "loyalty": lambda: insights.loyalty(period),
            "returns": lambda: insights.returns_summary(period).top(10),
            "deliveries": lambda: insights.deliveries(period),
            "complaints_both": lambda: (
                insights.complaints(period),
                insights.complaints(previous),
            ),
            "survey_summary": lambda: report.summary(insights, period),
            "guarantees": lambda: insights.guarantee_claims(period),
            "lost_customers": lambda: insights.lost_customers(),
        }
        found: dict[str, Any] = {}
        cpu: dict[str, dict[str, float | None]] = {}
        for name, run in timed.items():
            times = []
            rounds = max(3, requests // 3)
            python, server = time.process_time(), _server_seconds(app)
            for _ in range(rounds):
                began = time.perf_counter()
                run()
                times.append((time.perf_counter() - began) * 1000)
                app.extensions["shopcare"].db.session.rollback()
            after = _server_seconds(app)
            found[name] = round(statistics.median(times), 1)
            cpu[name] = {
                "python": round((time.process_time() - python) * 1000 / rounds, 1),
                "server": (
                    None
                    if server is None or after is None
                    else round((after - server) * 1000 / rounds, 1)
                ),
            }
        found["cpu_ms"] = cpu
    return found


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument(
        "--measure-only",
        action="store_true",
        help="measure the PostgreSQL database at BENCH_POSTGRES_URL as an earlier run "
        "generated it (no generation)",
    )
    parser.add_argument(
        "--connections",
        default="",
        help="comma-separated SHOPCARE_INSIGHTS_CONNECTIONS values to measure in turn "
        "(e.g. 1,2,3; default: the app's default)",
    )
    parser.add_argument("--child", choices=["generate", "measure"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "generate":
        print(json.dumps(generate(args.url, args.scale, args.seed)))
        return 0
    if args.child == "measure":
        print(json.dumps(measure(args.url, args.requests)))
        return 0

    from bench.order_page import database

    results: dict[str, Any] = {"scale": args.scale, "seed": args.seed}
    for kind in args.db.split(","):
        with database(kind) as url:
            if url is None:
                print(f"{kind}: no PostgreSQL; skipped")
                continue
            began = time.perf_counter()
            if args.measure_only:
                if kind != "postgres" or not os.environ.get("BENCH_POSTGRES_URL"):
                    raise SystemExit("--measure-only needs --db postgres and BENCH_POSTGRES_URL")
                made = None
            else:
                made = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--child",
                        "generate",
                        "--url",
                        url,
                        "--scale",
                        str(args.scale),
                        "--seed",
                        str(args.seed),
                    ],
                    check=True,
                    capture_output=True,
                    text=True,
                )
            rows = {} if made is None else json.loads(made.stdout.strip().splitlines()[-1])
            generated = round(time.perf_counter() - began, 1)
            for connections in args.connections.split(",") if args.connections else [""]:
                env = dict(os.environ, BENCH_INSIGHTS_CONNECTIONS=connections)
                measured = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--child",
                        "measure",
                        "--url",
                        url,
                        "--requests",
                        str(args.requests),
                    ],
                    check=True,
                    capture_output=True,
                    text=True,
                    env=env,
                )
                figures = json.loads(measured.stdout.strip().splitlines()[-1])
                name = f"{kind}, {connections} connection(s)" if connections else kind
                results[name] = {
                    "rows": rows,
                    "generate_seconds": generated,
                    "load": os.getloadavg()[0],
                    **figures,
                }
                print(name, json.dumps(results[name]), flush=True)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "insights.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
