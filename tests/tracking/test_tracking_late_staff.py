"""Staff act on late parcels: counts, filters, the customer's e-mail, notes and a
resolution that takes the parcel off the list, shows on the timeline and is safe with
two staff members at once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from shopcare import TransitionError
from shopcare.core.db import utcnow
from shopcare.core.events import events_for
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
    """Both pressed the button on the same list; the second learns who was first."""
    late_fixture(care, db)
    shipment_id = care.tracking.late_shipments().items[0].shipment.id
    login(client, "sam")
    token = _form_token(client.get(LATE_LIST).get_data(as_text=True))
    url = f"/care/staff/late-shipments/{shipment_id}"
    first = client.post(url, data={"csrf_token": token, "resolution": "refunded"})
    second = client.post(
        url, data={"csrf_token": token, "resolution": "lost"}, follow_redirects=True
    )
    assert first.status_code == 302
    assert "Someone else resolved this parcel a moment ago (Refunded)" in second.get_data(
        as_text=True
    )
    with pytest.raises(TransitionError):
        care.tracking.resolve(shipment_id, "lost")
    db.session.rollback()
    events = events_for("order", care.orders.get("LATE-OLD").id)
    resolved = [event for event in events if event.action == "shipment.resolved"]
    assert len(resolved) == 1 and resolved[0].to_state == "refunded"


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
