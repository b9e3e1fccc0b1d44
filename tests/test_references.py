"""One normalisation per kind of identifier: an order reference matches as people type
it (case, spaces, a leading ``#``) in the services, the look-up, the pages and the API;
carrier status words match in every spelling aggregators use."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from shopcare import ValidationError
from shopcare.orders.models import Order
from shopcare.orders.services import reference_key
from tests.conftest import login, now, sample_lines
from tests.fixtures_api import API
from tests.tracking.helpers import T0, csrf_token, make_order

TYPED = [
    "so-1001",
    "SO-1001",
    " So-1001 ",
    "#SO-1001",
    "# so-1001",
    "SO - 1001",
    "so-\uff11\uff10\uff10\uff11",
]  # full-width digits


def test_one_key_for_every_way_of_typing_it():
    assert {reference_key(typed) for typed in TYPED} == {"so-1001"}
    assert reference_key("SO-1002") != reference_key("SO-1001")
    for hopeless in ("", "   ", "#", None, 1001, "x" * 300, "SO\x00"):
        assert reference_key(hopeless) is None


@pytest.mark.parametrize("typed", TYPED)
def test_the_services_find_it_as_typed(care, db, typed):
    care.orders.record("so-1001", "ann@example.com", now(), sample_lines())
    db.session.commit()
    assert care.orders.get(typed).reference == "so-1001"
    update = care.tracking.add_event(typed, "in_transit", carrier="dhl", tracking_number="A")
    assert update.shipment.status == "in_transit"


def test_recording_it_again_in_other_capitals_is_the_same_order(care, db):
    care.orders.record("so-1001", "ann@example.com", now(), sample_lines())
    again = care.orders.record("#SO-1001", "ann@example.com", now(), sample_lines()[:1])
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    assert again.reference == "so-1001"  # the shop's first spelling stays
    assert [line.sku for line in again.lines] == ["MUG-1"]


def test_only_hash_and_spaces_is_not_a_reference(care, db):
    with pytest.raises(ValidationError) as caught:
        care.orders.record("# ", "ann@example.com", now(), sample_lines())
    assert caught.value.field == "reference"


@pytest.mark.parametrize("typed", ["SO-1001", "#so-1001", " so - 1001 "])
def test_guest_lookup_matches_as_typed(care, db, client, typed):
    care.orders.record("so-1001", "ann@example.com", now(), sample_lines())
    db.session.commit()
    token = csrf_token(client, "/care/tracking/")
    response = client.post(
        "/care/tracking/",
        data={"reference": typed, "email": "ANN@example.com", "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/care/tracking/orders/so-1001?key=")


@pytest.mark.parametrize("typed", ["SO-1001", "%23so-1001", "so%20-1001"])
def test_pages_and_api_match_as_typed(care, db, client, api_key, typed):
    care.orders.record("so-1001", "ann@example.com", now(), sample_lines(), user_id="ann")
    db.session.commit()
    login(client, "ann")
    page = client.get(f"/care/tracking/orders/{typed}")
    assert page.status_code == 200 and "so-1001" in page.get_data(as_text=True)
    body = client.get(f"{API}/orders/{typed}", headers=api_key("orders:read")).get_json()
    assert body["reference"] == "so-1001"


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("InfoReceived", "info_received"),
        ("InTransit", "in_transit"),
        ("OutForDelivery", "out_for_delivery"),
        ("AttemptFail", "failed_attempt"),
        ("AvailableForPickup", "available_for_pickup"),
        ("out_for_delivery", "out_for_delivery"),
        ("out-for-delivery", "out_for_delivery"),
        ("Out  for delivery", "out_for_delivery"),
        ("attempt_fail", "failed_attempt"),
        ("Attempt-Fail", "failed_attempt"),
        ("available for pickup", "available_for_pickup"),
    ],
)
def test_carrier_words_in_every_spelling(care, db, word, status):
    make_order(care)
    update = care.tracking.add_event(
        "SO-1", word, carrier="dhl", tracking_number="A", occurred_at=T0
    )
    assert update.shipment.status == status


def test_a_hosts_camel_case_word_matches_its_other_spellings(app, care, db):
    app.config["SHOPCARE_CARRIER_STATUS_MAP"] = {"PaqueteEnFurgoneta": "out_for_delivery"}
    make_order(care)
    update = care.tracking.add_event(
        "SO-1", "paquete en furgoneta", carrier="dhl", tracking_number="A", occurred_at=T0
    )
    assert update.shipment.status == "out_for_delivery"
