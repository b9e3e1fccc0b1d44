"""Staff act on late parcels: counts, filters, the customer's e-mail, notes and a
resolution that takes the parcel off the list, shows on the timeline and is safe with
two staff members at once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from shopcare import TransitionError
from shopcare.core.db import utcnow
from shopcare.core.events import Actor, events_for
from tests.conftest import login
from tests.tracking.test_tracking_late import LATE_LIST, late_fixture


def _form_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, html
    return match[1]


def _shipment_id(html: str, reference: str) -> int:
    match = re.search(
        rf'data-shipment="(\d+)">\s*<div class="sc-late-head">\s*<a href="/care/tracking/orders/{reference}"',
        html,
    )
    assert match, reference
    return int(match[1])


def test_the_late_list_has_counts_filters_and_the_customers_email(care, db, client):
    late_fixture(care, db)
    login(client, "sam")
    html = client.get(LATE_LIST).get_data(as_text=True)
    assert "data-late-total>3<" in html
    assert "mailto:ann@example.com" in html
    assert re.search(r'<option value="dhl"[^>]*>DHL \(1\)</option>', html)
    assert re.search(r'<option value="overdue"[^>]*>Past its window \(2\)</option>', html)
    by_carrier = client.get(LATE_LIST + "?carrier=ups").get_data(as_text=True)
    assert "LATE-NEW" in by_carrier and "LATE-OLD" not in by_carrier
    by_reason = client.get(LATE_LIST + "?reason=exception").get_data(as_text=True)
    assert "TROUBLE" in by_reason and "LATE-NEW" not in by_reason
    older = client.get(LATE_LIST + "?age=month").get_data(as_text=True)
    assert "LATE-OLD" in older and "LATE-NEW" not in older and "TROUBLE" not in older
    # An unknown filter value is ignored, never a 500.
    assert client.get(LATE_LIST + "?carrier=<x>&age=forever").status_code == 200


def test_a_resolution_takes_the_parcel_off_the_list_and_shows_on_the_timeline(care, db, client):
    late_fixture(care, db)
    login(client, "sam")
    page = client.get(LATE_LIST).get_data(as_text=True)
    shipment_id = _shipment_id(page, "LATE-OLD")
    response = client.post(
        f"/care/staff/late-shipments/{shipment_id}",
        data={
            "csrf_token": _form_token(page),
            "resolution": "reshipped",
            "note": "Sent again by SEUR",
        },
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "resolved: Reshipped" in html
    assert "/care/tracking/orders/LATE-OLD" not in html.split("sc-late-list")[-1]
    assert "data-late-total>2<" in html
    order = care.orders.get("LATE-OLD")
    actions = [(e.action, e.public) for e in events_for("order", order.id)]
    assert ("shipment.resolved", True) in actions and ("shipment.note", False) in actions
    timeline = client.get("/care/tracking/orders/LATE-OLD").get_data(as_text=True)
    assert "We sent a replacement" in timeline and "Sent again by SEUR" not in timeline
    # The order no longer counts this parcel as late.
    assert not care.tracking.order_status("LATE-OLD").late


def test_delivered_after_all_counts_as_delivered(care, db):
    late_fixture(care, db)
    shipment = care.tracking.late_shipments().items[0].shipment
    care.tracking.resolve(shipment.id, "delivered")
    db.session.commit()
    assert care.tracking.order_status("LATE-OLD").code == "delivered"


def test_two_staff_members_resolving_at_once_one_wins(care, db, client):
    """Both pressed the button on the same list; the second learns who was first — or,
    after a double click, that it was themselves."""
    late_fixture(care, db)
    first_id, second_id = [row.shipment.id for row in care.tracking.late_shipments().items[:2]]
    login(client, "sam")
    token = _form_token(client.get(LATE_LIST).get_data(as_text=True))
    # another staff member resolved the first parcel a moment ago
    tess = Actor("staff", "tess", "tess@shop.example")
    care.tracking.resolve(first_id, "refunded", actor=tess)
    db.session.commit()
    url = f"/care/staff/late-shipments/{first_id}"
    late = client.post(url, data={"csrf_token": token, "resolution": "lost"})
    assert late.status_code == 409
    assert (
        "tess@shop.example resolved this parcel a moment ago (Refunded). Nothing was changed."
        in late.get_data(as_text=True)
    )
    with pytest.raises(TransitionError):
        care.tracking.resolve(first_id, "lost")
    db.session.rollback()
    events = events_for("order", care.tracking.get(first_id).order_id)
    resolved = [event for event in events if event.action == "shipment.resolved"]
    assert len(resolved) == 1 and resolved[0].to_state == "refunded"
    # a double click: the second press is told it was theirs
    url = f"/care/staff/late-shipments/{second_id}"
    assert (
        client.post(url, data={"csrf_token": token, "resolution": "reshipped"}).status_code == 302
    )
    again = client.post(url, data={"csrf_token": token, "resolution": "reshipped"})
    assert again.status_code == 409
    assert "You resolved this parcel a moment ago (Reshipped)." in again.get_data(as_text=True)


def test_a_note_alone_keeps_the_parcel_open(care, db, client):
    late_fixture(care, db)
    login(client, "sam")
    page = client.get(LATE_LIST).get_data(as_text=True)
    shipment_id = _shipment_id(page, "TROUBLE")
    html = client.post(
        f"/care/staff/late-shipments/{shipment_id}",
        data={
            "csrf_token": _form_token(page),
            "resolution": "",
            "note": "Called GLS: address fixed",
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert (
        "Note saved." in html
        and "Called GLS: address fixed" in html
        and "data-late-total>3<" in html
    )


def test_old_resolved_parcels_do_not_fill_the_list(care, db):
    late_fixture(care, db)
    for row in care.tracking.late_shipments().items:
        care.tracking.resolve(row.shipment.id, "lost")
    db.session.commit()
    assert care.tracking.late_shipments().items == []
    assert care.tracking.late_counts().total == 0
    assert care.tracking.flag_late(now=utcnow() + timedelta(days=1)) == []


def test_the_staff_order_page_shows_the_customer_and_leads_back(care, db, client):
    late_fixture(care, db)
    login(client, "sam")
    html = client.get("/care/tracking/orders/LATE-NEW").get_data(as_text=True)
    assert 'href="/care/staff/late-shipments"' in html
    assert "mailto:ann@example.com" in html and "Customer" in html
    assert "Track another order" not in html


def test_the_staff_index_shows_counts(care, db, client):
    late_fixture(care, db)
    login(client, "sam")
    html = client.get("/care/staff/").get_data(as_text=True)
    assert 'data-count="3">3 waiting<' in html


def test_staff_pages_can_use_their_own_layout(app, client, tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "admin.html").write_text(
        "<html><body class=admin>{% block content %}{% endblock %}</body></html>"
    )
    from jinja2 import ChoiceLoader, FileSystemLoader

    app.jinja_env.loader = ChoiceLoader([FileSystemLoader(str(folder)), app.jinja_env.loader])
    app.config["SHOPCARE_STAFF_BASE_TEMPLATE"] = "admin.html"
    login(client, "sam")
    assert "<body class=admin>" in client.get("/care/staff/").get_data(as_text=True)
    assert "<body class=admin>" not in client.get("/care/").get_data(as_text=True)


def _row_form(html: str, shipment_id: int) -> str:
    """The late list's form of one parcel."""
    start = html.index(f'data-shipment="{shipment_id}"')
    return html[start : html.index("</form>", start)]


