"""The invitation pass: delivery + N days in the shop's zone, one per order, the
cool-down, open cases, reminders, expiry, unsubscribe; the e-mails as sent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from shopcare.core.outbox import OutboxItem
from shopcare.core.outbox.worker import Worker
from shopcare.surveys.models import Invitation
from shopcare.surveys.services import read_unsubscribe_token
from tests.surveys.helpers import CONFIG, delivered, madrid


@pytest.fixture
def app_config(smtp_server: Any) -> dict[str, Any]:
    return {**CONFIG, **smtp_server.config}


def count(db: Any, model: Any = Invitation) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)))


def test_due_at_delivery_plus_n_days_in_the_shops_zone(care: Any, db: Any) -> None:
    # 00:30 on Wednesday 10 June in Madrid is still 9 June in UTC: the day counts in Madrid.
    delivered(care, "SO-1", at=madrid(2026, 6, 10, 0, 30))
    db.session.commit()
    # 7 days later, from 10:00 (SHOPCARE_SURVEY_SEND_HOUR) on 17 June, Madrid time
    assert care.surveys.invite_due(now=madrid(2026, 6, 16, 23, 59)) == []
    assert care.surveys.invite_due(now=madrid(2026, 6, 17, 9, 59)) == []
    [made] = care.surveys.invite_due(now=madrid(2026, 6, 17, 10, 0))
    assert made.order.reference == "SO-1" and len(made.token) >= 30
    db.session.commit()
    assert care.surveys.invite_due(now=madrid(2026, 6, 18, 12, 0)) == []  # one per order
    assert count(db) == 1


def test_per_category_delay_waits_for_the_slowest(app: Any, care: Any, db: Any) -> None:
    app.config["SHOPCARE_SURVEY_DELAY_DAYS_BY"] = {"furniture": 14}
    delivered(care, "SO-1", at=madrid(2026, 6, 1, 12), category="furniture")
    delivered(care, "SO-2", at=madrid(2026, 6, 1, 12), email="bob@example.com")
    db.session.commit()
    made = care.surveys.invite_due(now=madrid(2026, 6, 9, 12))
    assert [i.order.reference for i in made] == ["SO-2"]
    made = care.surveys.invite_due(now=madrid(2026, 6, 15, 12))
    assert [i.order.reference for i in made] == ["SO-1"]


def test_cool_down_per_address(care: Any, db: Any) -> None:
    delivered(care, "SO-1", at=madrid(2026, 3, 1, 12))
    delivered(care, "SO-2", at=madrid(2026, 3, 2, 12))  # same shopper, next day
    db.session.commit()
    made = care.surveys.invite_due(now=madrid(2026, 3, 10, 12))
    assert [i.order.reference for i in made] == ["SO-1"]  # one per address per pass
    db.session.commit()
    delivered(care, "SO-3", at=madrid(2026, 5, 1, 12))  # 61 days later: inside 90
    db.session.commit()
    assert care.surveys.invite_due(now=madrid(2026, 5, 9, 12)) == []
    delivered(care, "SO-4", at=madrid(2026, 6, 5, 12))  # 96 days after the invitation
    db.session.commit()
    made = care.surveys.invite_due(now=madrid(2026, 6, 13, 12))
    assert [i.order.reference for i in made] == ["SO-4"]


def test_old_deliveries_are_not_invited(care: Any, db: Any) -> None:
    delivered(care, "SO-1", at=madrid(2026, 1, 1, 12))
    db.session.commit()
    assert care.surveys.invite_due(now=madrid(2026, 6, 1, 12)) == []


def test_skipped_while_the_order_has_an_open_case(app: Any, care: Any, db: Any) -> None:
    from datetime import UTC, datetime

    order = delivered(care, "SO-1", at=datetime.now(UTC) - timedelta(days=8))
    db.session.commit()
    care.cases.open(
        order.reference, "return", {"MUG-1": 1}, reason="too_small", email="ann@example.com"
    )
    db.session.commit()
    assert care.surveys.invite_due() == []
    app.config["SHOPCARE_SURVEY_SKIP_OPEN_CASES"] = False
    assert len(care.surveys.invite_due()) == 1


def test_surveys_off_invites_nobody(app: Any, care: Any, db: Any) -> None:
    app.config["SHOPCARE_SURVEYS"] = False
    delivered(care, "SO-1")
    db.session.commit()
    assert care.surveys.invite_due() == []


def test_the_invitation_mail_one_click_choices_and_unsubscribe_headers(
    care: Any, db: Any, smtp_server: Any
) -> None:
    delivered(care, "SO-1", locale="es")
    [invitation] = care.surveys.invite_due()
    db.session.commit()
    Worker(name="w").run_pass()
    smtp_server.wait_for(1)
    message = smtp_server.messages[0]
    assert message["To"] == "ann@example.com"
    assert "SO-1" in message["Subject"] and "pedido" in message["Subject"]
    html = message.get_body(("html",)).get_content()
    for value in range(11):  # NPS 0-10, each one click
        assert f"/care/surveys/s/{invitation.token}?v={value}" in html
    link = message["List-Unsubscribe"].strip("<>")
    assert link.startswith("https://shop.example/care/surveys/unsubscribe/")
    # the key is derived from the address when the mail is rendered: the header and the
    # footer carry the same one, and it is the address's own
    assert link in html
    assert read_unsubscribe_token(link.rsplit("/", 1)[1]) == "ann@example.com"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Auto-Submitted"] == "auto-generated"


def test_one_pass_queues_each_invitation_mail_from_the_database(care: Any, db: Any) -> None:
    """The pass writes the invitations and their mails with INSERT … SELECT: each mail
    carries its own invitation's id, token and order reference, the shopper's language
    resolved (es-MX → es, none → the default), once per invitation."""
    delivered(care, "SO-1", locale="es-MX")
    delivered(care, "SO-2", email="bob@example.com")
    delivered(care, "SO-3", email="cy@example.com", locale="fr")
    made = care.surveys.invite_due()
    db.session.commit()
    assert len(made) == 3 and [i.id for i in made[1:]] == [i.id for i in list(made)[1:]]
    assert [i.id for i in made] == sorted(i.id for i in made)
    by_reference = {i.order.reference: i for i in made}
    assert {i.token for i in made} == set(db.session.scalars(select(Invitation.token))) and len(
        {i.token for i in made}
    ) == 3
    items = {item.dedupe_key: item.payload for item in db.session.scalars(select(OutboxItem))}
    assert len(items) == 3
    for reference, locale in (("SO-1", "es"), ("SO-2", "en"), ("SO-3", "en")):
        invitation = by_reference[reference]
        payload = items[f"surveys:invitation:{invitation.id}"]
        assert payload["to"] == invitation.email and payload["locale"] == locale
        assert payload["template"] == "surveys/invitation" and payload["hook"] == "surveys"
        context = payload["context"]
        assert context["invitation_id"] == invitation.id and context["token"] == invitation.token
        assert context["reference"] == reference and context["email"] == invitation.email
        assert context["question"]["type"] == "nps" and context["question"]["high"] == 10


def test_reminders_spaced_at_most_r_then_expiry(app: Any, care: Any, db: Any) -> None:
    app.config.update(SHOPCARE_SURVEY_REMINDERS=2, SHOPCARE_SURVEY_REMINDER_DAYS=3)
    delivered(care, "SO-1", at=madrid(2026, 6, 1, 12))
    db.session.commit()
    start = madrid(2026, 6, 9, 12)
    [invitation] = care.surveys.invite_due(now=start)
    db.session.commit()
    days = {}
    for day in range(1, 25):
        reminded, expired = care.surveys.remind_and_expire(now=start + timedelta(days=day))
        days[day] = (reminded, expired)
        db.session.commit()
    assert [d for d, (r, _e) in days.items() if r] == [3, 6]
    assert [d for d, (_r, e) in days.items() if e] == [21]
    invitation = db.session.get(Invitation, invitation.id)
    assert invitation.status == "expired" and invitation.reminders_sent == 2
    keys = sorted(db.session.scalars(select(OutboxItem.dedupe_key)))
    assert keys == [
        f"surveys:invitation:{invitation.id}",
        f"surveys:reminder:{invitation.id}:1",
        f"surveys:reminder:{invitation.id}:2",
    ]
    assert care.surveys.invite_due(now=start + timedelta(days=25)) == []


def test_finished_on_day_9_no_reminder_on_day_10(
    app: Any, care: Any, db: Any, smtp_server: Any
) -> None:
    """PITFALLS "Eligibility checked at queue time": answered or unsubscribed before the
    reminder goes, nothing more is sent, even if the reminder was already queued."""
    from datetime import UTC, datetime

    app.config.update(SHOPCARE_SURVEY_REMINDERS=1, SHOPCARE_SURVEY_REMINDER_DAYS=1)
    start = datetime.now(UTC) - timedelta(days=2)
    delivered(care, "SO-1", at=start - timedelta(days=9))
    delivered(care, "SO-2", at=start - timedelta(days=9), email="bob@example.com")
    db.session.commit()
    ann, _bob = sorted(care.surveys.invite_due(now=start), key=lambda i: i.order.reference)
    db.session.commit()
    # day 10: the reminders are queued (a worker is slow to send them) ...
    assert care.surveys.remind_and_expire(now=start + timedelta(days=1)) == (2, 0)
    db.session.commit()
    # ... and meanwhile Ann finishes and Bob unsubscribes
    care.surveys.answer(ann.token, {"nps": 9, "csat": 5})
    care.surveys.unsubscribe("bob@example.com")
    db.session.commit()
    # the invitations were queued before: sent only if still wanted; the reminders not at all
    Worker(name="w").run_pass()
    assert smtp_server.messages == []
    assert care.surveys.remind_and_expire(now=start + timedelta(days=2)) == (0, 0)


def test_two_passes_in_one_minute_queue_one_reminder(app: Any, care: Any, db: Any) -> None:
    app.config.update(SHOPCARE_SURVEY_REMINDERS=3, SHOPCARE_SURVEY_REMINDER_DAYS=2)
    delivered(care, "SO-1", at=madrid(2026, 6, 1, 12))
    db.session.commit()
    start = madrid(2026, 6, 9, 12)
    care.surveys.invite_due(now=start)
    db.session.commit()
    later = start + timedelta(days=2)
    assert care.surveys.remind_and_expire(now=later)[0] == 1
    assert care.surveys.remind_and_expire(now=later + timedelta(seconds=30))[0] == 0
    db.session.commit()
    assert count(db, OutboxItem) == 2


def test_unsubscribe_holds_for_ever(care: Any, db: Any, client: Any) -> None:
    from shopcare.surveys.services import unsubscribe_token

    delivered(care, "SO-1", at=madrid(2026, 6, 1, 12))
    db.session.commit()
    [invitation] = care.surveys.invite_due(now=madrid(2026, 6, 9, 12))
    db.session.commit()
    key = unsubscribe_token("ann@example.com")
    url = f"/care/surveys/unsubscribe/{key}"
    # PITFALLS "Links that act on GET or HEAD": a scanner's GET and HEAD unsubscribe nobody
    assert client.get(url).status_code == 200
    assert client.head(url).status_code == 200
    assert not care.surveys.is_unsubscribed("ann@example.com")
    # the RFC 8058 one-click POST, as a mail client sends it (no CSRF token, no cookie)
    reply = client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert reply.status_code == 204
    assert care.surveys.is_unsubscribed("ann@example.com")
    invitation = db.session.get(Invitation, invitation.id)
    assert invitation.status == "withdrawn"
    # years later, a new order: still no survey
    delivered(care, "SO-9", at=madrid(2029, 6, 1, 12))
    db.session.commit()
    assert care.surveys.invite_due(now=madrid(2029, 6, 9, 12)) == []
    assert client.get("/care/surveys/unsubscribe/forged-key").status_code == 404


def test_the_periodic_pass_runs_in_the_worker(care: Any, db: Any, smtp_server: Any) -> None:
    delivered(care, "SO-1")
    db.session.commit()
    Worker(name="w").run_pass()
    assert count(db) == 1
    smtp_server.wait_for(1)
