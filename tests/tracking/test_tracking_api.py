"""The signed carrier webhook and the order JSON."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from shopcare.core.events import Event
from shopcare.tracking.models import Shipment
from tests.conftest import login
from tests.fixtures_api import API
from tests.tracking.helpers import SECRET, make_order, signature

WEBHOOK = f"{API}/tracking/events"


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"SHOPCARE_WEBHOOK_SECRET": SECRET}


def post_signed(client, payload: Any, *, header: str | None = None, raw: bytes | None = None):
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    sig = signature(body) if header is None else header
    if sig:
        headers["Shopcare-Signature"] = sig
    return client.post(WEBHOOK, data=body, headers=headers)


def event(**changes: Any) -> dict[str, Any]:
    data = {
        "reference": "SO-1",
        "status": "In Transit",
        "occurred_at": "2026-03-02T10:00:00+01:00",
        "carrier": "dhl",
        "tracking_number": "JD1",
        "location": "Madrid",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def counts(db) -> tuple[int, int]:
    shipments = db.session.scalar(select(func.count()).select_from(Shipment))
    events = db.session.scalar(
        select(func.count()).select_from(Event).where(Event.action.like("shipment.%"))
    )
    return shipments, events


def test_a_good_signature_records_the_event(care, db, client):
    make_order(care)
    db.session.commit()
    response = post_signed(client, event())
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "in_transit" and body["status_changed"] and not body["duplicate"]
    stored = db.session.get(Event, body["event_id"])
    assert stored.actor_kind == "system" and stored.actor_label == "carrier webhook"
    assert stored.occurred_at.isoformat() == "2026-03-02T09:00:00+00:00"
    # The same body again (a retry) is a duplicate, not a second event.
    again = post_signed(client, event())
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    assert counts(db) == (1, 2)  # shipment.added + one carrier event


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("", "missing_signature"),
        ("t=123", "invalid_signature"),
        ("v1=abc", "invalid_signature"),
        ("garbage", "invalid_signature"),
        ("t=notanumber,v1=00", "invalid_signature"),
    ],
)
def test_missing_or_malformed_signature_is_401(care, db, client, header, code):
    make_order(care)
    db.session.commit()
    response = post_signed(client, event(), header=header)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == code
    assert response.headers["WWW-Authenticate"] == "Shopcare-Signature"
    assert counts(db) == (0, 0)


def test_wrong_secret_or_altered_body_is_401(care, db, client):
    make_order(care)
    db.session.commit()
    body = json.dumps(event()).encode()
    wrong = post_signed(client, None, raw=body, header=signature(body, "another-secret"))
    assert wrong.status_code == 401 and wrong.get_json()["error"]["code"] == "invalid_signature"
    altered = body.replace(b"Madrid", b"Paris ")
    tampered = post_signed(client, None, raw=altered, header=signature(body))
    assert tampered.status_code == 401
    assert counts(db) == (0, 0)


@pytest.mark.parametrize("offset", [-301, 301, -3600 * 24])
def test_replayed_or_future_timestamps_are_401(care, db, client, offset):
    make_order(care)
    db.session.commit()
    body = json.dumps(event()).encode()
    response = post_signed(client, None, raw=body, header=signature(body, at=time.time() + offset))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "signature_expired"
    assert counts(db) == (0, 0)


def test_within_tolerance_is_accepted(care, db, client):
    make_order(care)
    db.session.commit()
    body = json.dumps(event()).encode()
    response = post_signed(client, None, raw=body, header=signature(body, at=time.time() - 290))
    assert response.status_code == 200


def test_secret_rotation_both_sides(app, care, db, client):
    make_order(care)
    db.session.commit()
    body = json.dumps(event()).encode()
    # The shop accepts the old and the new secret while rotating ...
    app.config["SHOPCARE_WEBHOOK_SECRET"] = ["new-secret", SECRET]
    assert post_signed(client, None, raw=body, header=signature(body)).status_code == 200
    # ... and a sender may sign with several secrets at once.
    app.config["SHOPCARE_WEBHOOK_SECRET"] = "new-secret"
    body = json.dumps(event(status="out_for_delivery")).encode()
    old, new = signature(body), signature(body, "new-secret")
    header = f"{old},v1={new.split('v1=')[1]}"
    assert post_signed(client, None, raw=body, header=header).status_code == 200


def test_without_a_configured_secret_everything_is_refused(app, care, db, client):
    app.config["SHOPCARE_WEBHOOK_SECRET"] = None
    make_order(care)
    db.session.commit()
    response = post_signed(client, event())
    assert response.status_code == 401


def test_bad_bodies(care, db, client):
    make_order(care)
    db.session.commit()
    not_json = post_signed(client, None, raw=b"{not json")
    assert not_json.status_code == 400
    assert post_signed(client, "just a string").status_code == 400
    assert post_signed(client, []).status_code == 422
    response = post_signed(
        client, event(status="teleported", occurred_at="2026-03-02T10:00:00", extra=1)
    )
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"extra"}  # the schema speaks first
    response = post_signed(client, event(status="teleported", occurred_at="2026-03-02T10:00:00"))
    assert response.get_json()["error"]["fields"].keys() == {"status"}
    response = post_signed(client, event(occurred_at="2026-03-02T10:00:00"))
    assert response.get_json()["error"]["fields"] == {
        "occurred_at": "needs a UTC offset (e.g. +02:00 or Z)"
    }
    response = post_signed(client, event(reference="NOPE"))
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"].keys() == {"reference"}
    unsigned_type = client.post(
        WEBHOOK,
        data=json.dumps(event()),
        headers={"Shopcare-Signature": signature(json.dumps(event()).encode())},
        content_type="text/plain",
    )
    assert unsigned_type.status_code == 415
    assert counts(db) == (0, 0)


def test_a_list_is_all_or_nothing_with_indexed_fields(care, db, client, signals_recorder):
    make_order(care)
    make_order(care, "SO-2")
    db.session.commit()
    with signals_recorder("order-status-changed") as received:
        response = post_signed(
            client,
            [
                event(),
                event(reference="SO-2", status="bogus"),
                event(occurred_at="yesterday"),
                event(reference="NOPE"),
            ],
        )
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "1.status": response.get_json()["error"]["fields"]["1.status"],
        "2.occurred_at": "is not an ISO 8601 datetime",
    }
    assert "bogus" in response.get_json()["error"]["fields"]["1.status"]
    assert received == [] and counts(db) == (0, 0)
    # Something only applying can find (the reference) rolls the whole list back.
    response = post_signed(client, [event(), event(reference="NOPE")])
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "1.reference": "no order with reference 'NOPE'"
    }
    db.session.rollback()
    assert counts(db) == (0, 0)


def test_a_good_list(care, db, client):
    make_order(care)
    make_order(care, "SO-2")
    db.session.commit()
    items = [
        event(status="info_received", occurred_at="2026-03-02T08:00:00Z"),
        event(status="in_transit", occurred_at="2026-03-02T09:00:00Z"),
        event(
            reference="SO-2",
            carrier="ups",
            tracking_number="1Z",
            status="Delivered",
            occurred_at="2026-03-03T09:00:00Z",
        ),
        event(status="in_transit", occurred_at="2026-03-02T09:00:00Z"),
    ]
    response = post_signed(client, items)
    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == [
        "info_received",
        "in_transit",
        "delivered",
        "in_transit",
    ]
    assert [r["duplicate"] for r in results] == [False, False, False, True]
    assert counts(db) == (2, 2 + 3)


def test_too_many_events_in_one_call(care, db, client):
    response = post_signed(client, [event()] * 101)
    assert response.status_code == 422


def test_webhook_and_order_endpoint_are_documented(client):
    document = client.get(f"{API}/openapi.json").get_json()
    webhook = document["paths"][WEBHOOK]["post"]
    assert webhook["security"] == [{"carrierSignature": []}]
    assert {"200", "401", "422"} <= set(webhook["responses"])
    scheme = document["components"]["securitySchemes"]["carrierSignature"]
    assert scheme["in"] == "header" and scheme["name"] == "Shopcare-Signature"
    order = document["paths"][f"{API}/orders/{{reference}}"]["get"]
    assert order["security"] == [{"apiKey": ["orders:read"]}, {"session": []}]
    assert order["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/OrderTracking"
    }
    assert {"Shipment", "TimelineEvent", "TrackingEventInput"} <= set(
        document["components"]["schemas"]
    )


def test_order_json_for_the_owner_and_for_a_key(care, db, client, api_key):
    make_order(care, user_id="ann")
    care.tracking.add_shipment("SO-1", carrier="dhl", tracking_number="JD1", lines={"MUG-1": 2})
    care.tracking.add_event("SO-1", "in_transit", location="Madrid")
    db.session.commit()
    assert client.get(f"{API}/orders/SO-1").status_code == 401
    reader = api_key("orders:read")
    by_key = client.get(f"{API}/orders/SO-1", headers=reader)
    assert by_key.status_code == 200
    data = by_key.get_json()
    assert data["reference"] == "SO-1" and data["status"] == "in_transit"
    [shipment] = data["shipments"]
    assert shipment["carrier_name"] == "DHL" and shipment["lines"] == [
        {"sku": "MUG-1", "quantity": 2}
    ]
    assert shipment["estimate"]["source"] == "carrier"
    assert shipment["tracking_url"].startswith("https://www.dhl.com/")
    assert [e["action"] for e in data["timeline"]] == [
        "order.recorded",
        "shipment.added",
        "shipment.in_transit",
    ]
    assert client.get(f"{API}/orders/NOPE", headers=reader).status_code == 404
    writer_only = api_key("orders:write")
    assert client.get(f"{API}/orders/SO-1", headers=writer_only).status_code == 403
    login(client, "ann")
    assert client.get(f"{API}/orders/SO-1").get_json()["reference"] == "SO-1"
    login(client, "bob")
    assert client.get(f"{API}/orders/SO-1").status_code == 404


def test_staff_see_any_order_in_the_api_as_on_the_page(care, db, client):
    """One access rule: staff get the order from the API as they get its page."""
    make_order(care, user_id="ann")
    db.session.commit()
    login(client, "sam")
    assert client.get("/care/tracking/orders/SO-1").status_code == 200
    response = client.get(f"{API}/orders/SO-1")
    assert response.status_code == 200 and response.get_json()["reference"] == "SO-1"
    assert client.get(f"{API}/orders/NOPE").status_code == 404
