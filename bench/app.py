"""The demo shop with two extra baseline routes, for the benchmarks.

gunicorn serves it as ``bench.app:create()``; the database comes from
``BENCH_DATABASE_URL``, and ``BENCH_PAGE_CACHE_SIZE`` (when set) becomes
``SHOPCARE_PAGE_CACHE_SIZE`` (``0``: every order page renders in full) and
``BENCH_WEBHOOK_SECRET`` (when set) ``SHOPCARE_WEBHOOK_SECRET``. The baseline
route loads one order row and its lines and renders a minimal template: the least
any order page could do. The benchmark compares shopcare's full order page
(shipments, progress, estimate, timeline, in the demo layout) against it, in the
same app and the same run.

``POST /bench/baseline/write`` is the write path's baseline (``bench/write_path.py``):
it reads the JSON body, inserts one row into a table of its own and commits, the
least any endpoint that records something could do.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, abort, jsonify, render_template, request
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, insert, select

from shopcare.core.db import session, utcnow
from shopcare.demo.app import create_app
from shopcare.orders.models import Order
from shopcare.orders.services import reference_key

#: The write baseline's own table (created by ``bench/write_path.py``).
BASELINE_ROWS = Table(
    "bench_baseline_rows",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("reference", String(64)),
    Column("created_at", DateTime(timezone=True)),
)


def create() -> Flask:
    config: dict[str, object] = {"SHOPCARE_RATELIMIT_ENABLED": False}
    if os.environ.get("BENCH_PAGE_CACHE_SIZE"):
        config["SHOPCARE_PAGE_CACHE_SIZE"] = int(os.environ["BENCH_PAGE_CACHE_SIZE"])
    if os.environ.get("BENCH_INSIGHTS_CONNECTIONS"):
        config["SHOPCARE_INSIGHTS_CONNECTIONS"] = int(os.environ["BENCH_INSIGHTS_CONNECTIONS"])
    if os.environ.get("BENCH_WEBHOOK_SECRET"):
        config["SHOPCARE_WEBHOOK_SECRET"] = os.environ["BENCH_WEBHOOK_SECRET"]
    app = create_app(os.environ["BENCH_DATABASE_URL"], **config)
    app.jinja_loader.searchpath.append(str(Path(__file__).parent / "templates"))  # type: ignore[union-attr]

    @app.route("/bench/baseline/<reference>")
    def baseline(reference: str) -> str:
        key = reference_key(reference)
        order = session().scalars(select(Order).where(Order.reference_key == key)).one_or_none()
        if order is None:
            abort(404)
        return render_template("bench/baseline.html", order=order)

    @app.post("/bench/baseline/write")
    def baseline_write() -> tuple[object, int]:
        body = request.get_json()
        row_id = (
            session()
            .execute(
                insert(BASELINE_ROWS)
                .values(reference=str(body["reference"])[:64], created_at=utcnow())
                .returning(BASELINE_ROWS.c.id)
            )
            .scalar_one()
        )
        session().commit()
        return jsonify({"id": row_id}), 201

    app.extensions["csrf"].exempt(baseline_write)  # a JSON endpoint, like shopcare's API
    return app
