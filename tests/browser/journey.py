"""A shopper's or staff member's journey through the demo shop in a real Chromium, in one
language, checked at every step.

    journey = Journey(browser, base, "es", PHONE, "withdraw")
    journey.page.goto(base + "/care/")
    journey.check("home")  # axe at phone and desktop width, two screenshots
    journey.page.get_by_role("button", name=journey._("Continue")).click()

:meth:`Journey.check` runs axe-core at both widths the issue names (phone 390 x 844 and
desktop 1366 x 900) and fails on any serious or critical violation; it checks that the page
is in the journey's language (``<html lang>``), that the phone layout never scrolls
sideways, and keeps a full-page screenshot of each width in
``test-artifacts/screenshots/journeys/`` (gitignored; CI keeps the folder). The journey is
then driven on at the width it started with.

:meth:`Journey._` translates an English text of shopcare's catalogue into the journey's
language, so that one test drives both languages by the words a shopper reads; a text the
catalogue does not have is an error (not a silent fall-back to English).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from playwright.sync_api import Browser, Page, ViewportSize, expect

import shopcare
from shopcare.demo.seed import SHOPPER
from tests.fixtures_browser import DESKTOP, PHONE

axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots" / "journeys"
CATALOGS = Path(shopcare.__file__).resolve().parent / "translations"
WIDTHS: dict[str, ViewportSize] = {"phone": PHONE, "desktop": DESKTOP}
#: The languages a journey runs in, each driven at one width (and checked at both).
LANGUAGES = [
    pytest.param("en", DESKTOP, id="en-desktop"),
    pytest.param("es", PHONE, id="es-phone"),
]
_catalogues: dict[str, Catalog] = {}


def translator(lang: str) -> Callable[..., str]:
    """``_(english, **params)`` in ``lang``, from shopcare's compiled catalogue."""
    if lang == "en":
        return lambda text, **params: text % params if params else text
    if lang not in _catalogues:
        with (CATALOGS / lang / "LC_MESSAGES" / "shopcare.mo").open("rb") as compiled:
            _catalogues[lang] = read_mo(compiled)
    catalogue = _catalogues[lang]

    def _(text: str, **params: Any) -> str:
        message = catalogue.get(text)
        if message is None or not isinstance(message.string, str) or not message.string:
            raise KeyError(f"{text!r} is not translated in the {lang} catalogue")
        return message.string % params if params else message.string

    return _


def serious(page: Page) -> list[str]:
    """axe-core's serious and critical violations on ``page`` (rule, impact, first nodes)."""
    results = axe_sync.Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): "
        + "; ".join(str(node["target"][0]) for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


class Journey:
    """One person's journey in one language, in a browser context of its own."""

    def __init__(
        self, browser: Browser, base: str, lang: str, size: ViewportSize, name: str
    ) -> None:
        self.base, self.lang, self.size, self.name = base, lang, size, name
        self.context = browser.new_context(
            locale={"en": "en-GB", "es": "es-ES"}[lang],
            viewport=size,
            extra_http_headers={"Accept-Language": lang},
        )
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self._ = translator(lang)
        self.steps = 0

    def goto(self, path: str) -> None:
        self.page.goto(self.base + path)

    def log_in(self, who: tuple[str, str] = SHOPPER) -> None:
        """Log in on the demo shop's own form (the host's, not shopcare's)."""
        self.goto("/login")
        self.page.locator("input[name=email]").fill(who[0])
        self.page.locator("input[name=password]").fill(who[1])
        self.page.locator("form button[type=submit]").first.click()
        expect(self.page).not_to_have_url(re.compile(r"/login"))

    def check(self, step: str) -> None:
        """axe, the language, no sideways scroll on a phone, and a screenshot, at both
        widths; then back to the width the journey is driven at."""
        self.steps += 1
        page = self.page
        page.wait_for_load_state()
        assert page.evaluate("document.documentElement.lang") == self.lang, (step, page.url)
        found: dict[str, list[str]] = {}
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for width, size in WIDTHS.items():
            page.set_viewport_size(size)
            # let the page settle at its new width (charts redraw on the next frames)
            page.evaluate(
                "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
            )
            if width == "phone":
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 0, f"{step}: {page.url} scrolls sideways by {overflow}px"
            violations = serious(page)
            if violations:
                found[width] = violations
            shot = f"{self.name}-{self.lang}-{self.steps:02d}-{step}-{width}.png"
            page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
        page.set_viewport_size(self.size)
        assert not found, f"{self.name} / {step} ({page.url}): {found}"

    def close(self) -> None:
        self.context.close()