def test_a_note_edited_by_someone_else_since_is_not_overwritten(care, db, client):
    """Two staff members open the list; the first saves a note; the second's save,
    based on the page before it, is refused: both notes survive (the first's on the
    parcel, the second's still typed in the form), and the second can send it again
    knowingly."""
    late_fixture(care, db)
    login(client, "sam")
    page = client.get(LATE_LIST).get_data(as_text=True)
    shipment_id = _shipment_id(page, "TROUBLE")
    url = f"/care/staff/late-shipments/{shipment_id}"
    token = _form_token(page)
    first = client.post(url, data={"csrf_token": token, "note": "Called GLS", "note_was": ""})
    assert first.status_code == 302
    second = client.post(
        url, data={"csrf_token": token, "note": "E-mailed the shopper", "note_was": ""}
    )
    assert second.status_code == 409
    row = _row_form(second.get_data(as_text=True), shipment_id)
    assert "Someone else changed this note" in row
    assert ">E-mailed the shopper</textarea>" in row
    assert 'name="note_was" value="Called GLS"' in row
    assert care.tracking.get(shipment_id).staff_note == "Called GLS"
    again = client.post(
        url, data={"csrf_token": token, "note": "E-mailed the shopper", "note_was": "Called GLS"}
    )
    assert again.status_code == 302
    assert care.tracking.get(shipment_id).staff_note == "E-mailed the shopper"
    notes = [
        e.data["note"]
        for e in events_for("order", care.orders.get("TROUBLE").id)
        if e.action == "shipment.note"
    ]
    assert notes == ["Called GLS", "E-mailed the shopper"]
    # the textarea shows the note as it is: saving it unchanged with no resolution says so
    page = client.get(LATE_LIST).get_data(as_text=True)
    assert ">E-mailed the shopper</textarea>" in _row_form(page, shipment_id)
    unchanged = client.post(
        url,
        data={
            "csrf_token": token,
            "note": "E-mailed the shopper",
            "note_was": "E-mailed the shopper",
        },
    )
    assert unchanged.status_code == 400
    assert "Choose a resolution or change the note." in unchanged.get_data(as_text=True)
    # line breaks come back from the browser as CRLF, in the note and the hidden copy
    two_lines = {
        "csrf_token": token,
        "note": "Line 1\r\nLine 2",
        "note_was": "E-mailed the shopper",
    }
    assert client.post(url, data=two_lines).status_code == 302
    assert care.tracking.get(shipment_id).staff_note == "Line 1\nLine 2"
    resent = {
        "csrf_token": token,
        "note": "Line 1\r\nLine 2\r\nLine 3",
        "note_was": "Line 1\r\nLine 2",
    }
    assert client.post(url, data=resent).status_code == 302


