"""The demo shop with one extra baseline route, for the order-page benchmark.

gunicorn serves it as ``bench.app:create()``; the database comes from
``BENCH_DATABASE_URL``, and ``BENCH_PAGE_CACHE_SIZE`` (when set) becomes
``SHOPCARE_PAGE_CACHE_SIZE`` (``0``: every order page renders in full). The baseline
route loads one order row and its lines and renders a minimal template: the least
any order page could do. The benchmark compares shopcare's full order page
(shipments, progress, estimate, timeline, in the demo layout) against it, in the
same app and the same run.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, abort, render_template
from sqlalchemy import select

from shopcare.core.db import session
from shopcare.demo.app import create_app
from shopcare.orders.models import Order


def create() -> Flask:
    config: dict[str, object] = {"SHOPCARE_RATELIMIT_ENABLED": False}
    if os.environ.get("BENCH_PAGE_CACHE_SIZE"):
        config["SHOPCARE_PAGE_CACHE_SIZE"] = int(os.environ["BENCH_PAGE_CACHE_SIZE"])
    app = create_app(os.environ["BENCH_DATABASE_URL"], **config)
    app.jinja_loader.searchpath.append(str(Path(__file__).parent / "templates"))  # type: ignore[union-attr]

    @app.route("/bench/baseline/<reference>")
    def baseline(reference: str) -> str:
        order = session().scalars(select(Order).where(Order.reference == reference)).one_or_none()
        if order is None:
            abort(404)
        return render_template("bench/baseline.html", order=order)

    return app
