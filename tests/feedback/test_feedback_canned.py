"""Canned replies edited by staff: the page lists, adds, changes and deletes them; fields
are checked with a message beside each; a stale save or delete is refused with a clear
message; only staff reach the pages; the ticket's reply form offers them as plain text."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest

from shopcare.core.errors import NotFound, ValidationError
from shopcare.feedback.models import CannedReply
from tests.feedback.helpers import CONFIG, order, token
from tests.fixtures_sweep import Visitor

XSS = '<script>alert("x")</script><b>bold</b>'


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(CONFIG)


def form_of(page: str) -> dict[str, str]:
    """The canned reply form's fields as the page has them (what a browser would post)."""
    fields = {"csrf_token": token(page)}
    for name in ("title", "key", "version"):
        match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page) or re.search(
            rf'<input[^>]*value="([^"]*)"[^>]*name="{name}"', page
        )
        fields[name] = unescape(match.group(1)) if match else ""
    for name in ("locale", "area"):
        select = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S)
        assert select
        chosen = re.search(r'<option selected value="([^"]*)"', select.group(0)) or re.search(
            r'<option value="([^"]*)" selected', select.group(0)
        )
        fields[name] = chosen.group(1) if chosen else ""
    body = re.search(r'<textarea[^>]*name="body"[^>]*>(.*?)</textarea>', page, re.S)
    assert body
    fields["body"] = unescape(body.group(1)).lstrip("\r\n")
    return fields


def test_service_checks_and_versions(care: Any, db: Any) -> None:
    reply = care.feedback.save_canned_reply(
        key="thanks", locale="en", title="Thanks", body="Thank you.\nWe are on it."
    )
    assert (reply.version, reply.area) == (1, None)
    with pytest.raises(ValidationError) as refused:
        care.feedback.save_canned_reply(key="Bad Name!", locale="fr", title="", body="", area="x")
    assert set(refused.value.fields) == {"key", "locale", "area", "title", "body"}
    with pytest.raises(ValidationError) as taken:
        care.feedback.save_canned_reply(key="thanks", locale="en", title="Again", body="x")
    assert taken.value.fields.keys() == {"key"}
    same_name_spanish = care.feedback.save_canned_reply(
        key="thanks", locale="es", title="Gracias", body="Gracias.", area="processes"
    )
    changed = care.feedback.save_canned_reply(
        key="thanks", locale="en", title="Thanks!", body="Thank you.", reply_id=reply.id,
        version=1,
    )  # fmt: skip
    assert changed.version == 2 and changed.title == "Thanks!"
    with pytest.raises(ValidationError) as stale:
        care.feedback.save_canned_reply(
            key="thanks", locale="en", title="Old tab", body="x", reply_id=reply.id, version=1
        )
    assert stale.value.fields.keys() == {"version"}
    db.session.expire_all()
    assert db.session.get(CannedReply, reply.id).title == "Thanks!"
    # the ticket's area: its own replies and those for every area
    assert {r.id for r in care.feedback.canned_replies(area="product")} == {reply.id}
    assert {r.id for r in care.feedback.canned_replies(area="processes")} == {
        reply.id,
        same_name_spanish.id,
    }
    with pytest.raises(ValidationError):
        care.feedback.delete_canned_reply(reply.id, 1)
    reply_id = reply.id
    care.feedback.delete_canned_reply(reply_id, 2)
    assert db.session.get(CannedReply, reply_id) is None
    with pytest.raises(NotFound):
        care.feedback.delete_canned_reply(reply_id, 2)
    with pytest.raises(NotFound):
        care.feedback.save_canned_reply(
            key="thanks", locale="en", title="T", body="x", reply_id=reply_id, version=2
        )


def test_staff_add_edit_and_delete(app: Any, db: Any) -> None:
    staff = Visitor(app, "sam")
    listing = staff.get("/care/staff/canned-replies")
    assert listing.status_code == 200 and "/care/staff/canned-replies/new" in listing.text
    new = staff.get("/care/staff/canned-replies/new")
    assert new.status_code == 200
    fields = {**form_of(new.text), "title": "Late parcel", "key": "late", "locale": "en",
              "area": "processes", "body": "Sorry it is late.\nWe asked the carrier."}  # fmt: skip
    saved = staff.open("/care/staff/canned-replies/new", method="POST", data=fields)
    assert saved.status_code == 302
    reply = db.session.query(CannedReply).one()
    assert (reply.key, reply.area, reply.version, reply.updated_by) == (
        "late",
        "processes",
        1,
        "sam",
    )
    assert reply.body == "Sorry it is late.\nWe asked the carrier."

    page = staff.get(f"/care/staff/canned-replies/{reply.id}")
    edited = {**form_of(page.text), "title": "Parcel running late"}
    assert edited["version"] == "1" and edited["area"] == "processes"
    assert staff.open(page.request.path, method="POST", data=edited).status_code == 302
    db.session.expire_all()
    assert (reply.title, reply.version) == ("Parcel running late", 2)

    # a field left wrong: the message next to it, nothing saved
    wrong = staff.open(
        page.request.path, method="POST",
        data={**form_of(staff.get(page.request.path).text), "key": "Not OK", "body": ""},
    )  # fmt: skip
    assert wrong.status_code == 200
    assert re.search(r'id="key-error">Use lower-case letters', wrong.text)
    assert 'id="body-error">Write the reply.' in wrong.text
    assert 'aria-invalid="true"' in wrong.text

    page = staff.get(page.request.path)
    deleted = staff.open(
        f"/care/staff/canned-replies/{reply.id}/delete", method="POST",
        data={"csrf_token": token(page.text), "version": "2"},
    )  # fmt: skip
    assert deleted.status_code == 302
    assert db.session.query(CannedReply).count() == 0


