#!/usr/bin/env python3
"""Benchmark: the suggestion box's staff queue with 20,000 tickets, against the baseline
route, and "similar suggestions" over 10,000 published suggestions.

For each database (SQLite file, and PostgreSQL from ``BENCH_POSTGRES_URL`` or a
throwaway cluster) it seeds the demo shop, adds tickets in bulk until there are
``--tickets`` (20,000 by default; half of them published suggestions, the rest spread
over kinds, areas, statuses, priorities, assignees, response and resolution times and
ratings; multi-row INSERTs, as a benchmark's fixture), then:

1. counts the SQL statements of the queue page in-process (unfiltered, filtered by
   kind and status, by SLA state, by assignee, page 7), cold (the figures counted)
   and warm (the figures from the page cache, kept 60 s): the goal is at most 4;
2. times ``care.feedback.similar`` for typical words typed (p50 and p90 of 200 calls;
   goal: p50 under 50 ms);
3. serves the demo with gunicorn (2 sync workers) and measures requests per second of
   the queue (unfiltered and filtered) and of the baseline route in the same rounds.

    .venv/bin/python bench/feedback_queue.py [--seconds 10] [--rounds 3] [--db sqlite,postgres]

Results go to bench/results/feedback_queue.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench.case_queue import load, login, staff_cookie  # noqa: E402
from bench.order_page import database, free_port, gunicorn  # noqa: E402

QUEUE = "/care/staff/feedback"
FILTERED = "/care/staff/feedback?kind=complaint&status=in_progress&priority=high"
WORDS = ["packaging", "gift wrap", "T-Shirt", "larger sizes", "pick-up point", "delivery slot"]
SUBJECTS = [
    "Plastic-free packaging", "Gift wrapping at checkout", "T-Shirt too small", "Larger sizes",
    "Pick-up point near the station", "Evening delivery slot", "Recipe cards with the tea",
    "Refill packs for the soap", "Loyalty points", "Same-day delivery in Madrid",
]  # fmt: skip


def prepare(url: str, total: int) -> str:
    """Seed the demo and bulk-add tickets up to ``total``; return the baseline path."""
    import os
    import random

    from sqlalchemy import func, insert, select, text

    from bench.app import create
    from shopcare.core.areas import AREAS
    from shopcare.demo.seed import seed
    from shopcare.feedback.models import KINDS, PRIORITIES, STATUSES, Ticket
    from shopcare.orders.models import Order

    os.environ["BENCH_DATABASE_URL"] = url
    app = create()
    seed(app)
    rng = random.Random(12)
    with app.app_context():
        db = app.extensions["shopcare"].db
        orders = db.session.execute(
            select(Order.id, Order.email, Order.user_id, Order.placed_at)
        ).all()
        start = int(db.session.scalar(select(func.count(Ticket.id))) or 0)
        next_id = int(db.session.scalar(select(func.max(Ticket.id))) or 0) + 1
        areas = [*AREAS, "other"]
        batch: list[dict[str, Any]] = []
        for n in range(start, total):
            order = rng.choice(orders)
            created = order.placed_at + timedelta(days=rng.randint(1, 60), hours=rng.randint(0, 23))
            suggestion = n % 2 == 0
            kind = "suggestion" if suggestion else rng.choice(KINDS)
            status = rng.choice(STATUSES)
            answered = status not in ("new", "acknowledged")
            done = status in ("resolved", "closed")
            first = created + timedelta(hours=rng.uniform(0.2, 30)) if answered else None
            resolved = created + timedelta(hours=rng.uniform(2, 90)) if done else None
            subject = f"{rng.choice(SUBJECTS)} #{n}"
            batch.append({
                "id": next_id, "reference": f"F-{created.year}-{next_id:06d}",
                "request_key": f"bench-{next_id}", "kind": kind, "area": rng.choice(areas),
                "status": status, "priority": rng.choice(PRIORITIES), "channel": "web",
                "version": 1, "subject": subject, "message": f"{subject}: please consider it.",
                "anonymous": False, "order_id": order.id, "user_id": order.user_id,
                "email": order.email, "assignee_id": rng.choice([None, "staff", "lee", "kim"]),
                "created_at": created, "updated_at": created, "first_response_at": first,
                "resolved_at": resolved, "first_response_due_at": created + timedelta(hours=8),
                "resolution_due_at": created + timedelta(hours=40),
                "first_response_breached_at": None if first else created + timedelta(hours=8),
                "resolution_breached_at": None, "reopened_count": 0,
                "satisfaction_score": rng.randint(1, 5) if status == "closed" else None,
                "published": suggestion, "board_status": "under_review" if suggestion else None,
                "vote_count": rng.randint(0, 40) if suggestion else 0,
            })  # fmt: skip
            next_id += 1
            if len(batch) >= 1000:
                db.session.execute(insert(Ticket), batch)
                batch = []
        if batch:
            db.session.execute(insert(Ticket), batch)
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('shopcare_tickets', 'id'), max(id)) FROM shopcare_tickets"
                )
            )
            db.session.execute(text("ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
        db.session.commit()
        count = db.session.scalar(select(func.count(Ticket.id)))
        published = db.session.scalar(
            select(func.count(Ticket.id)).where(Ticket.published.is_(True))
        )
        reference = db.session.scalar(select(Order.reference).order_by(Order.id.desc()).limit(1))
        print(f"  {count} tickets, {published} published suggestions")
        db.engine.dispose()
    return f"/bench/baseline/{reference}"


def statements_and_similar(url: str) -> tuple[dict[str, int], dict[str, float]]:
    """SQL statements of the queue page per filter, and the similar-search timings (ms)."""
    import os

    from sqlalchemy import event

    from bench.app import create

    os.environ["BENCH_DATABASE_URL"] = url
    app = create()
    client = app.test_client()
    login(client_get=lambda path: client.get(path), client_post=client.post)
    with app.app_context():
        engine = app.extensions["shopcare"].db.engine
    seen: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    counts: dict[str, int] = {}
    event.listen(engine, "before_cursor_execute", before)
    try:
        for name, path in (
            ("all", QUEUE), ("filtered", FILTERED), ("sla breached", f"{QUEUE}?sla=breached"),
            ("assignee", f"{QUEUE}?assignee=lee"), ("page 7", f"{QUEUE}?page=7"),
        ):  # fmt: skip
            for state in ("cold", "warm"):  # warm: the figures come from the page cache
                seen.clear()
                response = client.get(path)
                assert response.status_code == 200, response.status_code
                counts[f"{name} ({state})"] = len(seen)
                if state == "cold" and name == "all":
                    print("  cold page statements:", [q.split(" FROM ")[-1][:60] for q in seen])
    finally:
        event.remove(engine, "before_cursor_execute", before)
    timings: list[float] = []
    with app.app_context():
        desk = app.extensions["shopcare"].care.feedback
        for _ in range(2):  # warm-up
            for words in WORDS:
                desk.similar(words)
        for n in range(200):
            started = time.perf_counter()
            found = desk.similar(WORDS[n % len(WORDS)])
            timings.append((time.perf_counter() - started) * 1000)
            assert found is not None
        app.extensions["shopcare"].db.session.remove()
    engine.dispose()
    timings.sort()
    return counts, {
        "p50_ms": statistics.median(timings),
        "p90_ms": timings[int(len(timings) * 0.9) - 1],
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--db", default="sqlite,postgres")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    for kind in args.db.split(","):
        with ExitStack() as stack:
            url = stack.enter_context(database(kind))
            if url is None:
                print(f"{kind}: skipped (no PostgreSQL binaries and no BENCH_POSTGRES_URL)")
                continue
            print(f"{kind}: seeding the demo shop and {args.tickets} tickets …")
            baseline = prepare(url, args.tickets)
            statements, similar = statements_and_similar(url)
            print(
                f"{kind}: SQL statements per queue page: {statements} (max {max(statements.values())}; goal ≤ 4)"
            )
            print(
                f"{kind}: similar suggestions: p50 {similar['p50_ms']:.1f} ms, p90 {similar['p90_ms']:.1f} ms (goal p50 < 50 ms)"
            )
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
            results[kind] = {
                **rps,
                "ratio": rps["queue"] / rps["baseline"],
                "ratio_filtered": rps["queue_filtered"] / rps["baseline"],
                "statements": statements,
                "similar": similar,
            }
            print(
                f"{kind}: baseline {rps['baseline']:.0f} req/s, queue {rps['queue']:.0f} req/s "
                f"(ratio {results[kind]['ratio']:.2f}), filtered {rps['queue_filtered']:.0f} req/s "
                f"(ratio {results[kind]['ratio_filtered']:.2f})"
            )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "feedback_queue.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
