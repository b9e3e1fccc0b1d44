"""After-sales cases in a real Chromium: a guest files a partial return with a photo,
staff approve it, the shopper sees the new status; the withdrawal button in Spanish."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import zxingcpp
from flask import Flask
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import select

from shopcare.demo.app import create_app
from shopcare.demo.extensions import care as demo_care
from shopcare.demo.extensions import db as demo_db
from shopcare.demo.seed import STAFF, seed
from shopcare.orders.models import Order
from tests.fixtures_browser import DESKTOP, PHONE, serve_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Flask]]:
    path = tmp_path_factory.mktemp("demo-cases") / "demo.sqlite"
    app = create_app(f"sqlite:///{path}", DEMO_PASSWORD_METHOD="pbkdf2:sha256:1000")
    seed(app, now=datetime.now(UTC), days=30)
    with serve_app(app) as url:
        yield url, app
    with app.app_context():
        demo_db.engine.dispose()


def guest_orders(app: Flask, kind: str, *, multi: bool = False) -> list[tuple[str, str]]:
    """Guest orders (reference, e-mail) where ``kind`` is open for every line."""
    found = []
    with app.app_context():
        orders = demo_db.session.scalars(
            select(Order)
            .where(Order.user_id.is_(None), Order.delivered_at.is_not(None))
            .order_by(Order.placed_at.desc())
        ).all()
        for order in orders:
            check = demo_care.cases.eligibility(order.reference, kind)
            open_lines = [line for line in check.lines if line.eligible]
            units = sum(line.available for line in open_lines)
            if open_lines and check.lines[0].eligible and (not multi or units > 1):
                found.append((order.reference, order.email))
    assert found, f"the demo has no guest order open for {kind}"
    return found


def look_up(page: Page, base: str, reference: str, email: str, *, spanish: bool = False) -> None:
    page.goto(f"{base}/care/tracking/")
    page.get_by_label("Número de pedido" if spanish else "Order number").fill(reference)
    page.get_by_label("Correo electrónico" if spanish else "E-mail address").fill(email)
    page.get_by_role("button", name="Buscar mi pedido" if spanish else "Find my order").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{'Pedido' if spanish else 'Order'} {reference}"
    )


def no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def test_guest_partial_return_with_a_photo_staff_approve_shopper_sees_it(
    browser, page: Page, demo: tuple[str, Flask], tmp_path: Path
) -> None:
    base, app = demo
    reference, email = guest_orders(app, "return", multi=True)[0]
    look_up(page, base, reference, email)
    page.get_by_role("link", name="Return or exchange").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Return or exchange")
    page.locator("input[name^=qty-]").first.fill("1")  # part of the order only
    page.get_by_label("Reason").select_option("too_small")
    wish = page.get_by_label("For an exchange: which size, colour or item would you like instead?")
    page.get_by_label("What would you like?").select_option("refund")
    expect(wish).to_be_hidden()  # asked only once an exchange is chosen
    page.get_by_label("What would you like?").select_option("exchange")
    expect(wish).to_be_visible()
    wish.fill("Size M")
    photo = tmp_path / "parcel.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), (200, 90, 40)).save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())
    page.locator("input[type=file]").set_input_files(str(photo))
    page.get_by_role("button", name="Send request").click()
    expect(page.locator(".sc-case-status")).to_have_text("Requested")
    expect(page.locator(".sc-photos a")).to_have_count(1)
    heading = page.get_by_role("heading", level=1).inner_text()
    number = heading.removeprefix("Request ").strip()
    case_url = page.url
    assert re.search(rf"/care/cases/{number}\?key=", case_url)

    staff = browser.new_context(locale="en-GB")
    try:
        desk = staff.new_page()
        desk.goto(f"{base}/login")
        desk.get_by_label("E-mail").fill(STAFF[0])
        desk.get_by_label("Password").fill(STAFF[1])
        desk.get_by_role("button", name="Log in").click()
        desk.goto(f"{base}/care/staff/cases?q={number}")
        desk.get_by_role("link", name=number).click()
        desk.get_by_role("button", name="Approve").click()
        expect(desk.locator(".sc-case-status")).to_have_text("Approved")
        desk.set_viewport_size(PHONE)
        desk.goto(f"{base}/care/staff/cases")
        no_sideways_scroll(desk)
    finally:
        staff.close()

    page.goto(case_url)
    expect(page.locator(".sc-case-status")).to_have_text("Approved")
    expect(page.get_by_role("link", name="Print the return slip")).to_be_visible()
    expect(page.get_by_text("Size M")).to_be_visible()
    page.set_viewport_size(PHONE)
    no_sideways_scroll(page)

    # The slip's QR code, drawn by Chromium at a printer's resolution (the slip is for
    # printing), decodes to the staff page of this case.
    slip_url = page.get_by_role("link", name="Print the return slip").get_attribute("href")
    printer = browser.new_context(
        storage_state=page.context.storage_state(), viewport=DESKTOP, device_scale_factor=3
    )
    try:
        sheet = printer.new_page()
        sheet.goto(base + slip_url if slip_url.startswith("/") else slip_url)
        shot = sheet.locator(".sc-slip-qr svg").screenshot()
    finally:
        printer.close()
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
    assert [(code.format.name, code.text) for code in decoded] == [
        ("QRCode", f"{base}/care/staff/cases/{number}")
    ]
