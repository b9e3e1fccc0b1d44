"""Every shopper and staff journey through the demo shop, in English and in Spanish, with
axe-core and a screenshot at phone and desktop width at every step (see
:class:`tests.browser.journey.Journey`).

Shoppers: track an order as a guest and logged in, withdraw, return with a photo, claim a
guarantee, complain and follow the answer, vote on the board, answer a survey from its
e-mail. Staff: work the late list, the cases and the tickets, open the dashboard. English
is driven at desktop width and Spanish on a phone; both are checked at both widths.

The demo shop runs on SQLite whatever database the suite is on: the journeys run in the
SQLite run.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from PIL import Image
from playwright.sync_api import Browser, ViewportSize, expect
from sqlalchemy import select

from shopcare.core.outbox.worker import Worker
from shopcare.demo.app import create_app
from shopcare.demo.extensions import care as demo_care
from shopcare.demo.extensions import db as demo_db
from shopcare.demo.models import User
from shopcare.demo.seed import SHOPPER, STAFF, seed
from shopcare.feedback.models import Ticket, TicketVote
from shopcare.orders.models import Order
from shopcare.surveys.models import Response
from tests.browser.journey import LANGUAGES, Journey
from tests.fixtures_browser import serve_app
from tests.fixtures_smtp import SmtpServer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        bool(os.environ.get("SHOPCARE_TEST_DATABASE_URL")),
        reason="the demo shop's journeys run in the SQLite run",
    ),
]


@dataclass
class Shop:
    """The demo shop served live, with its mail going to a loopback SMTP server."""

    base: str
    app: Flask
    smtp: SmtpServer
    used: set[str] = field(default_factory=set)

    def guest_order(self, kind: str | None, *, keep: bool = True) -> tuple[str, str]:
        """A guest order (reference, e-mail) that ``kind`` is open for (on its first line
        at least) and that no other journey has kept for itself."""
        with self.app.app_context():
            orders = demo_db.session.scalars(
                select(Order)
                .where(Order.user_id.is_(None), Order.delivered_at.is_not(None))
                .order_by(Order.placed_at.desc())
            ).all()
            for order in orders:
                if order.reference in self.used:
                    continue
                if kind is None:  # any delivered guest order will do
                    return order.reference, order.email
                check = demo_care.cases.eligibility(order.reference, kind)
                if check.lines and check.lines[0].eligible:
                    if keep:
                        self.used.add(order.reference)
                    return order.reference, order.email
        raise AssertionError(f"the demo has no guest order left open for {kind}")


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    smtp = SmtpServer()
    smtp.start()
    path = tmp_path_factory.mktemp("journeys") / "demo.sqlite"
    app = create_app(
        f"sqlite:///{path}",
        DEMO_PASSWORD_METHOD="pbkdf2:sha256:1000",
        # every journey comes from 127.0.0.1: the limits have tests of their own
        SHOPCARE_RATELIMIT_GUEST_LOOKUP="1000/minute",
        SHOPCARE_RATELIMIT_PUBLIC_SUBMIT="1000/minute",
        **smtp.config,
    )
    seed(app, now=datetime.now(UTC), days=40)
    try:
        with serve_app(app) as base:
            app.config["SHOPCARE_EXTERNAL_URL"] = base
            yield Shop(base, app, smtp)
    finally:
        smtp.stop()
        with app.app_context():
            demo_db.engine.dispose()


@pytest.fixture
def journeys(browser: Browser, shop: Shop) -> Iterator[list[Journey]]:
    """The journeys a test opens (closed at its end, whatever happens)."""
    opened: list[Journey] = []
    yield opened
    for journey in opened:
        journey.close()


def start(
    journeys: list[Journey], browser: Browser, shop: Shop, lang: str, size: ViewportSize,
    name: str,
) -> Journey:  # fmt: skip
    journey = Journey(browser, shop.base, lang, size, name)
    journeys.append(journey)
    return journey


def look_up(journey: Journey, reference: str, email: str) -> None:
    """A guest finds their order by its number and e-mail, from the care home."""
    page, _ = journey.page, journey._
    journey.goto("/care/")
    page.locator(".sc-cards").get_by_role("link", name=re.compile(_("Track an order"))).click()
    page.get_by_label(_("Order number"), exact=True).fill(reference)
    page.get_by_label(_("E-mail address"), exact=True).fill(email)
    page.get_by_role("button", name=_("Find my order")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        _("Order %(reference)s", reference=reference)
    )


def photo(tmp_path: Path) -> Path:
    path = tmp_path / "parcel.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), (200, 90, 40)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


# --- shoppers -------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "size"), LANGUAGES)
def test_track_an_order_as_a_guest(
    browser: Browser, shop: Shop, journeys: list[Journey], lang: str, size: ViewportSize
) -> None:
    journey = start(journeys, browser, shop, lang, size, "track-guest")
    page, _ = journey.page, journey._
    reference, email = shop.guest_order(None, keep=False)
    journey.goto("/care/")
    journey.check("care-home")
    page.locator(".sc-cards").get_by_role("link", name=re.compile(_("Track an order"))).click()
    expect(page).to_have_url(re.compile(r"/care/tracking/$"))
    journey.check("look-up")

    # A wrong e-mail: one message for "wrong e-mail" and "no such order", the form again.
    page.get_by_label(_("Order number"), exact=True).fill(reference)
    page.get_by_label(_("E-mail address"), exact=True).fill("someone.else@example.com")
    page.get_by_role("button", name=_("Find my order")).click()
    expect(page.get_by_role("alert")).to_contain_text(
        _(
            "We could not find an order with that number and e-mail address. "
            "Check both and try again."
        )
    )
    journey.check("look-up-refused")

    page.get_by_label(_("E-mail address"), exact=True).fill(email.upper())
    page.get_by_role("button", name=_("Find my order")).click()
    expect(page).to_have_url(re.compile(rf"/care/tracking/orders/{reference}\?key=[\w.-]+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        _("Order %(reference)s", reference=reference)
    )
    expect(page.locator(".sc-timeline-entry").first).to_be_visible()
    journey.check("order")


@pytest.mark.parametrize(("lang", "size"), LANGUAGES)
def test_track_an_order_logged_in(
    browser: Browser, shop: Shop, journeys: list[Journey], lang: str, size: ViewportSize
) -> None:
    journey = start(journeys, browser, shop, lang, size, "track-account")
    page, _ = journey.page, journey._
    journey.log_in(SHOPPER)
    journey.goto("/care/")
    page.locator(".sc-cards").get_by_role("link", name=re.compile(_("Track an order"))).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(_("Your orders"))
    journey.check("orders")
    first = page.locator("main a[href*='/care/tracking/orders/']").first
    reference = first.inner_text().strip()
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        _("Order %(reference)s", reference=reference)
    )
    journey.check("order")
    page.get_by_role("link", name=re.compile(_("All your orders"))).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(_("Your orders"))


@pytest.mark.parametrize(("lang", "size"), LANGUAGES)
def test_withdraw_from_a_purchase(
    browser: Browser, shop: Shop, journeys: list[Journey], lang: str, size: ViewportSize
) -> None:
    journey = start(journeys, browser, shop, lang, size, "withdraw")
    page, _ = journey.page, journey._
    reference, email = shop.guest_order("withdrawal")
    look_up(journey, reference, email)
    page.get_by_role("link", name=_("Withdraw from contract here")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(_("Withdraw from contract"))
    expect(page.get_by_label(_("E-mail address for the acknowledgement"))).to_have_value(email)
    journey.check("form")
    page.get_by_role("button", name=_("Continue")).click()  # no name: the browser says so
    expect(page.locator("input[name=name]:invalid")).to_have_count(1)
    expect(page.get_by_role("heading", level=1)).to_have_text(_("Withdraw from contract"))
    page.get_by_label(_("Your name")).fill("Lucía Pérez <b>x</b>")
    page.get_by_role("button", name=_("Continue")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(_("Confirm withdrawal"))
    journey.check("confirm")
    page.get_by_role("button", name=_("Confirm withdrawal")).click()
    expect(page.locator(".sc-case-status")).to_have_text(_("Approved"))
    journey.check("received")


@pytest.mark.parametrize(("lang", "size"), LANGUAGES)
def test_return_with_a_photo(
    browser: Browser, shop: Shop, journeys: list[Journey], lang: str, size: ViewportSize,
    tmp_path: Path,
) -> None:  # fmt: skip
    journey = start(journeys, browser, shop, lang, size, "return")
    page, _ = journey.page, journey._
    reference, email = shop.guest_order("return")
    look_up(journey, reference, email)
    page.get_by_role("link", name=_("Return or exchange")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(_("Return or exchange"))
    journey.check("form")
    page.locator("input[name^=qty-]").first.fill("1")
    page.get_by_label(_("Reason"), exact=True).select_option(index=1)
    page.get_by_label(_("What would you like?")).select_option("exchange")
    page.get_by_role("button", name=_("Send request")).click()  # but not which item instead
    expect(page.locator(".sc-exchange-for .sc-error")).to_be_visible()
    journey.check("form-refused")
    page.locator(".sc-exchange-for textarea, .sc-exchange-for input").first.fill("Size M")
    page.locator("input[type=file]").set_input_files(str(photo(tmp_path)))
    page.get_by_role("button", name=_("Send request")).click()
    expect(page.locator(".sc-case-status")).to_have_text(_("Requested"))
    expect(page.get_by_text("Size M")).to_be_visible()
    expect(page.locator(".sc-photos a")).to_have_count(1)
    journey.check("requested")


@pytest.mark.parametrize(("lang", "size"), LANGUAGES)
def test_claim_a_guarantee(
    browser: Browser, shop: Shop, journeys: list[Journey], lang: str, size: ViewportSize,
    tmp_path: Path,
) -> None:  # fmt: skip
    journey = start(journeys, browser, shop, lang, size, "guarantee")
    page, _ = journey.page, journey._
    reference, email = shop.guest_order("guarantee")
    look_up(journey, reference, email)
    journey.check("order")
    page.get_by_role("link", name=_("Claim guarantee")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(_("Claim guarantee"))
    journey.check("form")
    page.locator("input[name^=qty-]").first.fill("1")
    page.get_by_label(_("Reason"), exact=True).select_option("stopped_working")
    page.get_by_label(_("What would you like?")).select_option("repair")
    page.get_by_label(_("Tell us more")).fill("Stopped cutting after a week <script>x</script>")
    page.locator("input[type=file]").set_input_files(str(photo(tmp_path)))
    page.get_by_role("button", name=_("Send request")).click()
    expect(page.locator(".sc-case-status")).to_have_text(_("Requested"))
    expect(page.locator("body")).to_contain_text("<script>x</script>")  # shown as text
    journey.check("requested")


@pytest.mark.parametrize(("lang", "size"), LANGUAGES)
def test_complain_and_follow_the_answer(
    browser: Browser, shop: Shop, journeys: list[Journey], lang: str, size: ViewportSize
) -> None:
    journey = start(journeys, browser, shop, lang, size, "complaint")
    page, _ = journey.page, journey._
    reference, email = shop.guest_order(None, keep=False)
    journey.goto("/care/")
    page.locator(".sc-cards").get_by_role(
        "link", name=re.compile(_("Suggestions and complaints"))
    ).click()
    journey.check("form")
    page.get_by_role("radio", name=_("Complaint"), exact=True).check()
    page.get_by_label(_("What is it about?")).select_option("product")
    page.get_by_label(_("Subject"), exact=True).fill(f"Mug arrived broken <b>{lang}</b>")
    page.get_by_label(_("Your message")).fill("The handle came off in the box.")
    page.get_by_label(_("Order number (optional)")).fill(reference)
    page.get_by_label(_("E-mail used for that order")).fill(email)
    page.get_by_label(_("Your e-mail, for our answer")).fill(email)
    page.get_by_role("button", name=_("Send"), exact=True).click()
    expect(page.locator("h1")).to_have_text(f"Mug arrived broken <b>{lang}</b>")
    ticket = re.search(r"/t/(F-\d{4}-\d{6})", page.url).group(1)  # type: ignore[union-attr]
    ticket_url = page.url
    journey.check("ticket")

    desk = start(journeys, browser, shop, lang, size, "complaint-staff")
    desk.log_in(STAFF)
    desk.goto("/care/staff/feedback")
    desk.check("queue")
    desk.page.get_by_role("link", name=ticket).click()
    desk.check("ticket")
    canned = desk.page.locator("select.sc-canned")
    body = canned.locator("option").nth(1).get_attribute("value")
    assert body  # the demo's replies for every area are offered on every ticket
    canned.select_option(index=1)  # a canned reply fills the message box, as text
    expect(desk.page.get_by_label(desk._("Message"), exact=True)).to_have_value(body)
    desk.page.get_by_label(desk._("Message"), exact=True).fill(
        f"Sorry! A new mug is on its way ({lang})."
    )
    desk.page.get_by_role("button", name=desk._("Send"), exact=True).click()
    expect(desk.page.get_by_role("status").filter(has_text=desk._("Done."))).to_be_visible()
    desk.check("replied")

    page.goto(ticket_url)
    expect(page.locator(".sc-conversation")).to_contain_text(
        f"Sorry! A new mug is on its way ({lang})."
    )
    journey.check("answered")
    with shop.app.app_context():
        Worker(name=f"journey-{lang}").run_pass()  # the reply's e-mail goes out
    mail = shop.smtp.mail_to(email, containing=f"Sorry! A new mug is on its way ({lang}).")
    assert ticket in mail["Subject"]


@pytest.mark.parametrize(("lang", "size"), LANGUAGES)
def test_vote_on_the_board(
    browser: Browser, shop: Shop, journeys: list[Journey], lang: str, size: ViewportSize
) -> None:
    journey = start(journeys, browser, shop, lang, size, "board")
    page, _ = journey.page, journey._
    with shop.app.app_context():
        voter = demo_db.session.scalar(select(User.id).where(User.email == SHOPPER[0]))
        voted = select(TicketVote.ticket_id).where(TicketVote.user_id == str(voter))
        subject = demo_db.session.scalar(
            select(Ticket.subject)
            .where(
                Ticket.kind == "suggestion",
                Ticket.published.is_(True),
                Ticket.merged_into_id.is_(None),
                Ticket.id.not_in(voted),
            )
            .order_by(Ticket.id)
            .limit(1)
        )
    assert subject, "the demo board has no suggestion left to vote for"
    journey.log_in(SHOPPER)
    journey.goto("/care/feedback/board?sort=newest")
    journey.check("board")
    item = page.locator(".sc-board-list > li").filter(has=page.get_by_role("heading", name=subject))
    votes = int(item.locator(".sc-votes").get_attribute("data-votes") or "0")
    item.get_by_role("button", name=_("Vote")).click()
    expect(
        page.get_by_role("status").filter(has_text=_("Thank you for your vote."))
    ).to_be_visible()
    expect(item.locator(".sc-votes")).to_have_attribute("data-votes", str(votes + 1))
    journey.check("voted")
    item.get_by_role("button", name=_("Vote")).click()  # a second vote is not counted
    expect(
        page.get_by_role("status").filter(has_text=_("You already voted for this."))
    ).to_be_visible()
    expect(item.locator(".sc-votes")).to_have_attribute("data-votes", str(votes + 1))


@pytest.mark.parametrize(("lang", "size"), LANGUAGES)
def test_answer_a_survey_from_its_email(
    browser: Browser, shop: Shop, journeys: list[Journey], lang: str, size: ViewportSize
) -> None:
    journey = start(journeys, browser, shop, lang, size, "survey")
    page, _ = journey.page, journey._
    email = f"survey-{lang}@example.com"
    delivered = datetime.now(UTC) - timedelta(days=8)
    with shop.app.app_context():
        demo_care.orders.record(
            f"CV-JOURNEY-{lang.upper()}", email, delivered - timedelta(days=2),
            [{"sku": "MUG-1", "name": "Blue mug", "quantity": 1, "unit_price": "12.50"}],
            delivered_at=delivered, locale=lang,
        )  # fmt: skip
        demo_db.session.commit()
        assert len(demo_care.surveys.invite_due()) == 1  # the worker's periodic job
        demo_db.session.commit()
        Worker(name=f"journey-{lang}").run_pass()  # sends the invitation
    mail = shop.smtp.mail_to(email)
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    nine = re.search(r'href="([^"]+\?v=9)"', html).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    assert nine.startswith(shop.base)

    page.goto(nine)
    expect(page.get_by_role("radio", name="9", exact=True).first).to_be_checked()
    journey.check("first-page")
    while True:
        for group in page.locator("fieldset:has(input[type=radio])").all():
            if not group.locator("input[type=radio]:checked").count():
                group.locator("input[type=radio]").last.check()
        for box in page.locator("textarea").all():
            box.fill("Muy bien ñ <i>x</i>")
        if page.get_by_role("button", name=_("Next")).count():
            before = page.url
            page.get_by_role("button", name=_("Next")).click()
            expect(page).not_to_have_url(before)
            journey.check("next-page")
        else:
            page.get_by_role("button", name=_("Send my answers")).click()
            break
    expect(page.get_by_role("heading", level=1)).to_have_text(_("Thank you"))
    journey.check("thanks")
    with shop.app.app_context():
        statuses = demo_db.session.scalars(
            select(Response.status)
            .join(Order, Order.id == Response.order_id)
            .where(Order.email == email)
        ).all()
    assert statuses == ["complete"]


# --- staff ----------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "size"), LANGUAGES)
def test_staff_work_each_queue(
    browser: Browser, shop: Shop, journeys: list[Journey], lang: str, size: ViewportSize
) -> None:
    journey = start(journeys, browser, shop, lang, size, "staff-queues")
    page, _ = journey.page, journey._
    journey.log_in(STAFF)
    journey.goto("/care/staff/")
    journey.check("staff-home")

    page.get_by_role("navigation").get_by_role("link", name=_("Late shipments")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(_("Late shipments"))
    journey.check("late-list")
    page.locator(".sc-late-list > li").first.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/care/tracking/orders/CV-\d+$"))
    journey.check("late-order")

    journey.goto("/care/staff/cases?status=requested")
    expect(page.get_by_role("heading", level=1)).to_have_text(_("Returns and claims"))
    journey.check("cases")
    page.locator("main a[href*='/care/staff/cases/R-']").first.click()
    journey.check("case")
    page.get_by_role("button", name=_("Approve"), exact=True).click()
    expect(page.locator(".sc-case-status")).to_have_text(_("Approved"))
    journey.check("case-approved")

    journey.goto("/care/staff/feedback?status=new")
    expect(page.get_by_role("heading", level=1)).to_have_text(_("Suggestion box"))
    journey.check("tickets")
    page.locator("main a[href*='/care/staff/feedback/F-']").first.click()
    journey.check("ticket")
    page.get_by_label(_("Message"), exact=True).fill("Thank you, we are on it.")
    page.get_by_role("button", name=_("Send"), exact=True).click()
    expect(page.get_by_role("status").filter(has_text=_("Done."))).to_be_visible()
    expect(page.locator(".sc-conversation")).to_contain_text("Thank you, we are on it.")
    journey.check("ticket-replied")


@pytest.mark.parametrize(("lang", "size"), LANGUAGES)
def test_staff_open_the_dashboard(
    browser: Browser, shop: Shop, journeys: list[Journey], lang: str, size: ViewportSize
) -> None:
    journey = start(journeys, browser, shop, lang, size, "dashboard")
    page, _ = journey.page, journey._
    journey.log_in(STAFF)
    journey.goto("/care/staff/")
    page.get_by_role("navigation").get_by_role("link", name=_("Dashboard")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(_("Satisfaction dashboard"))
    journey.check("dashboard")
    page.get_by_label(_("Period"), exact=True).select_option("90d")
    page.get_by_role("button", name=_("Show"), exact=True).click()
    expect(page).to_have_url(re.compile(r"preset=90d"))
    sections = page.locator("section.sc-insight")
    assert sections.count() >= 8
    for index in range(sections.count()):
        section = sections.nth(index)
        if section.locator("canvas").count():
            expect(section.locator("canvas")).to_have_attribute("data-drawn", "true")
            expect(section.locator("table.sc-data")).to_have_count(1)
    journey.check("dashboard-90-days")
