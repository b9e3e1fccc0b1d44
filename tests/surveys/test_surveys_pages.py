"""The answering pages (signed link, no login) and the staff pages (editor, answers,
CSV export, anonymise, audits)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from flask import g
from sqlalchemy import func, select

from shopcare.surveys.models import Answer, Invitation, Response
from tests.conftest import login
from tests.surveys.helpers import CONFIG, FULL, csrf, delivered, invite


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(CONFIG)


def responses(db: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(Response)))


def test_a_get_on_the_one_click_link_records_nothing(care: Any, db: Any, client: Any) -> None:
    """PITFALLS "Links that act on GET or HEAD": the scanner's GET and HEAD record
    nothing; the page opens with the choice preselected; the POST records it."""
    invitation = invite(care, db)
    url = f"/care/surveys/s/{invitation.token}?v=9"
    for _ in range(3):
        page = client.get(url)
        assert page.status_code == 200
        assert client.head(url).status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="nps" value="9" checked' in html
    assert 'name="nps" value="8" checked' not in html
    assert responses(db) == 0
    assert db.session.get(Invitation, invitation.id).status == "sent"
    assert page.headers["Cache-Control"] == "private, no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    reply = client.post(
        f"/care/surveys/s/{invitation.token}?page=1",
        data={"csrf_token": csrf(html), "page": "1", "nps": "9", "csat": "4"},
    )
    assert reply.status_code == 302 and "page=2" in reply.headers["Location"]
    db.session.expire_all()
    response = db.session.scalars(select(Response)).one()
    assert response.status == "partial"
    assert {a.question.key: a.value for a in response.answers} == {"nps": 9, "csat": 4}


def test_pages_to_the_end_keep_answers_and_finish(care: Any, db: Any, client: Any) -> None:
    invitation = invite(care, db)
    base = f"/care/surveys/s/{invitation.token}"
    version = care.surveys.default_survey().current
    for number, questions in enumerate(version.pages, start=1):
        html = client.get(f"{base}?page={number}").get_data(as_text=True)
        data = {"csrf_token": csrf(html), "page": str(number)}
        for question in questions:
            data[question.key] = str(FULL[question.key])
        if number == len(version.pages):
            data["may_contact"] = "yes"
        reply = client.post(f"{base}?page={number}", data=data)
        assert reply.status_code == 302, reply.get_data(as_text=True)
    assert reply.headers["Location"].endswith(f"{base}/done")
    done = client.get(f"{base}/done").get_data(as_text=True)
    assert "Your answers were received" in done
    db.session.expire_all()
    response = db.session.scalars(select(Response)).one()
    assert response.status == "complete" and response.may_contact
    assert len(response.answers) == len(FULL)
    # the link now shows the thanks, and a second POST records nothing more
    assert client.get(base).status_code == 302
    client.post(f"{base}?page=1", data={"csrf_token": csrf(html), "page": "1", "nps": "0"})
    assert db.session.scalar(select(Answer.value).where(Answer.type == "nps")) == 9


def test_a_required_answer_missing_is_said_next_to_it(care: Any, db: Any, client: Any) -> None:
    invitation = invite(care, db)
    base = f"/care/surveys/s/{invitation.token}"
    html = client.get(base).get_data(as_text=True)
    reply = client.post(base, data={"csrf_token": csrf(html), "page": "1", "nps": "12"})
    assert reply.status_code == 400
    page = reply.get_data(as_text=True)
    assert 'id="q-nps-error"' in page and 'id="q-csat-error"' in page
    assert 'aria-describedby="q-nps-error"' in page
    assert responses(db) == 0


def test_a_post_without_the_csrf_token_records_nothing(care: Any, db: Any, client: Any) -> None:
    invitation = invite(care, db)
    reply = client.post(
        f"/care/surveys/s/{invitation.token}", data={"page": "1", "nps": "9", "csat": "5"}
    )
    assert reply.status_code == 400
    assert responses(db) == 0


def test_unknown_and_other_tokens(care: Any, db: Any, client: Any) -> None:
    invite(care, db)
    assert client.get("/care/surveys/s/x" * 1).status_code == 404
    assert client.get("/care/surveys/s/" + "a" * 32).status_code == 404


def test_the_pages_in_spanish(care: Any, db: Any, client: Any) -> None:
    invitation = invite(care, db)
    html = client.get(
        f"/care/surveys/s/{invitation.token}", headers={"Accept-Language": "es"}
    ).get_data(as_text=True)
    assert "¿Qué probabilidad hay" in html
    assert "Siguiente" in html


def test_an_expired_invitation_says_so(care: Any, db: Any, client: Any) -> None:
    invitation = invite(care, db)
    db.session.get(Invitation, invitation.id).status = "expired"
    db.session.commit()
    assert client.get(f"/care/surveys/s/{invitation.token}").status_code == 410


def test_staff_pages_need_staff(care: Any, db: Any, client: Any) -> None:
    for url in ("/care/staff/surveys", "/care/staff/surveys/post_purchase/export.csv"):
        assert client.get(url).status_code in (302, 401, 403)
    login(client, "ann")
    assert client.get("/care/staff/surveys").status_code in (403, 404)


def test_staff_overview_and_answers_browser(care: Any, db: Any, client: Any) -> None:
    invitation = invite(care, db)
    invite(care, db, "SO-2", email="bob@example.com")
    care.surveys.answer(invitation.token, {**FULL, "nps": 3, "comment": "<b>late</b>"})
    db.session.commit()
    login(client, "sam")
    overview = client.get("/care/staff/surveys").get_data(as_text=True)
    assert "50.0 %" in overview  # 1 of 2 invitations answered
    page = client.get("/care/staff/surveys/post_purchase/responses?low=yes").get_data(as_text=True)
    assert "&lt;b&gt;late&lt;/b&gt;" in page and "<b>late</b>" not in page
    empty = client.get("/care/staff/surveys/post_purchase/responses?status=partial")
    assert "No responses match" in empty.get_data(as_text=True)


def test_csv_export_columns_stable_across_versions_and_formula_safe(
    care: Any, db: Any, client: Any
) -> None:
    """PITFALLS "Spreadsheet formulas in exports" and "Edits that change old answers":
    free text and titles starting with =, +, -, @ are inert; scores stay numbers; UTF-8
    with BOM; the old version's answers are still in the export."""
    first = invite(care, db)
    care.surveys.answer(first.token, {**FULL, "comment": '=HYPERLINK("http://evil","x")'})
    db.session.commit()
    survey = care.surveys.default_survey()
    questions = [
        {
            "key": q.key,
            "type": q.type,
            "area": q.area,
            "text_en": q.text_en,
            "text_es": q.text_es,
            "required": q.required,
            "page": q.page,
            "options": q.options,
        }
        for q in survey.current.questions
        if q.key != "site"
    ]
    questions.insert(
        0,
        {
            "key": "speed",
            "type": "rating",
            "area": "processes",
            "text_en": "-Speed",
            "text_es": "Rapidez",
            "page": 1,
        },
    )
    care.surveys.edit(survey, questions=questions)
    db.session.commit()
    second = invite(care, db, "SO-2", email="bob@example.com")
    care.surveys.answer(
        second.token, {"nps": 10, "csat": 5, "speed": 2, "comment": "@señal +1 ñandú"}
    )
    db.session.commit()
    login(client, "sam")
    reply = client.get("/care/staff/surveys/post_purchase/export.csv")
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("text/csv")
    raw = reply.get_data()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header = rows[0]
    keys = header[7:]
    # version 1's columns first, in their order; version 2's new one after
    assert keys[:3] == ["nps", "csat", "ces"] and keys[-1] == "speed" and "site" in keys
    one, two = ({h: v for h, v in zip(header, row, strict=True)} for row in rows[1:])
    assert one["version"] == "1" and one["site"] == "4" and one["speed"] == ""
    assert two["version"] == "2" and two["site"] == "" and two["speed"] == "2"
    assert one["comment"] == '\'=HYPERLINK("http://evil","x")'
    assert two["comment"] == "'@señal +1 ñandú"
    assert one["nps"] == "9"  # numbers unquoted, not made text
    assert one["competition"] == "3"
    assert ",9," in raw.decode("utf-8-sig").splitlines()[1]


