"""The shopper's and staff's pages: intake (guest with order proof or signed link,
logged in), the ticket page by link and nobody else's, replies by e-mail, the rating,
the staff queue and actions, the honeypot, the rate limit, and shoppers' text never
rendered as markup in any page or e-mail."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import g
from flask.testing import FlaskClient

from shopcare.core.outbox.worker import work
from shopcare.feedback.access import ticket_key
from shopcare.feedback.models import Ticket
from tests.conftest import login
from tests.feedback.helpers import CONFIG, order, token

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def app_config(smtp_server: Any) -> dict[str, Any]:
    return {**CONFIG, **smtp_server.config}


def post_new(client: FlaskClient, query: str = "", **fields: Any) -> Any:
    page = client.get(f"/care/feedback/new{query}")
    assert page.status_code == 200
    data = {"csrf_token": token(page.text), "kind": "complaint", "subject": "Broken mug",
            "message": "It arrived broken.", "remedy": "replacement", **fields}  # fmt: skip
    return client.post(f"/care/feedback/new{query}", data=data)


def only_ticket(db: Any) -> Ticket:
    tickets = db.session.query(Ticket).all()
    assert len(tickets) == 1
    return tickets[0]


def test_reachable_from_the_index_and_the_order_page(
    client: FlaskClient, care: Any, db: Any
) -> None:
    order(care)
    db.session.commit()
    assert "/care/feedback/new" in client.get("/care/").text
    key = care.tracking.guest_token(care.orders.get("SO-1"))
    page = client.get(f"/care/tracking/orders/SO-1?key={key}").text
    assert "/care/feedback/new?order=SO-1" in page


def test_guest_proves_the_order_with_number_and_email(
    client: FlaskClient, care: Any, db: Any, smtp_server: Any
) -> None:
    order(care)
    db.session.commit()
    wrong = post_new(
        client, order_reference="SO-1", order_email="eve@example.com", email="eve@example.com"
    )
    unknown = post_new(
        client, order_reference="SO-404", order_email="ann@example.com", email="eve@example.com"
    )
    message = "We could not find an order with this number and e-mail."
    assert wrong.status_code == unknown.status_code == 200
    assert message in wrong.text and message in unknown.text
    assert db.session.query(Ticket).count() == 0
    done = post_new(
        client, order_reference=" so-1 ", order_email="ANN@example.com", email="ann@example.com"
    )
    assert done.status_code == 302
    ticket = only_ticket(db)
    assert ticket.order.reference == "SO-1" and ticket.remedy == "replacement"
    assert f"/care/feedback/t/{ticket.reference}?key=" in done.location
    # the acknowledgement went out at once, with the reference and the private link
    work()
    mail = smtp_server.messages[-1]
    assert ticket.reference in mail["Subject"]
    assert mail["Auto-Submitted"] == "auto-generated"
    assert re.match(r"care\+F-\d{4}-\d{6}\.[0-9a-f]{20}@shop\.example", mail["Reply-To"])
    assert ticket_key(ticket) in mail.get_body(("plain",)).get_content()


def test_guest_arrives_through_the_orders_signed_link(
    client: FlaskClient, care: Any, db: Any
) -> None:
    order(care)
    db.session.commit()
    key = care.tracking.guest_token(care.orders.get("SO-1"))
    done = post_new(client, f"?order=SO-1&key={key}", order_reference="SO-1")
    assert done.status_code == 302
    ticket = only_ticket(db)
    assert ticket.order.reference == "SO-1" and ticket.email == "ann@example.com"


def test_a_shopper_names_only_their_own_order(client: FlaskClient, care: Any, db: Any) -> None:
    order(care, "SO-1", user_id="ann")
    order(care, "SO-2", email="bob@example.com", user_id="bob")
    db.session.commit()
    login(client, "ann")
    refused = post_new(client, order_reference="SO-2")
    assert "We could not find an order" in refused.text
    assert post_new(client, order_reference="SO-1").status_code == 302
    ticket = only_ticket(db)
    assert ticket.user_id == "ann" and ticket.email == "ann@example.com"
    assert ticket.subject in client.get("/care/feedback/").text


def test_a_guest_follows_their_ticket_by_link_and_nobody_else_can(
    client: FlaskClient, care: Any, db: Any, app: Any
) -> None:
    mine = care.feedback.submit("question", "Mine", "M", email="guest@example.com")
    other = care.feedback.submit("question", "Other", "M", email="other@example.com")
    db.session.commit()
    url = f"/care/feedback/t/{mine.reference}"
    assert client.get(f"{url}?key={ticket_key(mine)}").status_code == 200
    assert client.get(url).status_code == 404
    assert client.get(f"{url}?key={ticket_key(other)}").status_code == 404
    assert client.get(f"{url}?key={ticket_key(mine)[:-2]}xx").status_code == 404
    assert client.get(f"/care/feedback/t/F-2026-999999?key={ticket_key(mine)}").status_code == 404
    login(client, "bob")
    assert client.get(url).status_code == 404


def test_conversation_reply_and_rating(
    client: FlaskClient, care: Any, db: Any, smtp_server: Any
) -> None:
    ticket = care.feedback.submit("complaint", "Late", "Where is it?", email="guest@example.com")
    db.session.commit()
    staff = login(client.application.test_client(), "sam")
    page = staff.get(f"/care/staff/feedback/{ticket.reference}")
    assert page.status_code == 200
    answered = staff.post(f"/care/staff/feedback/{ticket.reference}/reply",
                          data={"csrf_token": token(page.text), "body": "It ships today."})  # fmt: skip
    assert answered.status_code == 302
    staff.post(f"/care/staff/feedback/{ticket.reference}/reply",
               data={"csrf_token": token(page.text), "body": "Secret warehouse note", "internal": "y"})  # fmt: skip
    work()
    reply = smtp_server.messages[-1]
    assert "It ships today." in reply.get_body(("plain",)).get_content()
    assert reply["In-Reply-To"] and reply["References"]
    assert all("Secret warehouse note" not in m.as_string() for m in smtp_server.messages)
    url = f"/care/feedback/t/{ticket.reference}?key={ticket_key(ticket)}"
    g.pop("csrf_token", None)  # the test's app context is shared by both clients' requests
    shown = client.get(url).text
    assert "It ships today." in shown and "Secret warehouse note" not in shown
    # the shopper answers on the page
    sent = client.post(url, data={"csrf_token": token(shown), "body": "Thanks!"})
    assert sent.status_code == 302
    db.session.expire_all()
    assert [m.body for m in care.feedback.messages(care.feedback.get(ticket.reference))][
        -1
    ] == "Thanks!"
    # staff resolve; the shopper rates and it closes
    g.pop("csrf_token", None)
    page = staff.get(f"/care/staff/feedback/{ticket.reference}")
    version = care.feedback.get(ticket.reference).version
    staff.post(f"/care/staff/feedback/{ticket.reference}/resolve",
               data={"csrf_token": token(page.text), "version": version})  # fmt: skip
    work()
    assert "1 to 5" in smtp_server.messages[-1].get_body(("plain",)).get_content()
    g.pop("csrf_token", None)
    shown = client.get(url).text
    assert 'id="rate"' in shown
    client.post(f"/care/feedback/t/{ticket.reference}/rate?key={ticket_key(ticket)}",
                data={"csrf_token": token(shown), "score": "5", "comment": "Kind"})  # fmt: skip
    db.session.expire_all()
    rated = care.feedback.get(ticket.reference)
    assert (rated.status, rated.satisfaction_score) == ("closed", 5)


def test_stale_staff_action_is_refused(client: FlaskClient, care: Any, db: Any) -> None:
    ticket = care.feedback.submit("question", "Q", "M", email="g@example.com")
    db.session.commit()
    login(client, "sam")
    page = client.get(f"/care/staff/feedback/{ticket.reference}")
    old = ticket.version
    care.feedback.start(ticket.reference, actor=None)
    db.session.commit()
    client.post(
        f"/care/staff/feedback/{ticket.reference}/resolve",
        data={"csrf_token": token(page.text), "version": old},
    )
    db.session.expire_all()
    assert care.feedback.get(ticket.reference).status == "in_progress"


def test_honeypot_keeps_nothing(client: FlaskClient, db: Any) -> None:
    response = post_new(client, email="bot@example.com", website="http://spam.example")
    assert response.status_code == 302
    assert db.session.query(Ticket).count() == 0


def test_missing_fields_are_shown_next_to_them(client: FlaskClient, db: Any) -> None:
    response = post_new(client, subject="", message="", email="")
    assert response.status_code == 200
    assert "Give a subject." in response.text and "Write your message." in response.text
    response = post_new(client, email="")
    assert "Give an e-mail address for our answer." in response.text
    assert db.session.query(Ticket).count() == 0


def test_public_submit_is_rate_limited(database_url: str, app: Any) -> None:
    from tests.host import make_app

    limited, _db, _care = make_app(
        database_url, **{**CONFIG, "SHOPCARE_RATELIMIT_ENABLED": True,
                         "SHOPCARE_RATELIMIT_PUBLIC_SUBMIT": "2/minute"}
    )  # fmt: skip
    with limited.app_context():
        client = limited.test_client()
        codes = []
        for _ in range(3):
            g.pop("csrf_token", None)
            codes.append(post_new(client, email="a@example.com").status_code)
    assert codes == [302, 302, 429]


def test_script_is_inert_in_every_page_and_email(
    client: FlaskClient, care: Any, db: Any, smtp_server: Any
) -> None:
    order(care, "SO-1", user_id="ann")
    db.session.commit()
    login(client, "ann")
    post_new(client, kind="suggestion", subject=XSS, message=XSS, name=XSS, remedy="")
    ticket = only_ticket(db)
    care.feedback.publish(ticket.reference, note=XSS, actor=None)
    care.feedback.reply(ticket.reference, XSS, actor=care_staff())
    care.feedback.resolve(ticket.reference, actor=care_staff())
    care.feedback.rate_handling(ticket.reference, 2, XSS)
    db.session.commit()
    work()
    pages = [
        client.get(f"/care/feedback/t/{ticket.reference}").text,
        client.get("/care/feedback/").text,
        client.get("/care/feedback/board").text,
        client.get(f"/care/feedback/similar?q={ticket.subject[:10]}").text,
    ]
    login(client, "sam")
    pages += [
        client.get("/care/staff/feedback").text,
        client.get(f"/care/staff/feedback/{ticket.reference}").text,
    ]
    for html in pages:
        assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in pages[0]
    assert smtp_server.messages
    for mail in smtp_server.messages:
        html = mail.get_body(("html",)).get_content()
        assert "<script>alert" not in html and "<img src=x" not in html


def care_staff() -> Any:
    from shopcare.core.events import Actor

    return Actor.staff("sam")


def test_staff_pages_need_staff(client: FlaskClient, care: Any, db: Any) -> None:
    ticket = care.feedback.submit("question", "Q", "M", email="g@example.com")
    db.session.commit()
    login(client, "ann")
    assert client.get("/care/staff/feedback").status_code == 403
    assert client.get(f"/care/staff/feedback/{ticket.reference}").status_code == 403
    assert client.get("/care/staff/feedback.csv").status_code == 403


def test_staff_queue_filters_bulk_assign_and_csv(client: FlaskClient, care: Any, db: Any) -> None:
    a = care.feedback.submit(
        "complaint", "=cmd|' /C calc'!A0", "M", email="g@example.com", area="product"
    )
    b = care.feedback.submit("suggestion", "Idea", "M", email="g@example.com")
    db.session.commit()
    login(client, "sam")
    page = client.get("/care/staff/feedback?kind=complaint")
    assert a.reference in page.text and b.reference not in page.text
    client.post(
        "/care/staff/feedback/assign",
        data={
            "csrf_token": token(page.text),
            "reference": [a.reference, b.reference],
            "assignee_id": "sam",
        },
    )
    db.session.expire_all()
    assert {t.assignee_id for t in db.session.query(Ticket)} == {"sam"}
    csv_text = client.get("/care/staff/feedback.csv?assignee=sam").text
    assert a.reference in csv_text and b.reference in csv_text
    assert "'=cmd" in csv_text


def test_staff_log_a_phone_call(client: FlaskClient, care: Any, db: Any) -> None:
    login(client, "sam")
    response = post_new(client, email="caller@example.com", channel="phone")
    assert response.status_code == 302
    ticket = only_ticket(db)
    assert (
        ticket.channel == "phone"
        and ticket.user_id is None
        and ticket.email == "caller@example.com"
    )
    assert f"/care/staff/feedback/{ticket.reference}" in response.location


def test_in_spanish(client: FlaskClient) -> None:
    page = client.get("/care/feedback/new", headers={"Accept-Language": "es"})
    assert "Escríbenos" in page.text or "Escribe" in page.text


def test_the_queue_page_in_a_few_statements(
    client: FlaskClient, care: Any, db: Any, count_queries: Any
) -> None:
    for n in range(60):
        ticket = care.feedback.submit(
            "complaint", f"S{n}", "M", email="g@example.com", area="product"
        )
        if n % 3 == 0:
            care.feedback.resolve(ticket.reference, "Done", actor=care_staff())
    db.session.commit()
    login(client, "sam")
    with count_queries() as cold:
        page = client.get("/care/staff/feedback?kind=complaint")
    assert page.status_code == 200 and page.text.count("/care/staff/feedback/F-") == 50
    assert len(cold) <= 3  # the page of tickets, the counts, the percentiles
    with count_queries() as warm:
        client.get("/care/staff/feedback?kind=complaint")
    assert len(warm) == 1  # the figures come from the page cache for a minute
