#!/usr/bin/env python3
"""Screenshots of the demo shop at phone and desktop size, for looking at a page's design.

Seeds a fresh demo shop in a temporary SQLite file, serves it in a thread, and saves
one PNG per page and size into ``screenshots/`` (gitignored)::

    .venv/bin/python scripts/screenshots.py                     # the standard tour
    .venv/bin/python scripts/screenshots.py /care/ /shop/       # just these pages
    .venv/bin/python scripts/screenshots.py /care/ --lang es    # in Spanish
    .venv/bin/python scripts/screenshots.py /account/ --as shopper
    .venv/bin/python scripts/screenshots.py /care/ --as staff --sizes 1366x900

A page that sends an anonymous visitor to the login page is shot logged in as the
shopper (unless ``--as`` says otherwise). Two special paths:

* ``@cart``  — the cart with two products in it;
* ``@order`` — places an order as the shopper and shoots the confirmation page.

Files are named after the path, language, user and size: ``care-es-390x844.png``.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shopcare.demo.app import create_app  # noqa: E402
from shopcare.demo.seed import SHOPPER, STAFF, seed  # noqa: E402
from tests.fixtures_browser import CHROMIUM, CHROMIUM_ARGS, chromium_missing, serve_app  # noqa: E402

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, FloatRect, Page

TOUR = [
    "/",
    "/shop/",
    "/shop/?category=plants",
    "/shop/monstera-deliciosa",
    "@cart",
    "/checkout",
    "@order",
    "/account/",
    "/login",
    "/care/",
]
LOGINS = {"shopper": SHOPPER, "staff": STAFF}
CART_PRODUCTS = ["/shop/monstera-deliciosa", "/shop/terracotta-pot-20-cm"]


def size(value: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)x(\d+)", value)
    if not match:
        raise argparse.ArgumentTypeError(f"{value!r} is not WIDTHxHEIGHT")
    return int(match[1]), int(match[2])


def file_name(path: str, lang: str | None, user: str | None, width: int, height: int) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
    parts = [slug, lang, user, f"{width}x{height}"]
    return "-".join(part for part in parts if part) + ".png"


def log_in(page: Page, base: str, user: str) -> None:
    email, password = LOGINS[user]
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    if "/login" in page.url:
        raise SystemExit(f"could not log in as {user}")


def fill_cart(page: Page, base: str) -> None:
    for product in CART_PRODUCTS:
        page.goto(base + product)
        page.click(".product-info form.add button[type=submit]")
        page.wait_for_load_state()


def shoot(context: BrowserContext, base: str, path: str, user: str | None) -> tuple[Page, str]:
    """Open ``path`` (logging in when needed); return the page and who was logged in."""
    page = context.new_page()
    target = {"@cart": "/cart/", "@order": "/checkout"}.get(path, path)
    if user is None and path == "@order":
        user = "shopper"
        log_in(page, base, user)
    elif user is None and not target.startswith("/login"):
        page.goto(base + target)
        if "/login" in page.url:
            user = "shopper"
            log_in(page, base, user)
    if path.startswith("@") or target.startswith(("/cart", "/checkout")):
        fill_cart(page, base)
    page.goto(base + target)
    if path == "@order":
        page.click("form button[type=submit]:has-text('Place order')")
        page.wait_for_url("**/checkout/thanks/**")
    page.wait_for_load_state("networkidle")
    return page, user or ""


def save_tiles(page: Page, target: Path, width: int, height: int) -> None:
    """Cut the whole page into window-high PNGs next to ``target``."""
    total: int = page.evaluate("document.documentElement.scrollHeight")
    for number, top in enumerate(range(0, total, height), start=1):
        clip: FloatRect = {"x": 0, "y": top, "width": width, "height": min(height, total - top)}
        page.screenshot(path=str(target.with_suffix(f".{number}.png")), full_page=True, clip=clip)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="pages to shoot (default: the standard tour)")
    parser.add_argument("--as", dest="user", choices=sorted(LOGINS), help="log in first")
    parser.add_argument("--lang", help="the browser's language, e.g. es")
    parser.add_argument(
        "--sizes",
        type=lambda text: [size(part) for part in text.split(",")],
        default=[(390, 844), (1280, 900)],
        help="comma-separated WIDTHxHEIGHT (default 390x844,1366x900)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument(
        "--viewport-only", action="store_true", help="shoot the window, not the whole page"
    )
    parser.add_argument(
        "--tiles",
        action="store_true",
        help="also cut each page into window-high tiles (name.1.png, …), easier to view",
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    missing = chromium_missing()
    if missing:
        print(missing, file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    paths = args.paths or TOUR
    with tempfile.TemporaryDirectory(prefix="shopcare-shots-") as tmp:
        app = create_app(f"sqlite:///{Path(tmp) / 'demo.sqlite'}")
        seed(app, seed=args.seed, now=datetime.now(UTC))
        with serve_app(app) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            for width, height in args.sizes:
                for path in paths:
                    # A fresh context per page: its own cookies, cart and login.
                    context = browser.new_context(
                        viewport={"width": width, "height": height},
                        locale=args.lang or "en-GB",
                        extra_http_headers={"Accept-Language": args.lang} if args.lang else {},
                    )
                    context.set_default_timeout(15_000)
                    if args.user:
                        log_in(context.new_page(), base, args.user)
                    page, user = shoot(context, base, path, args.user)
                    target = args.out / file_name(path, args.lang, user, width, height)
                    page.screenshot(path=str(target), full_page=not args.viewport_only)
                    if args.tiles and not args.viewport_only:
                        save_tiles(page, target, width, height)
                    overflow = page.evaluate(
                        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                    )
                    note = f"  (scrolls sideways by {overflow}px!)" if overflow > 0 else ""
                    shown = target.relative_to(ROOT) if target.is_relative_to(ROOT) else target
                    print(f"{shown}{note}")
                    context.close()
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