def test_anonymise_from_the_answers_browser(care: Any, db: Any, client: Any) -> None:
    invitation = invite(care, db)
    response = care.surveys.answer(invitation.token, {**FULL, "comment": "Ann Smith, 600 123 456"})
    db.session.commit()
    login(client, "sam")
    page = client.get("/care/staff/surveys/post_purchase/responses").get_data(as_text=True)
    reply = client.post(
        f"/care/staff/surveys/responses/{response.id}/anonymise", data={"csrf_token": csrf(page)}
    )
    assert reply.status_code == 302
    db.session.expire_all()
    assert "Ann Smith" not in (
        db.session.scalar(select(Answer.text).where(Answer.type == "text")) or ""
    )
    for impossible in (0, 2147483648, 9223372036854775808):  # no response has it: 404
        gone = client.post(
            f"/care/staff/surveys/responses/{impossible}/anonymise", data={"csrf_token": csrf(page)}
        )
        assert gone.status_code == 404, impossible


def test_staff_editor_makes_a_version(care: Any, db: Any, client: Any) -> None:
    invitation = invite(care, db)
    care.surveys.answer(invitation.token, FULL)
    db.session.commit()
    login(client, "sam")
    html = client.get("/care/staff/surveys/post_purchase/edit").get_data(as_text=True)
    survey = care.surveys.default_survey()
    data: dict[str, str] = {
        "csrf_token": csrf(html),
        "base": re.search(r'name="base" value="([^"]+)"', html).group(1),  # type: ignore[union-attr]
        "title_en": "New title",
        "title_es": "Nuevo",
        "count": str(len(survey.questions)),
    }
    for index, q in enumerate(survey.questions):
        p = f"q{index}-"
        data.update(
            {
                p + "key": q.key,
                p + "type": q.type,
                p + "area": q.area,
                p + "weight": "1",
                p + "page": str(q.page),
                p + "text_en": q.text_en,
                p + "text_es": q.text_es,
                p + "options": "" if not q.options else __import__("json").dumps(q.options),
            }
        )
        if q.required:
            data[p + "required"] = "yes"
    data["q0-remove"] = ""
    reply = client.post("/care/staff/surveys/post_purchase/edit", data=data)
    assert reply.status_code == 302, reply.get_data(as_text=True)
    db.session.expire_all()
    assert care.surveys.default_survey().current.number == 2
    html = client.get("/care/staff/surveys/post_purchase/edit").get_data(as_text=True)
    data["base"] = re.search(r'name="base" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    bad = dict(data, **{"q1-area": "nowhere"})
    page = client.post("/care/staff/surveys/post_purchase/edit", data=bad)
    assert page.status_code == 400 and 'id="q1-area-error"' in page.get_data(as_text=True)


def test_staff_records_an_audit(care: Any, db: Any, client: Any) -> None:
    delivered(care, "AUD-1", email="agency@example.com")
    db.session.commit()
    login(client, "sam")
    html = client.get("/care/staff/surveys/audits/new").get_data(as_text=True)
    survey = care.surveys.audit_survey()
    data = {"csrf_token": csrf(html), "order": "AUD-1", "auditor": "Agency X"}
    data.update({q.key: "1" for q in survey.questions if q.type == "check"})
    reply = client.post("/care/staff/surveys/audits/new", data=data)
    assert reply.status_code == 302
    overview = client.get("/care/staff/surveys").get_data(as_text=True)
    assert "Agency X" in overview and "100.0" in overview
    missing = client.post("/care/staff/surveys/audits/new", data={**data, "order": "NOPE"})
    assert "No order with this number" in missing.get_data(as_text=True)


def test_the_cached_questions_belong_to_each_shoppers_page(
    app: Any, care: Any, db: Any, client: Any
) -> None:
    """The questions of a page nobody answered yet come from the fragment cache (the
    same for every shopper of the version, page, language and preselected value); each
    shopper still gets their own order, link and form, and saved answers are shown."""
    from shopcare.core.cache import page_cache

    ann = invite(care, db, "SO-1")
    bob = invite(care, db, "SO-2", email="bob@example.com")
    cache = page_cache()
    assert cache is not None
    cache.clear()
    first = client.get(f"/care/surveys/s/{ann.token}?v=9").get_data(as_text=True)
    assert len(cache) == 1
    html = client.get(f"/care/surveys/s/{bob.token}?v=9").get_data(as_text=True)
    assert len(cache) == 1  # Bob's page reused Ann's questions ...
    assert 'name="nps" value="9" checked' in html and "SO-2" in html and "SO-1" not in html
    assert f"/care/surveys/s/{bob.token}?page=1" in html and ann.token not in html
    assert html.split('name="page"')[1] == first.split('name="page"')[1].replace(
        ann.token, bob.token
    )
    other = client.get(f"/care/surveys/s/{bob.token}?v=3").get_data(as_text=True)
    assert 'name="nps" value="3" checked' in other and 'value="9" checked' not in other
    plain = client.get(f"/care/surveys/s/{bob.token}?v=99").get_data(as_text=True)
    assert " checked" not in plain.split('name="may_contact"')[0]
    g.pop("_flask_babel", None)  # the tests' one app context keeps the last locale there
    spanish = client.get(
        f"/care/surveys/s/{bob.token}", headers={"Accept-Language": "es"}
    ).get_data(as_text=True)
    g.pop("_flask_babel", None)
    assert "¿Qué probabilidad hay" in spanish and "Siguiente" in spanish
    blank = client.get(f"/care/surveys/s/{bob.token}").get_data(as_text=True)
    assert " checked" not in blank.split('name="may_contact"')[0]
    assert len(cache) == 5
    # Bob answers page one: his page shows his answers, not the cached blank questions
    care.surveys.answer(bob.token, {"nps": 7}, final=False)
    db.session.commit()
    mine = client.get(f"/care/surveys/s/{bob.token}").get_data(as_text=True)
    assert 'name="nps" value="7" checked' in mine
