"""Every page a shopper or staff member can reach by following links passes axe-core, in
English on a desktop and in Spanish on a phone, and is kept as a screenshot.

The pages are found, not listed: starting from the care home (a shopper) and the staff
home (staff), every link to a shopcare page is followed, so a page a new feature adds is
checked without touching this test. Links that only differ by an object's number (two
cases, two orders) are visited at most twice. Each page must answer 200 and have no
serious or critical axe violation (contrast, names, labels, landmarks …); the Spanish
page must be in Spanish (``<html lang="es">``). Screenshots go to
``test-artifacts/screenshots/`` (gitignored; CI keeps the folder).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page

from shopcare.demo.app import create_app
from shopcare.demo.extensions import db as demo_db
from shopcare.demo.seed import SHOPPER, STAFF, seed
from tests.fixtures_browser import DESKTOP, PHONE, serve_app

pytestmark = [
    pytest.mark.browser,
    # The demo shop runs on SQLite whatever database the suite is on: once is enough.
    pytest.mark.skipif(
        bool(os.environ.get("SHOPCARE_TEST_DATABASE_URL")),
        reason="the demo's pages are crawled in the SQLite run",
    ),
]

axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
#: Paths never followed: files, not pages, and what changes the session.
SKIP = re.compile(r"/static/|/photos/|\.csv|\.json|/logout|/language/|/api/v1/(?!docs)")
#: How many pages of one shape (the same path with its numbers and references blanked)
#: are followed for their links, and how many of those are checked.
FOLLOWED_PER_SHAPE = 8
CHECKED_PER_SHAPE = 2
MOST = 120


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = tmp_path_factory.mktemp("crawl") / "demo.sqlite"
    app: Flask = create_app(f"sqlite:///{path}", DEMO_PASSWORD_METHOD="pbkdf2:sha256:1000")
    seed(app, now=datetime.now(UTC), days=40)
    with serve_app(app) as url:
        yield url
    with app.app_context():
        demo_db.engine.dispose()


def shape(path: str) -> str:
    """``/care/cases/R-2026-000012`` → ``/care/cases/*``: what two objects' pages share."""
    return re.sub(r"/[^/]*\d[^/]*", "/*", urlsplit(path).path)


def serious(page: Page) -> list[str]:
    results = axe_sync.Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): "
        + "; ".join(str(node["target"][0]) for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def log_in(page: Page, base: str, who: tuple[str, str]) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", who[0])
    page.fill("input[name=password]", who[1])
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/account/$"))


def crawl(page: Page, base: str, start: str) -> list[str]:
    """The shopcare pages reachable from ``start`` (paths with their query strings), at
    most :data:`CHECKED_PER_SHAPE` of each shape."""
    seen: list[str] = []
    shapes: Counter[str] = Counter()
    queue = [start]
    while queue and len(seen) < MOST:
        path = queue.pop(0)
        if path in seen or shapes[shape(path)] >= FOLLOWED_PER_SHAPE:
            continue
        seen.append(path)
        shapes[shape(path)] += 1
        page.goto(base + path)
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            parts = urlsplit(urljoin(base + path, href))
            if parts.netloc != urlsplit(base).netloc or not parts.path.startswith("/care/"):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if not SKIP.search(target) and target not in seen:
                queue.append(target)
    checked: Counter[str] = Counter()
    chosen = []
    for path in seen:
        if checked[shape(path)] < CHECKED_PER_SHAPE:
            checked[shape(path)] += 1
            chosen.append(path)
    return chosen


@pytest.mark.parametrize(
    ("who", "start"), [("shopper", "/care/"), ("staff", "/care/staff/")], ids=["shopper", "staff"]
)
def test_every_reachable_page_passes_axe_in_both_languages(
    browser: Browser, demo: str, who: str, start: str
) -> None:
    base = demo
    context = browser.new_context(locale="en-GB", viewport=DESKTOP)
    page = context.new_page()
    log_in(page, base, SHOPPER if who == "shopper" else STAFF)
    pages = crawl(page, base, start)
    if who == "shopper":
        pages.append("/care/staff/")  # what a shopper gets there: the 403 page
    context.close()
    assert len(pages) >= 8, pages  # the crawl found the site, not just its start

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    found: dict[str, list[str]] = {}
    for lang, size in (("en", DESKTOP), ("es", PHONE)):
        context = browser.new_context(
            locale=lang, viewport=size, extra_http_headers={"Accept-Language": lang}
        )
        page = context.new_page()
        log_in(page, base, SHOPPER if who == "shopper" else STAFF)
        for path in pages:
            response = page.goto(base + path)
            assert response is not None
            expected = 403 if who == "shopper" and path == "/care/staff/" else 200
            assert response.status == expected, (lang, path, response.status)
            assert page.get_attribute("html", "lang") in (lang, f"{lang}-{lang.upper()}"), path
            name = re.sub(r"[^a-zA-Z0-9]+", "-", path).strip("-") or "root"
            page.screenshot(
                path=str(ARTIFACTS / f"{who}-{name}-{lang}-{size['width']}.png"), full_page=True
            )
            problems = serious(page)
            if problems:
                found[f"{lang} {size['width']} {path}"] = problems
        context.close()
    assert found == {}, found
