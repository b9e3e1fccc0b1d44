"""The demo shop in a real Chromium: a shopper logs in, buys two things, and every page
fits a phone without sideways scrolling."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from shopcare.demo.app import create_app
from shopcare.demo.extensions import db as demo_db
from shopcare.demo.seed import SHOPPER, seed
from tests.fixtures_browser import PHONE, serve_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo shop with two months of history, served live for this module."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    app: Flask = create_app(f"sqlite:///{path}", DEMO_PASSWORD_METHOD="pbkdf2:sha256:1000")
    seed(app, now=datetime.now(UTC), days=60)
    with serve_app(app) as url:
        yield url
    with app.app_context():
        demo_db.engine.dispose()


def log_in(page: Page, base: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(SHOPPER[0])
    page.get_by_label("Password").fill(SHOPPER[1])
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/account/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello")


def test_shopper_logs_in_adds_two_products_and_checks_out(page: Page, demo_url: str) -> None:
    log_in(page, demo_url)

    page.goto(f"{demo_url}/shop/?category=plants")
    page.get_by_role("button", name="Add: Snake Plant").click()
    expect(page.locator("[data-cart-count]")).to_have_text("1")
    page.get_by_role("link", name="Golden Pothos").click()
    page.get_by_label("Qty").fill("2")
    page.get_by_role("button", name="Add to cart: Golden Pothos").click()

    expect(page).to_have_url(re.compile(r"/cart/$"))
    expect(page.locator("[data-cart-count]")).to_have_text("3")
    expect(page.locator(".cart-line")).to_have_count(2)
    page.get_by_role("link", name="Go to checkout").click()
    page.get_by_role("button", name="Place order").click()

    expect(page).to_have_url(re.compile(r"/checkout/thanks/CV-\d{6}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Thank you")
    reference = page.locator("[data-order-reference]").inner_text()
    assert re.fullmatch(r"CV-\d{6}", reference)
    expect(page.locator("table.lines")).to_contain_text("2 \N{MULTIPLICATION SIGN} Golden Pothos")
    expect(page.locator("table.lines")).to_contain_text("1 \N{MULTIPLICATION SIGN} Snake Plant")
    expect(page.locator("[data-cart-count]")).to_have_text("0")

    page.get_by_role("link", name="Customer care").first.click()
    expect(page).to_have_url(re.compile(r"/care/$"))
    expect(page.locator(".site-header")).to_be_visible()  # shopcare inside the shop

    page.goto(f"{demo_url}/account/")
    expect(page.locator(".orders")).to_contain_text(reference)


PAGES = [
    "/",
    "/shop/",
    "/shop/?category=kitchen",
    "/shop/monstera-deliciosa",
    "/cart/",
    "/checkout",
    "/account/",
    "/login",
    "/care/",
]


def test_no_page_scrolls_sideways_on_a_phone(page: Page, demo_url: str) -> None:
    page.set_viewport_size(PHONE)
    log_in(page, demo_url)
    page.goto(f"{demo_url}/shop/olive-wood-board")
    page.get_by_role("button", name="Add to cart: Olive Wood Board").click()
    wide = {}
    for path in PAGES:
        page.goto(demo_url + path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 0:
            wide[path] = overflow
    assert wide == {}, f"pages wider than a 390 px phone: {wide}"
