"""Order tracking in a real Chromium: a guest looks an order up and follows it; the
order page fits a phone; the staff's late list."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from shopcare.demo.app import create_app
from shopcare.demo.extensions import db as demo_db
from shopcare.demo.seed import STAFF, seed
from shopcare.orders.models import Order
from shopcare.tracking.models import Shipment
from tests.fixtures_browser import PHONE, serve_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Flask]]:
    """The demo shop with a month of history, served live for this module."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    app = create_app(f"sqlite:///{path}", DEMO_PASSWORD_METHOD="pbkdf2:sha256:1000")
    seed(app, now=datetime.now(UTC), days=30)
    with serve_app(app) as url:
        yield url, app
    with app.app_context():
        demo_db.engine.dispose()


def guest_order_on_its_way(app: Flask) -> tuple[str, str]:
    """A guest order with a parcel that has left (reference, e-mail)."""
    with app.app_context():
        row = demo_db.session.execute(
            select(Order.reference, Order.email)
            .join(Shipment, Shipment.order_id == Order.id)
            .where(Order.user_id.is_(None), Shipment.status != "pending")
            .order_by(Order.placed_at.desc())
            .limit(1)
        ).one()
    return row.reference, row.email


def no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def test_guest_looks_up_an_order_and_follows_it(page: Page, demo: tuple[str, Flask]) -> None:
    base, app = demo
    reference, email = guest_order_on_its_way(app)

    page.goto(f"{base}/care/")
    page.locator(".sc-cards").get_by_role("link", name=re.compile("Track an order")).click()
    expect(page).to_have_url(re.compile(r"/care/tracking/$"))

    # A wrong e-mail: one generic message, the form again.
    page.get_by_label("Order number").fill(reference)
    page.get_by_label("E-mail address").fill("someone.else@example.com")
    page.get_by_role("button", name="Find my order").click()
    expect(page.get_by_role("alert")).to_contain_text("could not find an order")
    expect(page).to_have_url(re.compile(r"/care/tracking/$"))

    page.get_by_label("E-mail address").fill(email.upper())
    page.get_by_role("button", name="Find my order").click()
    expect(page).to_have_url(re.compile(rf"/care/tracking/orders/{reference}\?key=[\w.-]+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {reference}")
    expect(page.locator(".sc-progress").first).to_be_visible()
    expect(page.locator(".sc-timeline-entry").first).to_be_visible()
    expect(page.locator(".sc-carrier a").first).to_have_attribute("rel", "noopener noreferrer")

    page.set_viewport_size(PHONE)
    page.reload()
    no_sideways_scroll(page)


def test_order_page_in_spanish_on_a_phone(browser, demo: tuple[str, Flask]) -> None:
    base, app = demo
    reference, email = guest_order_on_its_way(app)
    context = browser.new_context(viewport=PHONE, locale="es-ES")
    try:
        page = context.new_page()
        page.goto(f"{base}/care/tracking/")
        page.get_by_label("Número de pedido").fill(reference)
        page.get_by_label("Correo electrónico").fill(email)
        page.get_by_role("button", name="Buscar mi pedido").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Pedido {reference}")
        expect(page.locator("body")).to_contain_text("Historial")
        no_sideways_scroll(page)
    finally:
        context.close()


def test_staff_see_the_late_list(page: Page, demo: tuple[str, Flask]) -> None:
    base, _app = demo
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(STAFF[0])
    page.get_by_label("Password").fill(STAFF[1])
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{base}/care/staff/late-shipments")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Late shipments")
    rows = page.locator(".sc-late-list > li")
    expect(rows.first).to_be_visible()
    rows.first.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/care/tracking/orders/CV-\d+$"))
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/care/staff/late-shipments")
    no_sideways_scroll(page)
