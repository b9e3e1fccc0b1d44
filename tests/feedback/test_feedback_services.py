"""care.feedback's Python API: submit and its checks, the workflow table walked pair by
pair, the reopen window, notes kept apart, the rating, votes and merges, search syntax."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shopcare import TransitionError, ValidationError
from shopcare.core.events import Actor
from shopcare.feedback.machine import TICKET
from shopcare.feedback.models import STATUSES, Ticket
from shopcare.feedback.services import FeedbackDesk
from tests.feedback.helpers import CONFIG, order

STAFF = Actor.staff("sam", "sam@shop.example")
SHOPPER = Actor.shopper("ann", "ann@example.com")


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(CONFIG)


def test_the_public_signature() -> None:
    sig = inspect.signature(FeedbackDesk.submit)
    names = list(sig.parameters)
    assert names[:4] == ["self", "kind", "subject", "message"]
    for name, default in {
        "area": None,
        "reference": None,
        "email": None,
        "remedy": None,
        "channel": "web",
        "anonymous": False,
        "actor": None,
    }.items():
        assert sig.parameters[name].default == default
        assert sig.parameters[name].kind is inspect.Parameter.KEYWORD_ONLY
    assert list(inspect.signature(FeedbackDesk.reply).parameters)[:3] == [
        "self",
        "reference",
        "body",
    ]
    assert "comment" in inspect.signature(FeedbackDesk.rate_handling).parameters


def test_submit_a_survey_follow_up(care: Any, db: Any) -> None:
    order(care)
    ticket = care.feedback.submit(
        kind="complaint", subject="Survey: unhappy", message="Delivery was late",
        area="processes", reference="SO-1", channel="survey", actor=Actor.system("survey"),
    )  # fmt: skip
    db.session.commit()
    assert (ticket.kind, ticket.channel, ticket.area, ticket.status) == (
        "complaint",
        "survey",
        "processes",
        "acknowledged",
    )
    assert ticket.email == "ann@example.com" and ticket.user_id == "ann"
    assert care.feedback.get(ticket.reference.lower()) is ticket
    assert care.feedback.get("F-0000-000000") is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "rant"}, "kind"),
        ({"area": "weather"}, "area"),
        ({"subject": "  "}, "subject"),
        ({"message": ""}, "message"),
        ({"message": "x" * 5001}, "message"),
        ({"message": "bad \x00 byte"}, "message"),
        ({"remedy": "cash"}, "remedy"),
        ({"kind": "question", "remedy": "refund"}, "remedy"),
        ({"anonymous": True}, "anonymous"),
        ({"channel": "fax"}, "channel"),
        ({"reference": "NOPE-1"}, "reference"),
        ({"email": "not-an-address"}, "email"),
        ({"email": None}, "email"),
    ],
)
def test_submit_refuses_with_the_field(
    care: Any, db: Any, kwargs: dict[str, Any], field: str
) -> None:
    args = {"kind": "complaint", "subject": "S", "message": "M", "email": "a@example.com", **kwargs}
    with pytest.raises(ValidationError) as caught:
        care.feedback.submit(args.pop("kind"), args.pop("subject"), args.pop("message"), **args)
    assert field in caught.value.fields
    assert db.session.query(Ticket).count() == 0


def test_a_double_submit_gives_one_ticket(care: Any, db: Any) -> None:
    first = care.feedback.submit("question", "Q", "M", email="a@example.com", request_key="k1")
    second = care.feedback.submit("question", "Q", "M", email="a@example.com", request_key="k1")
    assert first.id == second.id and db.session.query(Ticket).count() == 1


def test_safety_complaints_are_urgent(care: Any) -> None:
    assert (
        care.feedback.submit(
            "complaint", "Charger", "It caught fire", email="a@example.com"
        ).priority
        == "urgent"
    )
    assert (
        care.feedback.submit("complaint", "Cargador", "Salió humo", email="a@example.com").priority
        == "urgent"
    )
    assert (
        care.feedback.submit("complaint", "Late", "Two days late", email="a@example.com").priority
        == "normal"
    )


def _in_state(care: Any, state: str) -> Ticket:
    ticket = care.feedback.submit("complaint", "S", "M", email="a@example.com")
    path = {
        "new": [],
        "acknowledged": None,
        "in_progress": ["in_progress"],
        "waiting_on_customer": ["in_progress", "waiting_on_customer"],
        "resolved": ["resolved"],
        "closed": ["resolved", "closed"],
    }[state]
    if path is None:
        return ticket
    if state == "new":
        care.feedback.submit  # noqa: B018 - a ticket without e-mail stays new
        return care.feedback.submit("complaint", "S", "M", user_id="ann")
    for target in path:
        care.feedback._move(
            ticket,
            target,
            actor=STAFF,
            values={"resolved_at": datetime.now(UTC)} if target == "resolved" else None,
        )
    return ticket


@pytest.mark.parametrize("source", STATUSES)
@pytest.mark.parametrize("target", STATUSES)
def test_every_pair_of_states(care: Any, db: Any, source: str, target: str) -> None:
    ticket = _in_state(care, source)
    assert ticket.status == source
    if TICKET.allows(source, target):
        care.feedback._move(ticket, target, actor=STAFF)
        assert ticket.status == target
    else:
        with pytest.raises(TransitionError):
            care.feedback._move(ticket, target, actor=STAFF)
        assert ticket.status == source


def test_reopen_window(app: Any, care: Any, db: Any) -> None:
    ticket = care.feedback.submit("complaint", "S", "M", email="ann@example.com", user_id="ann")
    resolved = datetime.now(UTC) - timedelta(days=10)
    care.feedback.resolve(ticket.reference, "Done", actor=STAFF, now=resolved)
    assert care.feedback.reopen_until(ticket) == resolved + timedelta(days=14)
    # the shopper writes within the window: reopened
    care.feedback.reply(ticket.reference, "Not fixed", actor=SHOPPER)
    assert (
        ticket.status == "in_progress" and ticket.reopened_count == 1 and ticket.resolved_at is None
    )
    care.feedback.resolve(ticket.reference, actor=STAFF, now=datetime.now(UTC) - timedelta(days=15))
    with pytest.raises(TransitionError):
        care.feedback.reply(ticket.reference, "Again", actor=SHOPPER)
    with pytest.raises(TransitionError):
        care.feedback.reopen(ticket.reference, actor=SHOPPER)
    care.feedback.reopen(ticket.reference, actor=STAFF)  # staff may, at any time
    assert ticket.status == "in_progress"


def test_internal_notes_are_kept_apart(care: Any, db: Any) -> None:
    ticket = care.feedback.submit("question", "Q", "M", email="a@example.com")
    care.feedback.reply(ticket.reference, "Check with the warehouse", internal=True, actor=STAFF)
    assert ticket.first_response_at is None and ticket.status == "acknowledged"
    care.feedback.reply(ticket.reference, "We are on it", actor=STAFF)
    assert ticket.first_response_at is not None and ticket.status == "in_progress"
    public = [m.body for m in care.feedback.messages(ticket)]
    assert public == ["M", "We are on it"]
    assert len(care.feedback.messages(ticket, internal=True)) == 3
    with pytest.raises(ValidationError):
        care.feedback.reply(ticket.reference, "x", internal=True, actor=SHOPPER)
    assert not any(
        e.public
        for e in care.feedback.timeline(ticket, public_only=False)
        if e.action == "ticket.noted"
    )


def test_rating(care: Any, db: Any) -> None:
    ticket = care.feedback.submit("complaint", "S", "M", email="a@example.com")
    with pytest.raises(ValidationError):
        care.feedback.rate_handling(ticket.reference, 5)
    care.feedback.resolve(ticket.reference, "Refunded", actor=STAFF)
    for bad in (0, 6, "5", True):
        with pytest.raises(ValidationError):
            care.feedback.rate_handling(ticket.reference, bad)
    care.feedback.rate_handling(ticket.reference, 4, "Quick")
    assert (ticket.satisfaction_score, ticket.satisfaction_comment, ticket.status) == (
        4,
        "Quick",
        "closed",
    )
    assert care.feedback.figures().satisfied == 100.0


def _suggestion(care: Any, subject: str, user_id: str | None = None) -> Ticket:
    ticket = care.feedback.submit(
        "suggestion", subject, "Please", email="a@example.com", user_id=user_id
    )
    care.feedback.publish(ticket.reference, actor=STAFF)
    return ticket


def test_one_vote_per_buyer(care: Any, db: Any) -> None:
    order(care, "SO-1", user_id="ann")
    order(care, "SO-2", email="bob@example.com", user_id="bob")
    idea = _suggestion(care, "Gift wrap")
    assert care.feedback.vote(idea.reference, "ann") is True
    assert care.feedback.vote(idea.reference, "ann") is False
    assert care.feedback.vote(idea.reference, "bob") is True
    with pytest.raises(ValidationError):
        care.feedback.vote(idea.reference, "nobody-without-orders")
    db.session.commit()
    assert care.feedback.get(idea.reference).vote_count == 2
    hidden = care.feedback.submit("suggestion", "Hidden", "x", email="a@example.com")
    with pytest.raises(ValidationError):
        care.feedback.vote(hidden.reference, "ann")


def test_merge_keeps_every_vote_once(care: Any, db: Any) -> None:
    for n, who in enumerate(("ann", "bob", "cy", "di")):
        order(care, f"SO-{n}", email=f"{who}@example.com", user_id=who)
    keep, dup = _suggestion(care, "Gift wrap"), _suggestion(care, "Wrap gifts")
    for who in ("ann", "bob"):
        care.feedback.vote(keep.reference, who)
    for who in ("bob", "cy", "di"):
        care.feedback.vote(dup.reference, who)
    merged = care.feedback.merge(dup.reference, keep.reference, actor=STAFF)
    db.session.commit()
    assert merged.vote_count == 4  # ann, bob (once), cy, di
    duplicate = care.feedback.get(dup.reference)
    assert (
        duplicate.merged_into_id == keep.id
        and not duplicate.published
        and duplicate.vote_count == 0
    )
    assert [t.reference for t in care.feedback.board().items] == [keep.reference]


@pytest.mark.parametrize(
    "typed", ["T-Shirt", "don't", "size: 42", '"', "@home", "NEAR(", "OR", "", "%_\\", "a" * 500]
)
def test_search_syntax_from_shoppers_never_fails(care: Any, db: Any, typed: str) -> None:
    _suggestion(care, "T-Shirt too small")
    found = care.feedback.similar(typed)
    if typed == "T-Shirt":
        assert [t.subject for t in found] == ["T-Shirt too small"]
    assert isinstance(found, list)


def test_similar_prefix_while_typing(care: Any) -> None:
    _suggestion(care, "Recyclable packaging please")
    _suggestion(care, "Faster delivery")
    assert [t.subject for t in care.feedback.similar("packag")] == ["Recyclable packaging please"]
    assert care.feedback.similar("zzz") == []


def test_assign_priority_and_figures(care: Any, db: Any) -> None:
    a = care.feedback.submit("complaint", "S", "M", email="a@example.com", area="product")
    b = care.feedback.submit("question", "S", "M", email="a@example.com")
    care.feedback.assign(a.reference, "sam", actor=STAFF)
    assert (
        care.feedback.assign_many([a.reference, b.reference, "F-1999-000001"], "lee", actor=STAFF)
        == 2
    )
    db.session.commit()
    assert {t.assignee_id for t in care.feedback.queue(assignee_id="lee").items} == {"lee"}
    care.feedback.prioritise(b.reference, "urgent", actor=STAFF)
    assert b.first_response_due_at < a.first_response_due_at
    figures = care.feedback.figures()
    assert figures.total == 2 and figures.by_kind == {"complaint": 1, "question": 1}
    assert figures.by_area == {"product": 1, "other": 1}
