"""The suggestion box in a real Chromium: a guest submits a complaint about their order →
staff reply → the reply arrives at the loopback SMTP server and shows on the ticket page
→ the shopper closes it with a rating. Screenshots of the pages at phone and desktop
sizes, in English and Spanish, go to ``bench/screenshots/feedback`` when asked
(``SHOPCARE_SCREENSHOTS=1``)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from shopcare.core.outbox.worker import work
from shopcare.feedback.models import Ticket
from tests.feedback.helpers import CONFIG, order
from tests.fixtures_browser import DESKTOP

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "bench" / "screenshots" / "feedback"


@pytest.fixture
def app_config(smtp_server: Any) -> dict[str, Any]:
    return {**CONFIG, **smtp_server.config}


def shoot(page: Page, name: str) -> None:
    if os.environ.get("SHOPCARE_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_guest_complaint_staff_reply_mail_and_rating(
    app: Flask, care: Any, db: Any, live_server: Any, page: Page, browser: Browser, smtp_server: Any
) -> None:
    order(care, "SO-77", email="guest@example.com", user_id=None)
    db.session.commit()
    base = live_server(app)
    # 1. the guest writes a complaint about their order
    page.goto(f"{base}/care/feedback/new")
    page.get_by_role("radio", name="Complaint").check()
    page.get_by_label("What is it about?").select_option("product")
    page.get_by_label("Subject", exact=True).fill("Mug arrived broken <b>x</b>")
    page.get_by_label("Your message").fill("The handle came off in the box.")
    page.get_by_label("What would put it right? (complaints)").select_option("replacement")
    page.get_by_label("Order number (optional)").fill("SO-77")
    page.get_by_label("E-mail used for that order").fill("guest@example.com")
    page.get_by_label("Your e-mail, for our answer").fill("guest@example.com")
    shoot(page, "new-desktop-en")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".sc-flash")).to_contain_text("Your reference is F-")
    expect(page.locator("h1")).to_have_text("Mug arrived broken <b>x</b>")
    ticket_url = page.url
    reference = re.search(r"/t/(F-\d{4}-\d{6})", ticket_url).group(1)  # type: ignore[union-attr]
    work()
    assert reference in smtp_server.messages[-1]["Subject"]

    # 2. staff reply from the staff ticket page
    staff = browser.new_context(viewport=DESKTOP, locale="en-GB")
    staff.request.post(f"{base}/login/sam")
    desk = staff.new_page()
    desk.goto(f"{base}/care/staff/feedback")
    desk.get_by_role("link", name=reference).click()
    desk.get_by_label("Message").fill("Sorry! A new mug is on its way.")
    desk.get_by_role("button", name="Send").click()
    expect(desk.locator(".sc-flash")).to_contain_text("Done.")
    shoot(desk, "staff-ticket-desktop-en")

    # 3. the reply reaches the shopper's mailbox, with the link to the ticket
    work()
    mail = smtp_server.messages[-1]
    text = mail.get_body(("plain",)).get_content()
    assert "Sorry! A new mug is on its way." in text and mail["To"] == "guest@example.com"
    link = re.search(r"https?://\S+/care/feedback/t/\S+", text).group(0)  # type: ignore[union-attr]
    page.goto(base + link[link.index("/care/") :])
    expect(page.locator(".sc-conversation")).to_contain_text("Sorry! A new mug is on its way.")

    # 4. staff resolve; the shopper rates the handling, which closes it
    desk.goto(f"{base}/care/staff/feedback/{reference}")
    desk.get_by_role("button", name="Resolve").click()
    expect(desk.locator(".sc-ticket-status")).to_have_text("Resolved")
    page.reload()
    page.locator("#rate").get_by_role("radio", name="5", exact=True).check()
    page.get_by_label("Anything to add? (optional)").fill("Kind and quick")
    shoot(page, "ticket-desktop-en")
    page.get_by_role("button", name="Send and close").click()
    expect(page.locator(".sc-ticket-status")).to_have_text("Closed")
    expect(page.locator(".sc-rated")).to_contain_text("5 out of 5")
    db.session.expire_all()
    ticket = db.session.query(Ticket).filter_by(reference=reference).one()
    assert (ticket.status, ticket.satisfaction_score) == ("closed", 5)
    staff.close()
