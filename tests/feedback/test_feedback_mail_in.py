"""``flask shopcare mail receive`` with real messages: plain, HTML-only, multipart with
an attachment, non-ASCII names, a forged token; the PITFALLS lines on auto-reply
loops, threading by one header only, and quoted history."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest
from click.testing import CliRunner

from shopcare.core.outbox.worker import work
from shopcare.feedback.access import reply_token
from shopcare.feedback.mail_in import strip_quoted
from shopcare.feedback.models import Ticket, TicketMessage
from tests.feedback.helpers import CONFIG


@pytest.fixture
def app_config(smtp_server: Any) -> dict[str, Any]:
    return {**CONFIG, **smtp_server.config}


def receive(app: Any, message: EmailMessage | bytes) -> Any:
    raw = message if isinstance(message, bytes) else message.as_bytes()
    runner = CliRunner()
    # as a host's CLI runs it: no app context pushed by the caller
    return runner.invoke(
        app.cli, ["shopcare", "mail", "receive"], input=raw, catch_exceptions=False
    )


def mail(
    body: str = "Hello, where is my order?", *, to: str = "care@shop.example", **headers: str
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Ann <ann@example.com>")
    message["To"] = to
    message["Subject"] = headers.pop("Subject", "My order")
    message["Message-ID"] = headers.pop("Message_ID", make_msgid(domain="example.com"))
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def tickets(db: Any) -> list[Ticket]:
    db.session.expire_all()
    return db.session.query(Ticket).order_by(Ticket.id).all()


def test_a_new_message_opens_a_ticket_by_email(app: Any, db: Any, smtp_server: Any) -> None:
    result = receive(app, mail())
    assert result.exit_code == 0, result.output
    (ticket,) = tickets(db)
    assert (ticket.channel, ticket.kind, ticket.email, ticket.name, ticket.subject) == (
        "email", "question", "ann@example.com", "Ann", "My order")  # fmt: skip
    assert ticket.status == "acknowledged"
    work()
    ack = smtp_server.messages[-1]
    assert ticket.reference in ack["Subject"] and ack["Auto-Submitted"] == "auto-generated"
    # the acknowledgement answers the shopper's own message
    assert ack["In-Reply-To"] == ticket.messages[0].message_id


def test_a_reply_by_token_lands_on_the_ticket(app: Any, care: Any, db: Any) -> None:
    ticket = care.feedback.submit("complaint", "Late", "Where?", email="ann@example.com")
    db.session.commit()
    to = f"Care <care+{reply_token(ticket.reference)}@shop.example>"
    result = receive(
        app, mail("Any news?\n\nOn Mon, 30 Nov 2026, Care wrote:\n> We are on it", to=to)
    )
    assert result.exit_code == 0 and "replied" in result.output
    (found,) = tickets(db)
    assert [m.body for m in found.messages] == ["Where?", "Any news?"]
    assert found.messages[-1].channel == "email"


def test_a_forged_token_is_refused(app: Any, care: Any, db: Any) -> None:
    ticket = care.feedback.submit("complaint", "Late", "Where?", email="ann@example.com")
    db.session.commit()
    to = f"care+{ticket.reference}.{'0' * 20}@shop.example"
    result = receive(app, mail("I am someone else", to=to))
    assert result.exit_code == 67
    assert "not genuine" in result.output
    assert [m.body for m in tickets(db)[0].messages] == ["Where?"]


def test_threading_by_references_only(app: Any, care: Any, db: Any) -> None:
    ticket = care.feedback.submit("question", "Q", "M", email="ann@example.com")
    db.session.commit()
    ours = ticket.messages[0].message_id  # the acknowledgement's Message-ID
    assert ours
    result = receive(app, mail("Follow-up", References=f"<x1@example.com> {ours}"))
    assert result.exit_code == 0 and len(tickets(db)) == 1
    assert tickets(db)[0].messages[-1].body == "Follow-up"


def test_in_reply_to_names_the_shoppers_own_mail_but_references_ours(
    app: Any, care: Any, db: Any
) -> None:
    ticket = care.feedback.submit("question", "Q", "M", email="ann@example.com")
    care.feedback.reply(ticket.reference, "Answer", actor=_staff())
    db.session.commit()
    staff_id = ticket.messages[-1].message_id
    result = receive(
        app, mail("And one more thing", In_Reply_To="<my-earlier@example.com>", References=staff_id)
    )
    assert result.exit_code == 0 and len(tickets(db)) == 1
    assert tickets(db)[0].messages[-1].body == "And one more thing"


def test_in_reply_to_only(app: Any, care: Any, db: Any) -> None:
    ticket = care.feedback.submit("question", "Q", "M", email="ann@example.com")
    db.session.commit()
    result = receive(app, mail("Thanks", In_Reply_To=ticket.messages[0].message_id))
    assert result.exit_code == 0 and len(tickets(db)) == 1


def test_the_same_message_twice_is_kept_once(app: Any, db: Any) -> None:
    message = mail()
    assert receive(app, message).exit_code == 0
    again = receive(app, message)
    assert again.exit_code == 0 and "duplicate" in again.output
    assert len(tickets(db)) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"Auto_Submitted": "auto-generated"},
        {"X_Autoreply": "yes"},
        {"X_Autorespond": "Out of office"},
        {"Precedence": "bulk"},
        {"Return_Path": "<>"},
        {"From": "MAILER-DAEMON@mx.example.com"},
    ],
)
def test_automatic_mail_opens_nothing(
    app: Any, db: Any, smtp_server: Any, headers: dict[str, str]
) -> None:
    for _ in range(50 if headers.get("Auto_Submitted") == "auto-replied" else 3):
        result = receive(app, mail("I am out of the office", **headers))
        assert result.exit_code == 0 and "ignored" in result.output
    assert tickets(db) == []
    work()
    assert smtp_server.messages == []


def test_a_bounce_report_opens_nothing(app: Any, db: Any) -> None:
    report = (
        b"From: Mail Delivery System <bounces@mx.example.com>\r\n"
        b"To: care@shop.example\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n"
        b"--B--\r\n"
    )
    assert receive(app, report).exit_code == 0
    assert tickets(db) == []


def test_html_only(app: Any, db: Any) -> None:
    message = EmailMessage()
    message["From"] = "ann@example.com"
    message["To"] = "care@shop.example"
    message["Subject"] = "HTML"
    message.set_content(
        "<html><body><p>The lid is <b>cracked</b> &amp; leaks.</p><script>x()</script>"
        '<div class="gmail_quote">On Mon … wrote: old text</div></body></html>',
        subtype="html",
    )
    assert receive(app, message).exit_code == 0
    (ticket,) = tickets(db)
    assert ticket.message == "The lid is cracked & leaks."


def test_multipart_with_an_attachment_and_non_ascii_names(app: Any, db: Any) -> None:
    message = EmailMessage()
    message["From"] = "José Núñez <jose@example.com>"
    message["To"] = "care@shop.example"
    message["Subject"] = "Taza rota — ¿reembolso?"
    message.set_content("La taza llegó rota.")
    message.add_alternative("<p>La taza llegó <b>rota</b>.</p>", subtype="html")
    message.add_attachment(b"\x89PNG fake", maintype="image", subtype="png", filename="foto.png")
    assert receive(app, message).exit_code == 0
    (ticket,) = tickets(db)
    assert ticket.name == "José Núñez" and ticket.subject == "Taza rota — ¿reembolso?"
    assert ticket.message.startswith("La taza llegó rota.") and "foto.png" in ticket.message


def test_unreadable_input_has_a_clear_exit_status(app: Any, db: Any) -> None:
    result = receive(app, b"this is not\n an e-mail at all")
    assert result.exit_code == 65
    assert tickets(db) == []


QUOTED = {
    "spanish": "Gracias, ya llegó.\n\nEl lun, 30 nov 2026 a las 10:00, Atención <care@shop.example> escribió:\n> Su pedido está en camino.\n",
    "german_wrapped": "Danke, angekommen.\n\nAm Mo., 30. Nov. 2026 um 10:00 Uhr schrieb Kundenservice <\ncare@shop.example>:\n> Ihre Bestellung ist unterwegs.\n",
    "outlook": "Thanks, it arrived.\n\n-----Original Message-----\nFrom: Care <care@shop.example>\nSent: Monday, 30 November 2026 10:00\nSubject: Your order\n\nYour order is on its way.\n",
    "outlook_german": "Danke.\n\nVon: Kundenservice <care@shop.example>\nGesendet: Montag, 30. November 2026 10:00\nAn: ann@example.com\nBetreff: Bestellung\n\nIhre Bestellung ist unterwegs.\n",
    "english": "Great, thanks!\n\nOn Mon, Nov 30, 2026 at 10:00 AM Care <care@shop.example> wrote:\n> Your order is on its way.\n",
}
KEPT = {
    "spanish": "Gracias, ya llegó.",
    "german_wrapped": "Danke, angekommen.",
    "outlook": "Thanks, it arrived.",
    "outlook_german": "Danke.",
    "english": "Great, thanks!",
}


@pytest.mark.parametrize("case", list(QUOTED))
def test_quoted_history_is_cut(case: str) -> None:
    assert strip_quoted(QUOTED[case]) == KEPT[case]


def test_when_nothing_is_recognised_the_whole_text_is_kept() -> None:
    assert strip_quoted("Just one line\nand another") == "Just one line\nand another"
    only_quote = "On Mon, Nov 30, 2026 Care wrote:\n> hello"
    assert strip_quoted(only_quote) == only_quote.strip()  # never an empty message


def test_quoted_history_is_cut_on_the_way_in(app: Any, care: Any, db: Any) -> None:
    ticket = care.feedback.submit("question", "Q", "M", email="ann@example.com")
    db.session.commit()
    to = f"care+{reply_token(ticket.reference)}@shop.example"
    receive(app, mail(QUOTED["german_wrapped"], to=to))
    assert tickets(db)[0].messages[-1].body == "Danke, angekommen."


def test_past_the_reopen_window_a_new_ticket_opens(app: Any, care: Any, db: Any) -> None:
    from datetime import UTC, datetime, timedelta

    ticket = care.feedback.submit("question", "Q", "M", email="ann@example.com")
    care.feedback.resolve(
        ticket.reference, actor=_staff(), now=datetime.now(UTC) - timedelta(days=30)
    )
    db.session.commit()
    to = f"care+{reply_token(ticket.reference)}@shop.example"
    assert receive(app, mail("New problem", to=to)).exit_code == 0
    assert len(tickets(db)) == 2
    assert db.session.query(TicketMessage).count() == 2


def _staff() -> Any:
    from shopcare.core.events import Actor

    return Actor.staff("sam")
