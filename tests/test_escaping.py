"""Shopper, host and carrier text is never markup: every shopcare template — every page
and every e-mail, partials included — is rendered with hostile values in every field a
shopper (order lines), the host (shop name, carrier settings) or a carrier (tracking
number, place, message) fills, and no live markup comes out."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask

import shopcare
from shopcare.core.events import record_event
from shopcare.core.outbox import OutboxItem
from shopcare.core.outbox.mail import render_mail
from tests.conftest import login
from tests.tracking.helpers import T0, csrf_token

#: No "/" (an order reference may not hold one), quotes of both kinds and an ampersand.
HOSTILE = "<img src=x onerror=alert(1)>\"'&<svg onload=alert(2)>"
TEMPLATES = Path(shopcare.__file__).parent / "templates"


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {
        "SHOPCARE_SHOP_NAME": HOSTILE,
        "SHOPCARE_EXTERNAL_URL": "https://shop.example",
        "SHOPCARE_RATELIMIT_GUEST_LOOKUP": "3/minute",
        "SHOPCARE_RETURN_ADDRESS": f"{HOSTILE}\n{HOSTILE}",
        "SHOPCARE_FEEDBACK_BOARD": True,
        "SHOPCARE_CARRIERS": {
            "evil": {"name": HOSTILE, "tracking_url": "javascript:alert(3)//{tracking_number}"},
            "kind": {"name": HOSTILE, "tracking_url": "https://track.example/{tracking_number}"},
        },
    }


class LiveMarkup(HTMLParser):
    """Collects every element or attribute of ours that came out live: the payload's
    ``<img src=x …>``, an event handler or a ``javascript:`` address running our
    ``alert(…)`` (shopcare's own markup — the slip's print button, the API docs'
    script — is not ours)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img" and ("src", "x") in attrs:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            ours = "alert(" in (value or "")
            if ours and (name.startswith("on") or (value or "").lower().startswith("javascript:")):
                self.found.append(f"<{tag} {name}={value!r}>")


def live_markup(html: str) -> list[str]:
    parser = LiveMarkup()
    parser.feed(html)
    return parser.found


@pytest.fixture
def loaded_templates(app: Flask, monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """The names of every template loaded from now on (the cache is off, so includes
    and each e-mail part count each time)."""
    names: set[str] = set()
    loader = app.jinja_env.loader
    assert loader is not None
    get_source = loader.get_source

    def recording(environment: Any, template: str) -> Any:
        names.add(template)
        return get_source(environment, template)

    monkeypatch.setattr(loader, "get_source", recording)
    monkeypatch.setattr(app.jinja_env, "cache", None)
    return names


def shopcare_templates() -> set[str]:
    return {
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*")
        if path.is_file() and path.name.endswith((".html", ".txt"))
    }


def test_every_page_and_e_mail_shows_hostile_text_as_text(app, care, db, client, loaded_templates):
    lines = [
        {
            "sku": f"{HOSTILE}1",
            "name": HOSTILE,
            "category": HOSTILE,
            "quantity": 2,
            "unit_price": "1",
        },
        {"sku": "PLAIN", "name": "Plain", "quantity": 1, "unit_price": "2"},
    ]
    order = care.orders.record(
        HOSTILE, "ann@example.com", T0 - timedelta(days=1), lines, user_id="ann"
    )
    care.tracking.add_shipment(
        HOSTILE, carrier="evil", tracking_number=HOSTILE[:60], lines={f"{HOSTILE}1": 2}
    )
    for hour, status in enumerate(["in_transit", "available_for_pickup", "delivered"], start=1):
        care.tracking.add_event(
            HOSTILE, status, occurred_at=T0.replace(hour=hour), carrier="evil",
            tracking_number=HOSTILE[:60], location=HOSTILE, message=HOSTILE,
        )  # fmt: skip
    care.tracking.add_event(
        HOSTILE, "exception", occurred_at=T0.replace(hour=5), carrier="kind",
        tracking_number=HOSTILE[:60], location=HOSTILE, message=HOSTILE,
    )  # fmt: skip
    care.add_events("note.added")  # a host event of its own: the timeline's default template
    record_event("order", order.id, "note.added", public=True, data={"summary": HOSTILE})
    failed = db.session.query(OutboxItem).first()
    failed.status, failed.last_error = "failed", HOSTILE
    db.session.commit()

    pages = {}
    login(client, "ann")
    pages["home"] = client.get("/care/")
    pages["orders"] = client.get("/care/tracking/orders")
    pages["order"] = client.get(f"/care/tracking/orders/{order.reference}")
    client.post("/logout")
    token = csrf_token(client, "/care/tracking/")
    for attempt in range(4):  # the form echoes what was typed; the 4th is over the limit
        pages[f"lookup {attempt}"] = client.post(
            "/care/tracking/", data={"reference": HOSTILE, "email": HOSTILE, "csrf_token": token}
        )
    assert pages["lookup 3"].status_code == 429
    login(client, "sam")
    pages["staff"] = client.get("/care/staff/")
    pages["late"] = client.get("/care/staff/late-shipments")
    pages["outbox"] = client.get("/care/staff/outbox?status=failed")
    pages["order as staff"] = client.get(f"/care/tracking/orders/{order.reference}")
    privacy = client.get("/care/staff/privacy")
    erase_token = re.search(
        r'name="erase-csrf_token" type="hidden" value="([^"]+)"', privacy.get_data(as_text=True)
    ).group(1)
    refused = client.post(
        "/care/staff/privacy/erase",
        data={"erase-csrf_token": erase_token, "erase-email": HOSTILE, "erase-confirm": HOSTILE},
    )
    assert refused.status_code == 422  # the address echoed back beside its field, as text
    pages["privacy"] = privacy
    pages["privacy refused"] = refused
    pages.update(case_pages(app, care, db, client, order))
    pages.update(survey_pages(app, care, db, client))
    pages.update(feedback_pages(care, db, client))
    for name, response in pages.items():
        assert response.status_code in (200, 422, 429), name
        html = response.get_data(as_text=True)
        assert live_markup(html) == [], name

    mails = [
        (item.payload["template"], item.payload["context"]) for item in db.session.query(OutboxItem)
    ]
    assert {template for template, _ in mails} == {
        "tracking/status_changed",
        "cases/withdrawal_received",
        "cases/status_changed",
        "surveys/invitation",
        "surveys/reminder",
        "feedback/acknowledged",
        "feedback/replied",
        "feedback/resolved",
    }
    assert {context.get("status") for _, context in mails} >= {"available_for_pickup", "delivered"}
    for template, context in [*mails, ("test", {})]:
        rendered = render_mail(template, context, "en")
        assert rendered.html is not None
        assert live_markup(rendered.html) == [], (template, context.get("status"))
        assert HOSTILE in rendered.subject or not template.startswith("tracking/")

    missing = shopcare_templates() - loaded_templates
    assert not missing, f"not rendered by this test: {sorted(missing)}"


def case_pages(app: Flask, care: Any, db: Any, client: Any, late_order: Any) -> dict[str, Any]:
    """The cases' pages and e-mails, the staff's resolution of a late parcel, an error
    page and the API's documentation page, with hostile text in them."""
    now = datetime.now(UTC)
    lines = [
        {
            "sku": f"{HOSTILE}2",
            "name": HOSTILE,
            "category": HOSTILE,
            "quantity": 3,
            "unit_price": "5",
        }
    ]
    recent = care.orders.record(
        f"{HOSTILE}-2", "ann@example.com", now - timedelta(days=5), lines,
        user_id="ann", delivered_at=now - timedelta(days=2),
    )  # fmt: skip
    reason = care.cases.reasons("return")[0]
    returned = care.cases.open(
        recent.reference, "return", {f"{HOSTILE}2": 1}, reason=reason,
        remedy=care.cases.remedies("return")[0], description=HOSTILE, name=HOSTILE,
    )  # fmt: skip
    care.cases.approve(returned.number)
    care.cases.note(returned.number, HOSTILE)
    care.cases.open(recent.reference, "withdrawal", {f"{HOSTILE}2": 1}, name=HOSTILE)
    [late] = [s for s in care.tracking.shipments(late_order) if s.status == "exception"]
    care.tracking.add_note(late.id, HOSTILE)
    care.tracking.resolve(late.id, "lost", note=HOSTILE)
    db.session.commit()

    app.config["WTF_CSRF_ENABLED"] = False
    pages = {}
    login(client, "ann")
    ref = recent.reference
    pages["my cases"] = client.get("/care/cases/")
    pages["new return"] = client.get(f"/care/cases/orders/{ref}/return")
    pages["withdraw"] = client.get(f"/care/cases/orders/{ref}/withdraw")
    pages["withdraw confirm"] = client.post(
        f"/care/cases/orders/{ref}/withdraw", data={"name": HOSTILE, "email": "ann@example.com"}
    )
    pages["case"] = client.get(f"/care/cases/{returned.number}")
    pages["slip"] = client.get(f"/care/cases/{returned.number}/slip")
    pages["order with cases"] = client.get(f"/care/tracking/orders/{ref}")
    pages["late order resolved"] = client.get(f"/care/tracking/orders/{late_order.reference}")
    pages["error"] = client.get(f"/care/tracking/orders/{HOSTILE}-404")
    client.post("/logout")
    login(client, "sam")
    pages["staff cases"] = client.get("/care/staff/cases")
    pages["staff case"] = client.get(f"/care/staff/cases/{returned.number}")
    pages["api docs"] = client.get("/care/api/v1/docs")
    # the dashboard shows the hostile SKU, name, category and the shop name
    pages["insights"] = client.get("/care/insights/?preset=30d")
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages["insights"].get_data(as_text=True)
    sku = quote(f"{HOSTILE}2", safe="")
    pages["insights product"] = client.get(f"/care/insights/products/{sku}?preset=30d")
    pages["insights lost"] = client.get("/care/insights/lost")
    assert pages["error"].status_code == 404
    pages["error"].status_code = 200  # an error page, rendered: checked like the others
    return pages


def survey_pages(app: Flask, care: Any, db: Any, client: Any) -> dict[str, Any]:
    """The surveys' pages and e-mails with hostile questions, options and answers."""
    from shopcare.surveys.services import unsubscribe_token

    now = datetime.now(UTC)
    survey = care.surveys.default_survey()
    option = {"value": "x", "en": HOSTILE, "es": HOSTILE}
    care.surveys.edit(
        survey,
        title_en=HOSTILE,
        title_es=HOSTILE,
        questions=[
            {"key": "nps", "type": "nps", "area": "satisfaction", "text_en": HOSTILE,
             "text_es": HOSTILE, "required": True},
            {"key": "pick", "type": "choice", "area": "image", "text_en": HOSTILE,
             "text_es": HOSTILE, "options": [option]},
            {"key": "many", "type": "multi", "area": "image", "text_en": HOSTILE,
             "text_es": HOSTILE, "options": [option], "page": 2},
            {"key": "vs", "type": "comparison", "area": "competition", "text_en": HOSTILE,
             "text_es": HOSTILE, "page": 2},
            {"key": "comment", "type": "text", "area": "satisfaction", "text_en": HOSTILE,
             "text_es": HOSTILE, "page": 2},
        ],
    )  # fmt: skip
    lines = [{"sku": "S1", "name": HOSTILE, "quantity": 1, "unit_price": "5"}]
    for suffix, email in (("-3", "cy@example.com"), ("-4", "di@example.com")):
        care.orders.record(
            f"{HOSTILE}{suffix}", email, now - timedelta(days=10), lines,
            delivered_at=now - timedelta(days=8),
        )  # fmt: skip
    answered, expired = sorted(care.surveys.invite_due(), key=lambda i: i.email)
    care.surveys.remind_and_expire(now=now + timedelta(days=5))
    care.surveys.answer(
        answered.token, {"nps": 2, "pick": "x", "many": ["x"], "comment": HOSTILE}, final=False
    )
    db.session.get(type(expired), expired.id).status = "expired"  # not a session entry
    care.orders.record(f"{HOSTILE}-5", "agency@example.com", now - timedelta(days=10), lines)
    audit = care.surveys.audit_survey()
    checks = {q.key: 1 for q in audit.questions if q.type == "check"}
    care.surveys.record_audit(f"{HOSTILE}-5", {**checks, "notes": HOSTILE}, auditor=HOSTILE)
    db.session.commit()

    pages = {}
    base = f"/care/surveys/s/{answered.token}"
    pages["survey page 1"] = client.get(f"{base}?v=3")
    pages["survey page 2"] = client.get(f"{base}?page=2")
    pages["survey error"] = client.post(f"{base}?page=2", data={"page": "2", "vs": HOSTILE})
    pages["survey done"] = client.get(f"{base}/done")
    pages["survey closed"] = client.get(f"/care/surveys/s/{expired.token}")
    pages["unsubscribe"] = client.get(
        f"/care/surveys/unsubscribe/{unsubscribe_token('cy@example.com')}"
    )
    pages["staff surveys"] = client.get("/care/staff/surveys")
    pages["staff answers"] = client.get("/care/staff/surveys/post_purchase/responses")
    pages["staff survey edit"] = client.get("/care/staff/surveys/post_purchase/edit")
    pages["staff survey edit error"] = client.post(
        "/care/staff/surveys/post_purchase/edit",
        data={
            "count": "0",
            "q0-key": HOSTILE,
            "q0-type": HOSTILE,
            "title_en": HOSTILE,
            # what the form was opened on (a save without it is refused as stale)
            "base": re.search(
                r'name="base" value="([^"]+)"', pages["staff survey edit"].get_data(as_text=True)
            ).group(1),  # type: ignore[union-attr]
        },
    )
    pages["staff audit"] = client.get("/care/staff/surveys/audits/new")
    pages["staff audit error"] = client.post(
        "/care/staff/surveys/audits/new", data={"order": HOSTILE, "auditor": HOSTILE}
    )
    for name in ("survey error", "survey closed", "staff survey edit error"):
        assert pages[name].status_code in (400, 410), name
        pages[name].status_code = 200
    return pages


def feedback_pages(care: Any, db: Any, client: Any) -> dict[str, Any]:
    """The suggestion box's pages and e-mails, with hostile text in every field a
    shopper or staff member types."""
    from shopcare.core.events import Actor
    from shopcare.feedback.access import ticket_key

    staff = Actor.staff("sam")
    ticket = care.feedback.submit(
        "suggestion", HOSTILE, HOSTILE, email="ann@example.com", name=HOSTILE, user_id="ann"
    )
    care.feedback.reply(ticket.reference, HOSTILE, internal=True, actor=staff)
    care.feedback.reply(ticket.reference, HOSTILE, actor=staff)
    care.feedback.publish(ticket.reference, "planned", HOSTILE, actor=staff)
    care.feedback.resolve(ticket.reference, actor=staff)
    care.feedback.rate_handling(ticket.reference, 3, HOSTILE)
    care.feedback.assign(ticket.reference, HOSTILE[:60], actor=staff)
    canned = care.feedback.save_canned_reply(
        key="x", locale="en", title=HOSTILE[:120], body=HOSTILE, actor=staff
    )
    care.feedback.save_canned_reply(
        key="x", locale="en", title=HOSTILE[:120], body=HOSTILE, reply_id=canned.id, version=1
    )
    db.session.commit()
    with client.application.test_request_context():
        key = ticket_key(ticket)
    pages = {}
    client.post("/logout")
    pages["feedback new"] = client.get(f"/care/feedback/new?order={HOSTILE}")
    pages["feedback ticket"] = client.get(f"/care/feedback/t/{ticket.reference}?key={key}")
    pages["feedback board"] = client.get("/care/feedback/board")
    login(client, "ann")
    pages["feedback mine"] = client.get("/care/feedback/")
    client.post("/logout")
    login(client, "sam")
    pages["staff feedback"] = client.get(f"/care/staff/feedback?assignee={HOSTILE[:60]}")
    pages["staff ticket"] = client.get(f"/care/staff/feedback/{ticket.reference}")
    pages["canned replies"] = client.get("/care/staff/canned-replies")
    edit = f"/care/staff/canned-replies/{canned.id}"
    pages["canned reply"] = client.get(edit)
    # a stale save echoes what was typed beside what is saved now
    pages["canned reply stale"] = client.post(edit, data={  # (CSRF is off here: see above)
        "title": HOSTILE[:120], "key": "x",
        "locale": "en", "area": "", "body": HOSTILE, "version": "1",
    })  # fmt: skip
    assert "Someone else saved" in pages["canned reply stale"].get_data(as_text=True)
    return pages


def test_pages_never_include_text_partials():
    """Pages are rendered by the host's environment, which escapes by file name: an
    HTML page including a ``.txt`` partial would show its values raw."""
    import re

    offenders = []
    for name in shopcare_templates():
        if name.endswith(".html") and not name.startswith("shopcare/email/"):
            source = (TEMPLATES / name).read_text()
            for included in re.findall(
                r"{%-?\s*(?:include|import|from|extends)\s+[\"']([^\"']+)", source
            ):
                if not included.endswith(".html"):
                    offenders.append((name, included))
    assert offenders == []
