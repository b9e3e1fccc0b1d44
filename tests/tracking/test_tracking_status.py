"""An honest order status: handed-over parcels are not "Preparing", split orders say
"partly delivered" / "partly shipped" with counts, late and troubled orders are marked,
and the host gets the same status from one call."""

from __future__ import annotations

import re
from datetime import timedelta

from shopcare.core.db import utcnow
from shopcare.tracking.summary import summarize
from tests.conftest import login
from tests.tracking.helpers import make_order


def _badges(html: str) -> list[str]:
    return re.findall(r'data-order-status="([a-z_]+)">([^<]+)<', html)


def test_a_parcel_handed_to_the_carrier_is_not_preparing(care, db, client):
    make_order(care, user_id="ann")
    care.tracking.add_shipment("SO-1", carrier="dhl", tracking_number="JD1")
    db.session.commit()
    login(client, "ann")
    html = client.get("/care/tracking/orders/SO-1").get_data(as_text=True)
    assert "Parcel handed to DHL" in html
    current = re.search(
        r'sc-step-current[^>]*aria-current="step">\s*<span[^>]*></span>\s*'
        r'<span class="sc-step-label">([^<]+)<',
        html,
    )
    assert current and current[1] == "Shipped"
    assert "Preparing" not in html
    assert _badges(html) == [("shipped", "Shipped")]
    listing = client.get("/care/tracking/orders").get_data(as_text=True)
    assert _badges(listing) == [("shipped", "Shipped")]


def test_an_order_without_parcels_is_preparing(care, db, client):
    make_order(care, user_id="ann")
    db.session.commit()
    login(client, "ann")
    html = client.get("/care/tracking/orders/SO-1").get_data(as_text=True)
    assert _badges(html) == [("preparing", "Preparing")]


def test_one_parcel_delivered_one_on_its_way_is_partly_delivered(care, db, client):
    make_order(care, user_id="ann")
    now = utcnow()
    care.tracking.add_shipment(
        "SO-1", carrier="dhl", tracking_number="A", lines={"MUG-1": 2}, shipped_at=now
    )
    care.tracking.add_shipment(
        "SO-1", carrier="dhl", tracking_number="B", lines={"TEA-9": 1}, shipped_at=now
    )
    care.tracking.add_event(
        "SO-1", "delivered", carrier="dhl", tracking_number="A", occurred_at=now
    )
    db.session.commit()
    login(client, "ann")
    html = client.get("/care/tracking/orders/SO-1").get_data(as_text=True)
    assert _badges(html) == [("partly_delivered", "Partly delivered (1 of 2 parcels delivered)")]
    listing = client.get("/care/tracking/orders").get_data(as_text=True)
    assert _badges(listing) == [("partly_delivered", "Partly delivered (1 of 2 parcels delivered)")]


def test_partly_delivered_in_spanish(care, db, client):
    # (One language per test: the tests' app context, and so Babel's locale, spans requests.)
    make_order(care, user_id="ann")
    care.tracking.add_shipment("SO-1", carrier="dhl", tracking_number="A", lines={"MUG-1": 2})
    care.tracking.add_shipment("SO-1", carrier="dhl", tracking_number="B", lines={"TEA-9": 1})
    care.tracking.add_event("SO-1", "delivered", carrier="dhl", tracking_number="A")
    db.session.commit()
    login(client, "ann")
    spanish = client.get("/care/tracking/orders/SO-1", headers={"Accept-Language": "es"}).get_data(
        as_text=True
    )
    assert _badges(spanish) == [
        ("partly_delivered", "Entregado en parte (1 de 2 paquetes entregados)")
    ]


def test_some_units_not_shipped_is_partly_shipped_with_counts(care, db, client):
    make_order(care, user_id="ann")
    care.tracking.add_shipment("SO-1", carrier="dhl", tracking_number="A", lines={"MUG-1": 1})
    db.session.commit()
    login(client, "ann")
    html = client.get("/care/tracking/orders/SO-1").get_data(as_text=True)
    assert _badges(html) == [("partly_shipped", "Partly shipped (1 of 3 items shipped)")]


def test_late_and_troubled_orders_are_marked_in_header_and_list(care, db, client):
    make_order(care, user_id="ann")
    make_order(care, "SO-2", user_id="ann")
    long_ago = utcnow() - timedelta(days=30)
    care.tracking.add_shipment("SO-1", carrier="dhl", tracking_number="A", shipped_at=long_ago)
    care.tracking.add_event("SO-2", "exception", carrier="ups", tracking_number="B")
    db.session.commit()
    login(client, "ann")
    late = client.get("/care/tracking/orders/SO-1").get_data(as_text=True)
    assert re.search(r"data-order-flag>Running late<", late)
    trouble = client.get("/care/tracking/orders/SO-2").get_data(as_text=True)
    assert re.search(r"data-order-flag>Delivery problem<", trouble)
    listing = client.get("/care/tracking/orders").get_data(as_text=True)
    assert re.findall(r"data-order-flag>([^<]+)<", listing) == ["Delivery problem", "Running late"]


def test_the_host_gets_the_same_status_in_one_call(care, db, count_queries):
    make_order(care)
    make_order(care, "SO-2")
    make_order(care, "SO-3")
    care.tracking.add_shipment("SO-1", carrier="dhl", tracking_number="A", lines={"MUG-1": 2})
    care.tracking.add_shipment("SO-1", carrier="dhl", tracking_number="B", lines={"TEA-9": 1})
    care.tracking.add_event("SO-1", "delivered", carrier="dhl", tracking_number="A")
    care.tracking.add_event("SO-2", "delivered", carrier="dhl", tracking_number="C")
    db.session.commit()
    status = care.tracking.order_status("SO-1")
    assert status.code == "partly_delivered"
    assert (status.parcels, status.parcels_delivered, status.units, status.units_shipped) == (
        2,
        1,
        3,
        3,
    )
    assert status.label == "Partly delivered" and status.tracking_status == "pending"
    assert not status.late and status.problem is None and status.flag is None
    assert care.tracking.order_status("SO-404") is None
    with count_queries() as statements:
        statuses = care.tracking.order_statuses(["SO-1", "SO-2", "SO-3", "SO-404"])
    assert len(statements) == 2
    assert {ref: s.code for ref, s in statuses.items()} == {
        "SO-1": "partly_delivered",
        "SO-2": "delivered",
        "SO-3": "preparing",
    }


class Row:
    def __init__(self, status, latest=None, resolution="open"):
        self.status, self.estimated_latest, self.resolution = status, latest, resolution


def test_summarize_states():
    now = utcnow()
    past = now - timedelta(days=1)
    assert summarize([], units=2, units_shipped=0, now=now).code == "preparing"
    assert summarize([Row("in_transit")], units=2, units_shipped=2, now=now).code == "in_transit"
    assert summarize([Row("info_received")], units=2, units_shipped=2, now=now).code == "shipped"
    late = summarize([Row("in_transit", past)], units=1, units_shipped=1, now=now)
    assert late.late and late.flag == "Running late" and late.code == "in_transit"
    trouble = summarize(
        [Row("delivered"), Row("failed_attempt")], units=2, units_shipped=2, now=now
    )
    assert trouble.code == "partly_delivered" and trouble.problem == "failed_attempt"
    everything = summarize([Row("delivered"), Row("delivered")], units=2, units_shipped=2, now=now)
    assert everything.code == "delivered" and everything.detail is None
    one_of_one = summarize([Row("delivered")], units=3, units_shipped=1, now=now)
    assert one_of_one.code == "partly_delivered"
    assert one_of_one.detail == "1 of 3 items shipped"
