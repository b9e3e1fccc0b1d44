"""What a fresh pair of eyes tried on the surveys (issue 13's probe): hostile and
careless input on the shopper's and the staff's pages."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import select

from shopcare.core.errors import ValidationError
from shopcare.surveys.models import Answer, Invitation, Response
from tests.conftest import login
from tests.surveys.helpers import CONFIG, FULL, csrf, invite


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(CONFIG)


def _last_page(care: Any) -> int:
    return len(care.surveys.default_survey().current.pages)


def _fill_to_last(care: Any, client: Any, base: str) -> str:
    version = care.surveys.default_survey().current
    for number, questions in enumerate(version.pages[:-1], start=1):
        html = client.get(f"{base}?page={number}").get_data(as_text=True)
        data = {"csrf_token": csrf(html), "page": str(number)}
        data.update({q.key: str(FULL[q.key]) for q in questions})
        assert client.post(f"{base}?page={number}", data=data).status_code == 302
    return client.get(f"{base}?page={len(version.pages)}").get_data(as_text=True)


def test_a_too_long_comment_is_told_as_too_long(care: Any, db: Any, client: Any) -> None:
    invitation = invite(care, db)
    base = f"/care/surveys/s/{invitation.token}"
    html = _fill_to_last(care, client, base)
    last = _last_page(care)
    data = {"csrf_token": csrf(html), "page": str(last), "comment": "x" * 4001}
    data.update(
        {
            q.key: str(FULL[q.key])
            for q in care.surveys.default_survey().current.pages[-1]
            if q.key != "comment"
        }
    )
    reply = client.post(f"{base}?page={last}", data=data)
    assert reply.status_code == 400
    page = reply.get_data(as_text=True)
    assert "Please choose one of the answers." not in page
    assert "4,000 characters" in page or "4000 characters" in page


def test_a_cleared_comment_is_cleared(care: Any, db: Any, client: Any) -> None:
    """The shopper writes a comment, goes back, then empties it and sends: the comment
    they removed is not kept."""
    invitation = invite(care, db)
    base = f"/care/surveys/s/{invitation.token}"
    html = _fill_to_last(care, client, base)
    last = _last_page(care)
    others = {
        q.key: str(FULL[q.key])
        for q in care.surveys.default_survey().current.pages[-1]
        if q.key != "comment"
    }
    back = client.post(
        f"{base}?page={last}",
        data={
            "csrf_token": csrf(html),
            "page": str(last),
            "action": "back",
            "comment": "My phone is 600 000 000",
            **others,
        },
    )
    assert back.status_code == 302
    html = client.get(f"{base}?page={last}").get_data(as_text=True)
    assert "My phone is 600 000 000" in html
    sent = client.post(
        f"{base}?page={last}",
        data={"csrf_token": csrf(html), "page": str(last), "comment": "", **others},
    )
    assert sent.status_code == 302
    db.session.expire_all()
    texts = db.session.scalars(select(Answer.text).where(Answer.type == "text")).all()
    assert texts == []
    assert db.session.scalars(select(Response.status)).one() == "complete"


def test_the_thanks_page_of_an_expired_invitation_offers_no_dead_end(
    care: Any, db: Any, client: Any
) -> None:
    invitation = invite(care, db)
    db.session.get(Invitation, invitation.id).status = "expired"
    db.session.commit()
    reply = client.get(f"/care/surveys/s/{invitation.token}/done")
    page = reply.get_data(as_text=True)
    assert reply.status_code == 410
    assert "Continue the survey" not in page and "This survey is closed" in page
    assert 'href="/care/"' in page  # a way on


def test_hostile_text_is_never_markup(care: Any, db: Any, client: Any) -> None:
    invitation = invite(care, db)
    hostile = '<script>alert(1)</script>\u202e<img src=x onerror=alert(2)>\u200b=HYPERLINK("x")'
    care.surveys.answer(invitation.token, {**FULL, "comment": hostile})
    db.session.commit()
    login(client, "sam")
    page = client.get("/care/staff/surveys/post_purchase/responses").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page


def test_the_editor_refuses_a_forged_count(care: Any, db: Any, client: Any) -> None:
    login(client, "sam")
    html = client.get("/care/staff/surveys/post_purchase/edit").get_data(as_text=True)
    for count in ("abc", "-5", "99999999999"):
        reply = client.post(
            "/care/staff/surveys/post_purchase/edit",
            data={"csrf_token": csrf(html), "count": count, "title_en": "T", "title_es": "T"},
        )
        assert reply.status_code < 500


def _editor_data(care: Any, html: str, **changes: str) -> dict[str, str]:
    survey = care.surveys.default_survey()
    data: dict[str, str] = {
        "csrf_token": csrf(html),
        "title_en": survey.current.title_en,
        "title_es": survey.current.title_es,
        "count": str(len(survey.current.questions)),
    }
    for index, q in enumerate(survey.current.questions):
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
                p + "options": json.dumps(q.options) if q.options else "",
            }
        )
        if q.required:
            data[p + "required"] = "yes"
    stamp = re.search(r'name="base" value="([^"]*)"', html)
    if stamp:
        data["base"] = stamp.group(1)
    data.update(changes)
    return data


def test_a_stale_edit_does_not_overwrite_a_newer_one(care: Any, db: Any, client: Any) -> None:
    invitation = invite(care, db)
    care.surveys.answer(invitation.token, FULL)
    db.session.commit()
    login(client, "sam")
    url = "/care/staff/surveys/post_purchase/edit"
    first = client.get(url).get_data(as_text=True)
    second = client.get(url).get_data(as_text=True)
    one = _editor_data(care, first, title_en="Edited by Sam")
    two = _editor_data(care, second, title_es="Editado por Eva")
    assert client.post(url, data=one).status_code == 302
    db.session.expire_all()
    reply = client.post(url, data=two)
    assert reply.status_code == 409, reply.status_code
    assert "changed" in reply.get_data(as_text=True)
    db.session.expire_all()
    current = care.surveys.default_survey().current
    assert current.title_en == "Edited by Sam"


def test_an_editor_error_is_next_to_its_field(care: Any, db: Any, client: Any) -> None:
    login(client, "sam")
    url = "/care/staff/surveys/post_purchase/edit"
    html = client.get(url).get_data(as_text=True)
    reply = client.post(url, data=_editor_data(care, html, **{"q2-weight": "heavy"}))
    page = reply.get_data(as_text=True)
    assert reply.status_code == 400
    assert 'id="q2-weight-error"' in page and 'aria-describedby="q2-weight-error"' in page
    assert '<a href="#q2-weight">Question 3 · Weight</a>' in page  # the summary leads there
    assert "a number from 0 to 100" not in page and "A number from 0 to 100." in page


def test_an_editor_error_in_spanish(care: Any, db: Any, client: Any) -> None:
    login(client, "sam")
    url = "/care/staff/surveys/post_purchase/edit"
    es = {"Accept-Language": "es"}
    html = client.get(url, headers=es).get_data(as_text=True)
    reply = client.post(url, data=_editor_data(care, html, **{"q2-options": "[{]"}), headers=es)
    page = reply.get_data(as_text=True)
    assert reply.status_code == 400 and 'id="q2-options-error"' in page
    assert "Una lista JSON de opciones" in page
    assert "No se guardó nada" in page


def test_an_audit_with_gaps_says_so_in_spanish(care: Any, db: Any, client: Any) -> None:
    """A first audit (the checklist made on first use in that request) with no auditor
    and no checks ticked: the page comes back with the messages in Spanish."""
    login(client, "sam")
    url = "/care/staff/surveys/audits/new"
    html = client.get(url, headers={"Accept-Language": "es"}).get_data(as_text=True)
    for order in ("", "NO-SUCH"):
        reply = client.post(
            url,
            data={"csrf_token": csrf(html), "order": order, "auditor": ""},
            headers={"Accept-Language": "es"},
        )
        assert reply.status_code < 500
    invite(care, db)
    reply = client.post(
        url,
        data={"csrf_token": csrf(html), "order": "SO-1", "auditor": ""},
        headers={"Accept-Language": "es"},
    )
    page = reply.get_data(as_text=True)
    assert reply.status_code == 200
    assert "is required" not in page and "an answer is required" not in page
    assert "Escribe quién hizo la auditoría" in page
    reply = client.post(
        url,
        data={"csrf_token": csrf(html), "order": "SO-1", "auditor": "Eva"},
        headers={"Accept-Language": "es"},
    )
    assert "Elige «Cumplido» o «No cumple»" in reply.get_data(as_text=True)


# "²".isdigit() is True but int("²") raises: every number read from a URL or a form
# must come back as a page or a 400, never a 500.
ODD_DIGITS = ("²", "①", "٣", "1²")


def test_odd_digits_in_the_shoppers_link(care: Any, db: Any, client: Any) -> None:
    invitation = invite(care, db)
    for odd in ODD_DIGITS:
        for url in (
            f"/care/surveys/s/{invitation.token}?v={odd}",
            f"/care/surveys/s/{invitation.token}?page={odd}",
        ):
            assert client.get(url).status_code == 200, url
    base = f"/care/surveys/s/{invitation.token}"
    html = client.get(base).get_data(as_text=True)
    for odd in ODD_DIGITS:
        reply = client.post(base, data={"csrf_token": csrf(html), "page": "1", "nps": odd})
        assert reply.status_code == 400 and 'id="q-nps-error"' in reply.get_data(as_text=True)
    with pytest.raises(ValidationError):
        care.surveys.answer(invitation.token, {"nps": "²"}, final=False)


def test_odd_digits_on_the_staff_pages(care: Any, db: Any, client: Any) -> None:
    invite(care, db)
    login(client, "sam")
    for odd in ODD_DIGITS:
        url = f"/care/staff/surveys/post_purchase/responses?version={odd}"
        assert client.get(url).status_code == 200, url
    html = client.get("/care/staff/surveys/post_purchase/edit").get_data(as_text=True)
    for odd in ODD_DIGITS:
        reply = client.post(
            "/care/staff/surveys/post_purchase/edit",
            data=_editor_data(care, html, count=odd, **{"q0-page": odd}),
        )
        assert reply.status_code < 500


def test_the_json_api_needs_its_scope_and_reads_odd_pages_as_bad(
    care: Any, db: Any, client: Any, api_key: Any
) -> None:
    invitation = invite(care, db)
    care.surveys.answer(invitation.token, {**FULL, "comment": "<b>hi</b>"})
    db.session.commit()
    url = "/care/api/v1/surveys/post_purchase/responses"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=api_key("orders:read")).status_code == 403
    login(client, "sam")  # a staff session is no API key
    assert client.get(url).status_code == 401
    headers = api_key("surveys:read")
    body = client.get(url, headers=headers).get_json()
    [item] = body["items"]
    assert {a["key"]: a["text"] for a in item["answers"]}["comment"] == "<b>hi</b>"
    assert "ann@example.com" not in json.dumps(body)
    for odd in ODD_DIGITS:
        reply = client.get(f"{url}?page={odd}", headers=headers)
        assert reply.status_code == 400, odd
        assert reply.get_json()["error"]["code"] == "bad_request"


def test_form_id_reads_only_ascii_digits() -> None:
    """core.validation.form_id (feedback's stale-edit versions): ``"²"`` is no id."""
    from shopcare.core.validation import form_id

    assert [form_id(text) for text in ("12", "²", "①", "1²", "")] == [12, None, None, None, None]