def test_two_staff_editing_the_same_reply(app: Any, care: Any, db: Any) -> None:
    reply = care.feedback.save_canned_reply(key="thanks", locale="en", title="Thanks", body="A")
    db.session.commit()
    first, second = Visitor(app, "sam"), Visitor(app, "sam")
    path = f"/care/staff/canned-replies/{reply.id}"
    first_form, second_form = form_of(first.get(path).text), form_of(second.get(path).text)
    assert first.open(path, method="POST", data={**first_form, "body": "First"}).status_code == 302
    late = second.open(path, method="POST", data={**second_form, "body": "Second"})
    assert late.status_code == 200
    assert "Someone else saved this canned reply" in late.text
    assert "First" in late.text  # what is saved now is shown
    assert "Second" in late.text  # and the late editor's text is kept in the form
    db.session.expire_all()
    assert (db.session.get(CannedReply, reply.id).body, reply.version) == ("First", 2)
    # saving again, having seen the current text, works
    retry = form_of(late.text)
    assert retry["version"] == "2" and retry["body"] == "Second"
    assert second.open(path, method="POST", data=retry).status_code == 302
    db.session.expire_all()
    assert db.session.get(CannedReply, reply.id).body == "Second"
    # a stale delete is refused too
    stale = first.open(
        f"{path}/delete", method="POST",
        data={"csrf_token": first_form["csrf_token"], "version": "2"},
    )  # fmt: skip
    assert stale.status_code == 302
    assert db.session.get(CannedReply, reply.id) is not None


def test_only_staff_and_csrf(app: Any, care: Any, db: Any) -> None:
    reply = care.feedback.save_canned_reply(key="thanks", locale="en", title="T", body="B")
    db.session.commit()
    shopper = Visitor(app, "ann")
    for path in ("/care/staff/canned-replies", f"/care/staff/canned-replies/{reply.id}",
                 "/care/staff/canned-replies/new"):  # fmt: skip
        assert shopper.get(path).status_code == 403
        assert Visitor(app).get(path).status_code == 302  # to the host's login
    assert shopper.open(f"/care/staff/canned-replies/{reply.id}/delete", method="POST",
                        data={"version": "1"}).status_code == 403  # fmt: skip
    staff = Visitor(app, "sam")
    no_token = staff.open(
        f"/care/staff/canned-replies/{reply.id}/delete", method="POST", data={"version": "1"}
    )
    assert no_token.status_code == 302  # back, with "this form had expired"; nothing deleted
    assert db.session.get(CannedReply, reply.id) is not None


def test_the_reply_form_offers_them_as_plain_text(app: Any, care: Any, db: Any) -> None:
    order(care, "SO-1")
    ticket = care.feedback.submit(
        "complaint", "Late", "Where is it?", reference="SO-1", area="processes", locale="en"
    )
    care.feedback.save_canned_reply(key="late", locale="en", title=XSS, body=XSS, area="processes")
    care.feedback.save_canned_reply(
        key="size", locale="en", title="Sizes", body="S", area="product"
    )
    care.feedback.save_canned_reply(key="hi", locale="es", title="Hola", body="Hola")
    db.session.commit()
    page = Visitor(app, "sam").get(f"/care/staff/feedback/{ticket.reference}").text
    assert "<script>alert" not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;" in page
    assert "Hola (es)" in page and "Sizes" not in page  # another area's reply is not offered
    assert "/care/staff/canned-replies" in page
    listing = Visitor(app, "sam").get("/care/staff/canned-replies").text
    assert "<script>alert" not in listing and "&lt;script&gt;" in listing


def test_an_id_or_version_no_column_holds_is_refused_not_a_500(
    app: Any, care: Any, db: Any
) -> None:
    staff = Visitor(app, "sam")
    new = staff.get("/care/staff/canned-replies/new")
    fields = {**form_of(new.text), "title": "Hello", "key": "hello", "locale": "en",
              "area": "", "body": "Hello!"}  # fmt: skip
    assert staff.open(new.request.path, method="POST", data=fields).status_code == 302
    reply = db.session.query(CannedReply).one()
    huge = "9" * 23
    assert staff.get(f"/care/staff/canned-replies/{huge}").status_code == 404
    page = staff.get(f"/care/staff/canned-replies/{reply.id}")
    gone = staff.open(
        f"/care/staff/canned-replies/{huge}/delete", method="POST",
        data={"csrf_token": token(page.text), "version": "1"},
    )  # fmt: skip
    assert gone.status_code == 404
    edited = staff.open(
        page.request.path, method="POST",
        data={**form_of(page.text), "title": "Changed", "version": huge},
    )  # fmt: skip
    assert edited.status_code == 200  # the form again, with the "open it again" message
    kept = staff.open(
        f"/care/staff/canned-replies/{reply.id}/delete", method="POST",
        data={"csrf_token": token(staff.get(page.request.path).text), "version": huge},
    )  # fmt: skip
    assert kept.status_code == 302
    db.session.expire_all()
    assert (reply.title, reply.version) == ("Hello", 1)
