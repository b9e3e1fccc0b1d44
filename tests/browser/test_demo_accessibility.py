"""The demo shop's own pages, and shopcare's inside it, pass axe-core: no serious or
critical violation (text contrast, accessible names that match the visible text …),
at phone and desktop widths, in English and Spanish."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from playwright.sync_api import Browser
from sqlalchemy import select

from shopcare.demo.app import create_app
from shopcare.demo.extensions import care as demo_care
from shopcare.demo.extensions import db as demo_db
from shopcare.demo.models import User
from shopcare.demo.seed import SHOPPER, STAFF, seed
from tests.fixtures_browser import DESKTOP, PHONE, serve_app

pytestmark = pytest.mark.browser

axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    path = tmp_path_factory.mktemp("a11y") / "demo.sqlite"
    app: Flask = create_app(f"sqlite:///{path}", DEMO_PASSWORD_METHOD="pbkdf2:sha256:1000")
    seed(app, now=datetime.now(UTC), days=40)
    with app.app_context():
        shopper = demo_db.session.scalars(select(User).where(User.email == SHOPPER[0])).one()
        statuses = demo_care.tracking.order_statuses(
            order.reference for order in demo_care.orders.for_user(shopper.id)
        )
        orders = {
            "split": next(ref for ref, s in statuses.items() if s.code == "partly_delivered"),
            "late": next(ref for ref, s in statuses.items() if s.late and not s.problem),
        }
    with serve_app(app) as url:
        yield url, orders
    with app.app_context():
        demo_db.engine.dispose()


SHOPPER_PAGES = [
    "/",
    "/shop/",
    "/shop/monstera-deliciosa",
    "/cart/",
    "/account/",
    "/care/",
    "/care/tracking/",
    "/care/tracking/orders",
    "@split",
    "@late",
    "/care/staff/late-shipments",  # the 403 page
]
STAFF_PAGES = ["/care/staff/", "/care/staff/late-shipments", "/care/staff/outbox"]


def serious(page: object) -> list[str]:
    results = axe_sync.Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): "
        + "; ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("lang", ["en", "es"])
def test_demo_pages_pass_axe(browser: Browser, demo: tuple[str, dict[str, str]], lang: str) -> None:
    base, orders = demo
    found: dict[str, list[str]] = {}
    for who, pages in (("shopper", SHOPPER_PAGES), ("staff", STAFF_PAGES)):
        context = browser.new_context(locale=lang, extra_http_headers={"Accept-Language": lang})
        page = context.new_page()
        email, password = SHOPPER if who == "shopper" else STAFF
        page.goto(f"{base}/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", password)
        page.click("form button[type=submit]")
        page.wait_for_url(re.compile(r"/account/$"))
        for size in (PHONE, DESKTOP):
            page.set_viewport_size(size)
            for path in pages:
                target = (
                    f"/care/tracking/orders/{orders[path[1:]]}" if path.startswith("@") else path
                )
                page.goto(base + target)
                problems = serious(page)
                if problems:
                    found[f"{who} {size['width']} {target}"] = problems
        context.close()
    assert found == {}, found
