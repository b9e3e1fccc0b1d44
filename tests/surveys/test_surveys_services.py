"""care.surveys: the default survey, versions, answering, the signals, the follow-up."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from shopcare import NotFound, TransitionError, ValidationError
from shopcare.core.areas import AREAS
from shopcare.surveys.models import Answer, Invitation, Response
from tests.surveys.helpers import CONFIG, FULL, invite


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(CONFIG)


def test_the_default_survey_covers_the_eight_areas_nps_csat_and_ces(care: Any, db: Any) -> None:
    survey = care.surveys.default_survey()
    assert survey is care.surveys.default_survey()  # made once
    areas = {q.area for q in survey.questions}
    types = {q.type for q in survey.questions}
    assert areas == set(AREAS)
    assert {"nps", "rating", "ces", "comparison", "text"} <= types
    assert survey.questions[0].type == "nps"  # the one in the e-mail
    for question in survey.questions:
        assert question.key and question.text_en and question.text_es


def test_answer_scores_and_completes(care: Any, db: Any, signals_recorder: Any) -> None:
    invitation = invite(care, db)
    with signals_recorder("survey-completed", "survey-detractor") as received:
        response = care.surveys.answer(invitation.token, FULL)
    db.session.commit()
    assert [name for name, _s, _k in received] == ["survey-completed"]
    assert response.status == "complete"
    scores = {a.question.key: a.score for a in response.answers}
    assert scores["nps"] == 90.0 and scores["csat"] == 100.0 and scores["delivery"] == 75.0
    assert scores["competition"] == 100.0 and scores["comment"] is None
    assert care.surveys.invitation(invitation.token).status == "completed"
    with pytest.raises(TransitionError):
        care.surveys.answer(invitation.token, FULL)


def test_partial_answers_are_kept_and_one_response_per_invitation(care: Any, db: Any) -> None:
    invitation = invite(care, db)
    care.surveys.answer(invitation.token, {"nps": 3}, final=False)
    db.session.commit()
    care.surveys.answer(invitation.token, {"nps": 7, "csat": 4}, final=False)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1
    response = care.surveys.response_for(invitation)
    assert response.status == "partial"
    assert {a.question.key: a.value for a in response.answers} == {"nps": 7, "csat": 4}


def test_required_answers_and_bad_values_are_refused_by_key(care: Any, db: Any) -> None:
    invitation = invite(care, db)
    with pytest.raises(ValidationError) as error:
        care.surveys.answer(invitation.token, {"nps": 11, "csat": "x", "nope": 1})
    assert set(error.value.fields) == {"nps", "csat", "nope"}
    db.session.rollback()
    with pytest.raises(ValidationError) as error:
        care.surveys.answer(invitation.token, {"ces": 3})
    assert set(error.value.fields) == {"nps", "csat"}


def test_another_invitations_token_is_refused(care: Any, db: Any) -> None:
    mine = invite(care, db, "SO-1", email="ann@example.com")
    theirs = invite(care, db, "SO-2", email="bob@example.com")
    care.surveys.answer(mine.token, {"nps": 10, "csat": 5})
    db.session.commit()
    # Ann's token answers Ann's invitation only; Bob's stays untouched.
    assert db.session.get(Invitation, theirs.id).status == "sent"
    with pytest.raises(NotFound):
        care.surveys.invitation(mine.token[:-2] + "xx")
    with pytest.raises(NotFound):
        care.surveys.answer("not-a-token-at-all", {"nps": 1})


def test_a_detractor_fires_the_signal_and_is_treated_like_everyone(
    care: Any, db: Any, signals_recorder: Any
) -> None:
    invitation = invite(care, db)
    with signals_recorder("survey-completed", "survey-detractor") as received:
        care.surveys.answer(invitation.token, {"nps": 4, "csat": 2}, may_contact=True)
    names = [name for name, _s, _k in received]
    assert names == ["survey-completed", "survey-detractor"]
    low = received[1][2]["answers"]
    assert sorted(a.question.key for a in low) == ["csat", "nps"]


def test_edit_with_answers_makes_a_new_version_and_old_answers_keep_their_meaning(
    care: Any, db: Any
) -> None:
    """PITFALLS "Edits that change old answers": reversing a 1-5 scale or removing an
    option after answers makes a new version; the old answers keep labels and figures."""
    invitation = invite(care, db)
    care.surveys.answer(invitation.token, {**FULL, "competition": "1"})
    db.session.commit()
    survey = care.surveys.default_survey()
    old = survey.current
    questions = [
        {
            "key": q.key,
            "type": q.type,
            "area": q.area,
            "dimension": q.dimension,
            "weight": q.weight,
            "required": q.required,
            "page": q.page,
            "text_en": q.text_en,
            "text_es": q.text_es,
            "options": q.options,
        }
        for q in old.questions
    ]
    for question in questions:
        if question["key"] == "competition":  # "Worse" removed
            question["options"] = [o for o in question["options"] if o["value"] != "1"]
        if question["key"] == "csat":
            question["text_en"] = "1 = excellent … 5 = very poor"
    version = care.surveys.edit(survey, questions=questions)
    db.session.commit()
    assert version.number == old.number + 1
    assert len(survey.versions) == 2
    response = db.session.scalars(select(Response)).one()
    answer = response.answer_for("competition")
    from shopcare.surveys.services import answer_label

    assert answer_label(answer, "en") == "Worse" and answer_label(answer, "es") == "Peor"
    assert response.answer_for("csat").score == 100.0
    assert response.answer_for("csat").question.text_en.startswith("Overall")


def test_edit_without_answers_changes_in_place(care: Any, db: Any) -> None:
    survey = care.surveys.default_survey()
    questions = [
        {
            "key": "nps",
            "type": "nps",
            "area": "satisfaction",
            "text_en": "R?",
            "text_es": "¿R?",
            "required": True,
        }
    ]
    version = care.surveys.edit(survey, questions=questions)
    assert version.number == 1 and [q.key for q in version.questions] == ["nps"]


@pytest.mark.parametrize(
    ("question", "field"),
    [
        ({"type": "nps", "area": "nowhere"}, "questions[0].area"),
        ({"type": "stars", "area": "image"}, "questions[0].type"),
        ({"type": "choice", "area": "image"}, "questions[0].options"),
        ({"type": "rating", "area": "image", "dimension": "x"}, "questions[0].dimension"),
        ({"type": "rating", "area": "image", "weight": -1}, "questions[0].weight"),
    ],
)
def test_edit_refuses_bad_questions(care: Any, question: dict[str, Any], field: str) -> None:
    survey = care.surveys.default_survey()
    with pytest.raises(ValidationError) as error:
        care.surveys.edit(
            survey, questions=[{"key": "k", "text_en": "a", "text_es": "b", **question}]
        )
    assert error.value.field == field


def test_anonymise_blanks_free_text_keeps_numbers(care: Any, db: Any) -> None:
    invitation = invite(care, db)
    response = care.surveys.answer(invitation.token, {**FULL, "comment": "I am Ann, call 600"})
    db.session.commit()
    care.surveys.anonymise(response.id)
    db.session.commit()
    texts = db.session.scalars(select(Answer.text).where(Answer.text.is_not(None))).all()
    assert texts == [""]
    assert db.session.scalar(select(Answer.value).where(Answer.type == "nps")) == 9


def test_audit_is_scored_and_kept_apart(care: Any, db: Any) -> None:
    from tests.surveys.helpers import delivered

    delivered(care, "AUD-1", email="agency@example.com")
    survey = care.surveys.audit_survey()
    checks = {q.key: 1 for q in survey.questions if q.type == "check"}
    checks["on_time"] = 0  # weight 2 of 11
    response = care.surveys.record_audit("AUD-1", checks, auditor="Agency X")
    db.session.commit()
    assert response.kind == "audit" and response.score == pytest.approx(81.8)
    assert all(a.kind == "audit" for a in response.answers)
    with pytest.raises(NotFound):
        care.surveys.record_audit("NOPE", checks, auditor="X")
    with pytest.raises(ValidationError):
        care.surveys.record_audit("AUD-1", {"on_time": 1}, auditor="X")


def test_a_detractor_who_may_be_contacted_opens_a_follow_up_ticket(care: Any, db: Any) -> None:
    """Issue 13 point 4: the closed loop into the complaint queue (channel "survey")."""
    from shopcare.feedback.models import Ticket

    low = invite(care, db, "SO-1", email="ann@example.com")
    response = care.surveys.answer(
        low.token, {"nps": 3, "csat": 2, "comment": "Late again"}, may_contact=True
    )
    db.session.commit()
    [ticket] = db.session.scalars(select(Ticket)).all()
    assert ticket.kind == "complaint" and ticket.channel == "survey"
    assert ticket.order_id == low.order_id and ticket.email == "ann@example.com"
    assert "Late again" in ticket.message and "How likely" in ticket.message
    assert response.followup_reference == ticket.reference
    assert care.surveys.follow_up(response) == ticket.reference  # once
    # a detractor who did not tick the box, and a promoter who did: no ticket
    quiet = invite(care, db, "SO-2", email="bob@example.com")
    care.surveys.answer(quiet.token, {"nps": 1, "csat": 1})
    happy = invite(care, db, "SO-3", email="cy@example.com")
    care.surveys.answer(happy.token, {"nps": 10, "csat": 5}, may_contact=True)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_no_invitation_while_the_order_has_an_open_complaint(care: Any, db: Any) -> None:
    from tests.surveys.helpers import delivered

    delivered(care, "SO-1")
    care.feedback.submit("complaint", "Broken", "It broke", reference="SO-1")
    db.session.commit()
    assert care.surveys.invite_due() == []