def test_a_parcel_delivered_since_the_page_was_read_is_not_resolved_lost(care, db, client):
    """The list was read while the parcel was late; the carrier then delivered it: a
    "lost" from that page is refused, nothing is recorded, and the shopper's timeline
    says only "delivered". "Delivered after all" is still accepted."""
    late_fixture(care, db)
    login(client, "sam")
    page = client.get(LATE_LIST).get_data(as_text=True)
    shipment_id = _shipment_id(page, "LATE-OLD")
    token = _form_token(page)
    care.tracking.add_event("LATE-OLD", "delivered", shipment=shipment_id)
    db.session.commit()
    response = client.post(
        f"/care/staff/late-shipments/{shipment_id}",
        data={"csrf_token": token, "resolution": "lost", "note": "Never arrived", "note_was": ""},
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "The carrier delivered this parcel since you opened the page." in html
    assert "Never arrived" in html  # what was typed is still on the page
    shipment = care.tracking.get(shipment_id)
    assert (shipment.resolution, shipment.staff_note) == ("open", None)
    actions = [e.action for e in events_for("order", care.orders.get("LATE-OLD").id)]
    assert "shipment.resolved" not in actions and "shipment.note" not in actions
    with pytest.raises(TransitionError):
        care.tracking.resolve(shipment_id, "refunded")
    db.session.rollback()
    assert care.tracking.resolve(shipment_id, "delivered").resolution == "delivered"


def test_a_refused_form_keeps_what_was_typed(care, db, client):
    """A missing or expired token, or a note over 1000 characters: the list again, the
    row's note and resolution as typed, and why."""
    late_fixture(care, db)
    login(client, "sam")
    page = client.get(LATE_LIST).get_data(as_text=True)
    shipment_id = _shipment_id(page, "TROUBLE")
    url = f"/care/staff/late-shipments/{shipment_id}"
    expired = client.post(url, data={"note": "Typed with care", "resolution": "reshipped"})
    assert expired.status_code == 200
    row = _row_form(expired.get_data(as_text=True), shipment_id)
    assert "This form had expired. Please send it again." in row
    assert ">Typed with care</textarea>" in row
    assert '<option value="reshipped" selected>' in row
    long_note = "x" * 1001
    too_long = client.post(
        url, data={"csrf_token": _form_token(page), "note": long_note, "note_was": ""}
    )
    assert too_long.status_code == 400
    row = _row_form(too_long.get_data(as_text=True), shipment_id)
    assert "A note is at most 1000 characters." in row and f">{long_note}</textarea>" in row
    assert care.tracking.get(shipment_id).staff_note is None


def test_an_unknown_or_huge_parcel_id_is_a_404(care, db, client):
    late_fixture(care, db)
    login(client, "sam")
    token = _form_token(client.get(LATE_LIST).get_data(as_text=True))
    for shipment_id in (0, 999999, 2147483648, 9223372036854775808):
        response = client.post(
            f"/care/staff/late-shipments/{shipment_id}", data={"csrf_token": token, "note": "x"}
        )
        assert response.status_code == 404, shipment_id


def test_a_refused_save_on_a_later_page_comes_back_to_that_page(care, db, client, monkeypatch):
    """With more late parcels than a page holds, a refused save shows the same page
    again (its pager links to the list, not to the form's address) with the typed note."""
    from shopcare.tracking import lateness

    monkeypatch.setattr(lateness.late_shipments, "__defaults__", (1, 2))  # two a page
    late_fixture(care, db)
    login(client, "sam")
    second = client.get(LATE_LIST + "?page=2").get_data(as_text=True)
    shipment_id = int(re.search(r'data-shipment="(\d+)"', second)[1])
    form = _row_form(second, shipment_id)
    action = re.search(r'<form class="sc-resolve" method="post" action="([^"]+)"', form)[1]
    assert action.endswith("?page=2")
    refused = client.post(
        action.replace("&amp;", "&"),
        data={"csrf_token": _form_token(second), "note": "x" * 1001, "note_was": ""},
    )
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert f'data-shipment="{shipment_id}"' in html and "A note is at most 1000 characters." in html
    assert 'href="/care/staff/late-shipments?page=1"' in html  # the pager, back to page 1


def test_a_note_sent_twice_or_with_any_line_breaks_is_saved_once(care, db, client):
    """The same form sent twice saves the note once (the second finds its own words);
    1000 characters with line breaks fit, as the browser counted them; a bare CR from
    another client is kept as a line break, so the note can be edited again."""
    late_fixture(care, db)
    login(client, "sam")
    page = client.get(LATE_LIST).get_data(as_text=True)
    shipment_id = _shipment_id(page, "TROUBLE")
    url = f"/care/staff/late-shipments/{shipment_id}"
    sent = {"csrf_token": _form_token(page), "note": "Called GLS", "note_was": ""}
    assert client.post(url, data=sent).status_code == 302
    again = client.post(url, data=sent, follow_redirects=True)
    assert again.status_code == 200 and "Note saved." in again.get_data(as_text=True)
    order_id = care.tracking.get(shipment_id).order_id
    assert [e.action for e in events_for("order", order_id)].count("shipment.note") == 1
    lines = "\r\n".join(["x" * 99] * 10)  # 990 characters and 9 line breaks: 999 as typed
    full = {"csrf_token": _form_token(page), "note": lines, "note_was": "Called GLS"}
    assert client.post(url, data=full).status_code == 302
    assert care.tracking.get(shipment_id).staff_note == lines.replace("\r\n", "\n")
    care.tracking.add_note(shipment_id, "one\rtwo", was=lines.replace("\r\n", "\n"))
    db.session.commit()
    assert care.tracking.get(shipment_id).staff_note == "one\ntwo"
    edited = {"csrf_token": _form_token(page), "note": "three", "note_was": "one\r\ntwo"}
    assert client.post(url, data=edited).status_code == 302


def test_a_parcel_resolved_delivered_by_a_colleague_is_not_called_delivered_by_the_carrier(
    care, db, client
):
    late_fixture(care, db)
    login(client, "sam")
    page = client.get(LATE_LIST).get_data(as_text=True)
    shipment_id = _shipment_id(page, "LATE-OLD")
    tess = Actor("staff", "tess", "tess@shop.example")
    care.tracking.resolve(shipment_id, "delivered", actor=tess)
    db.session.commit()
    response = client.post(
        f"/care/staff/late-shipments/{shipment_id}",
        data={"csrf_token": _form_token(page), "resolution": "lost", "note_was": ""},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "tess@shop.example resolved this parcel a moment ago" in html
    assert "The carrier delivered this parcel" not in html
