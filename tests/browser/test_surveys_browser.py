"""Surveys in a real Chromium: the invitation arrives at the loopback SMTP server →
click "9" in the mail → the survey opens with 9 selected → finish → the response is
stored and counted. Then the pages on a phone and in Spanish, screenshotted."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from shopcare.core.outbox.worker import Worker
from shopcare.demo.app import create_app
from shopcare.demo.extensions import care as demo_care
from shopcare.demo.extensions import db as demo_db
from shopcare.demo.seed import seed
from shopcare.surveys.models import Response
from tests.fixtures_browser import PHONE, serve_app

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent.parent.parent / "build" / "screenshots"


def no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def test_click_9_in_the_mail_finish_and_it_is_counted(
    browser: Any, page: Page, smtp_server: Any, tmp_path: Path
) -> None:
    app = create_app(
        f"sqlite:///{tmp_path / 'demo.sqlite'}",
        DEMO_PASSWORD_METHOD="pbkdf2:sha256:1000",
        **smtp_server.config,
    )
    seed(app, now=datetime.now(UTC), days=30)
    with serve_app(app) as base:
        app.config["SHOPCARE_EXTERNAL_URL"] = base
        with app.app_context():
            delivered = datetime.now(UTC) - timedelta(days=8)
            demo_care.orders.record(
                "CV-SURVEY-1", "newbuyer@example.com", delivered - timedelta(days=2),
                [{"sku": "MUG-1", "name": "Blue mug", "quantity": 1, "unit_price": "12.50"}],
                delivered_at=delivered,
            )  # fmt: skip
            demo_db.session.commit()
            Worker(name="browser-test").run_pass()  # the periodic pass invites, then sends
        smtp_server.wait_for(1)
        [mail] = [m for m in smtp_server.messages if m["To"] == "newbuyer@example.com"]
        html = mail.get_body(("html",)).get_content()
        nine = re.search(r'href="([^"]+\?v=9)"', html).group(1).replace("&amp;", "&")
        assert nine.startswith(base)
        # the mail's eleven choices fit a phone's width (no sideways scroll in the mail)
        mail_view = browser.new_context(viewport=PHONE)
        reader = mail_view.new_page()
        reader.set_content(html)
        no_sideways_scroll(reader)
        ten = reader.get_by_role("link", name="10", exact=True).bounding_box()
        assert ten is not None and ten["width"] >= 24 and ten["height"] >= 24  # a thumb's target
        mail_view.close()

        page.goto(nine)
        expect(page.get_by_role("radio", name="9", exact=True).first).to_be_checked()
        with app.app_context():  # the scanner-proof GET recorded nothing
            assert demo_db.session.scalars(select(Response)).all() == [] or all(
                r.order.reference != "CV-SURVEY-1"
                for r in demo_db.session.scalars(select(Response))
            )
        page.get_by_role("group", name=re.compile("how satisfied")).get_by_role(
            "radio", name=re.compile("^4")
        ).check()
        page.get_by_role("button", name="Next").click()
        while page.get_by_role("button", name="Next").count():
            page.get_by_role("button", name="Next").click()
        page.get_by_role("group", name=re.compile("Anything you would like")).get_by_role(
            "textbox"
        ).fill("Muy bien ñ")
        page.get_by_label("You may contact me about my answers.").check()
        page.get_by_role("button", name="Send my answers").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
        with app.app_context():
            [response] = [
                r
                for r in demo_db.session.scalars(select(Response))
                if r.order is not None and r.order.reference == "CV-SURVEY-1"
            ]
            assert response.status == "complete" and response.may_contact
            assert response.answer_for("nps").value == 9
            assert response.answer_for("csat").value == 4
            assert response.answer_for("comment").text == "Muy bien ñ"
            survey = demo_care.surveys.default_survey()
            rates = demo_care.surveys.response_rates(survey)
            assert sum(row["completed"] for row in rates) >= 1

        # the same survey on a phone, in Spanish, for a second shopper
        with app.app_context():
            demo_care.orders.record(
                "CV-SURVEY-2", "otra@example.com", delivered - timedelta(days=2),
                [{"sku": "MUG-1", "name": "Blue mug", "quantity": 1, "unit_price": "12.50"}],
                delivered_at=delivered, locale="es",
            )  # fmt: skip
            [invitation] = demo_care.surveys.invite_due()
            demo_db.session.commit()
            token = invitation.token
        context = browser.new_context(viewport=PHONE, locale="es-ES")
        phone = context.new_page()
        SHOTS.mkdir(parents=True, exist_ok=True)
        phone.goto(f"{base}/care/surveys/s/{token}?v=3")
        expect(phone.get_by_role("radio", name="3", exact=True).first).to_be_checked()
        no_sideways_scroll(phone)
        phone.screenshot(path=str(SHOTS / "survey-phone-es.png"), full_page=True)
        # a required question left empty: the browser keeps the shopper on the page
        phone.get_by_role("button", name="Siguiente").click()
        assert "page=2" not in phone.url
        context.close()
        page.set_viewport_size({"width": 1366, "height": 900})
        page.goto(f"{base}/care/surveys/s/{token}?page=3")
        no_sideways_scroll(page)
        page.screenshot(path=str(SHOTS / "survey-desktop-en.png"), full_page=True)
    with app.app_context():
        demo_db.engine.dispose()
