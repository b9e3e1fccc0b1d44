"""What shopcare accepts, it can use: a reference it takes is reachable by every link,
page and API call; an address it takes can be mailed; a shop domain of any script
makes valid Message-IDs; every number is bounded and refused with ValidationError;
a correctly signed webhook with a malformed timestamp is a 400."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from flask import url_for

from shopcare import ValidationError
from shopcare.core.api import keys
from shopcare.core.api.openapi import document
from shopcare.core.outbox import enqueue_mail, get_item, list_items, retry
from shopcare.core.outbox.mail import message_id
from shopcare.core.outbox.worker import work
from tests.conftest import login, now, sample_lines
from tests.fixtures_api import API
from tests.tracking.helpers import SECRET, T0, make_order

SPECIAL = [
    "SO?1",
    "SO#1",
    "SO%1",
    "SO%2F1",
    "SO&1=2",
    "SO+1",
    "SO 1;x",
    "SO:1@x",
    "SO\\1",
    "SO'\"1",
    "SO<1>",
    "PEDIDO-ñ-1",
    "#1001",
]


@pytest.fixture
def app_config(smtp_server) -> dict[str, Any]:
    return {
        **smtp_server.config,
        "SHOPCARE_EXTERNAL_URL": "https://shop.example",
        "SHOPCARE_WEBHOOK_SECRET": SECRET,
    }


@pytest.mark.parametrize("reference", SPECIAL)
def test_a_reference_with_url_special_characters_works_end_to_end(
    app, care, db, client, api_key, reference
):
    care.orders.record(reference, "ann@example.com", now(), sample_lines(), user_id="ann")
    db.session.commit()
    with app.test_request_context():
        page = url_for("shopcare.tracking.order", reference=reference)
        api = url_for("shopcare.api.tracking_order", reference=reference)
    login(client, "ann")
    assert client.get(page).status_code == 200
    assert client.get(api, headers=api_key("orders:read")).get_json()["reference"] == reference
    client.post("/logout")
    # the guest look-up's redirect, and the link a status e-mail carries
    from tests.tracking.helpers import csrf_token

    token = csrf_token(client, "/care/tracking/")
    found = client.post(
        "/care/tracking/",
        data={"reference": reference, "email": "ann@example.com", "csrf_token": token},
    )
    assert found.status_code == 302
    assert client.get(found.headers["Location"]).status_code == 200


@pytest.mark.parametrize("reference", ["SO/1", "../etc", ".", ".."])
def test_a_reference_no_address_can_carry_is_refused_when_it_comes_in(
    care, client, api_key, reference
):
    with pytest.raises(ValidationError) as caught:
        care.orders.record(reference, "ann@example.com", now(), sample_lines())
    assert caught.value.field == "reference"
    body = {
        "reference": reference,
        "email": "ann@example.com",
        "placed_at": now().isoformat(),
        "lines": sample_lines(),
    }
    response = client.post(f"{API}/orders", json=body, headers=api_key("orders:write"))
    assert response.status_code == 422
    assert "web address" in response.get_json()["error"]["fields"]["reference"]


def test_a_non_ascii_local_part_is_refused_when_it_comes_in(care, client, api_key):
    with pytest.raises(ValidationError) as caught:
        care.orders.record("SO-1", "ñoño@example.com", now(), sample_lines())
    assert caught.value.field == "email" and "before the @-sign" in caught.value.fields["email"]
    with pytest.raises(ValidationError):
        enqueue_mail("josé@example.com", "test", {}, dedupe_key="x")
    body = {
        "reference": "SO-1",
        "email": "ñoño@example.com",
        "placed_at": now().isoformat(),
        "lines": sample_lines(),
    }
    response = client.post(f"{API}/orders", json=body, headers=api_key("orders:write"))
    assert response.status_code == 422 and "email" in response.get_json()["error"]["fields"]


def test_a_non_ascii_domain_is_mailed_as_idna(care, db, smtp_server):
    order = make_order(care, email="Ann@Bücher.example")
    assert order.email == "ann@bücher.example"
    care.tracking.add_event("SO-1", "delivered", occurred_at=T0, carrier="dhl", tracking_number="A")
    db.session.commit()
    work()
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "ann@xn--bcher-kva.example"
    assert [item.status for item in list_items()] == ["done"]


def test_a_shop_domain_in_any_script_makes_a_valid_message_id(app, care, db, smtp_server):
    app.config["SHOPCARE_EXTERNAL_URL"] = "https://tienda-ñandú.example"
    app.config["SHOPCARE_MAIL_SENDER"] = "Tienda Ñandú <care@tienda-ñandú.example>"
    make_order(care)
    care.tracking.add_event("SO-1", "delivered", occurred_at=T0, carrier="dhl", tracking_number="A")
    db.session.commit()
    work()
    [message] = smtp_server.wait_for(1)
    [item] = list_items()
    assert item.status == "done", item.last_error
    assert message["Message-ID"] == message_id(item.dedupe_key)
    assert message["Message-ID"].isascii()
    assert message["Message-ID"].endswith("@xn--tienda-and-z9a5i.example>")
    assert "xn--tienda-and-z9a5i.example" in message["From"]


def test_every_number_the_api_accepts_is_bounded(client):
    """Every integer or number in a request body or parameter of the OpenAPI document
    has a minimum and a maximum (the JSON Schema refuses the rest with a 422)."""
    doc = document()
    unbounded: list[str] = []

    def walk(schema: Any, where: str) -> None:
        if isinstance(schema, dict):
            if "$ref" in schema:
                walk(doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]], where)
            types = schema.get("type")
            types = types if isinstance(types, list) else [types]
            if {"integer", "number"} & set(types) and not {"minimum", "maximum"} <= set(schema):
                unbounded.append(where)
            for key, value in schema.items():
                if key != "$ref":
                    walk(value, f"{where}.{key}")
        elif isinstance(schema, list):
            for index, value in enumerate(schema):
                walk(value, f"{where}[{index}]")

    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            walk(body.get("schema"), f"{method} {path} body")
            for parameter in operation.get("parameters", []):
                walk(parameter.get("schema"), f"{method} {path} {parameter['name']}")
    assert unbounded == []


def test_a_webhook_shipment_id_out_of_range_is_a_422(care, db, client):
    make_order(care)
    db.session.commit()
    body = json.dumps(
        {
            "reference": "SO-1",
            "status": "in_transit",
            "occurred_at": "2026-03-02T10:00:00Z",
            "shipment_id": 2**40,
        }
    ).encode()
    response = client.post(
        f"{API}/tracking/events", data=body,
        headers={"Content-Type": "application/json", "Shopcare-Signature": sign(body, str(int(time.time())))},
    )  # fmt: skip
    assert response.status_code == 422 and "shipment_id" in response.get_json()["error"]["fields"]


BAD_NUMBERS = [2**70, -1, 0, True, "7", 1.5]


@pytest.mark.parametrize("bad", BAD_NUMBERS)
def test_every_number_the_python_api_accepts_is_bounded(care, db, bad):
    calls = {
        "tracking.get": lambda: care.tracking.get(bad),
        "orders_for_user page": lambda: care.tracking.orders_for_user("ann", bad),
        "orders_for_user per_page": lambda: care.tracking.orders_for_user("ann", 1, bad),
        "late_shipments page": lambda: care.tracking.late_shipments(bad),
        "late_shipments per_page": lambda: care.tracking.late_shipments(1, bad),
        "flag_late batch": lambda: care.tracking.flag_late(batch=bad),
        "outbox.get_item": lambda: get_item(bad),
        "outbox.retry": lambda: retry(bad),
        "outbox.list_items limit": lambda: list_items(limit=bad),
        "outbox.list_items offset": lambda: list_items(offset=bad if bad != 0 else -5),
        "orders quantity": lambda: care.orders.record(
            "SO-N", "ann@example.com", now(), [{**sample_lines()[0], "quantity": bad}]
        ),
    }
    for name, call in calls.items():
        with pytest.raises(ValidationError):
            call()
        db.session.rollback()
        assert name


@pytest.mark.parametrize("bad", ["99999999999999999999999", "2147483648", "0", "²"])
def test_api_key_ids_out_of_range_are_refused(db, bad):
    from shopcare.core.errors import NotFound

    with pytest.raises((ValidationError, NotFound)):
        keys.revoke(bad)


def test_a_huge_outbox_id_in_a_staff_url_is_a_404(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    login(client, "sam")
    assert client.post(f"/care/staff/outbox/{2**70}/retry").status_code == 404


def sign(body: bytes, stamp: str) -> str:
    digest = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


@pytest.mark.parametrize("stamp", ["²", "9" * 400, "9" * 5000, "12e3", "-17"])
def test_a_signed_webhook_with_a_malformed_timestamp_is_a_400(care, db, client, stamp):
    make_order(care)
    db.session.commit()
    body = json.dumps(
        {"reference": "SO-1", "status": "in_transit", "occurred_at": "2026-03-02T10:00:00Z"}
    ).encode()
    headers = {"Content-Type": "application/json"}
    signed = client.post(
        f"{API}/tracking/events",
        data=body,
        headers={**headers, "Shopcare-Signature": sign(body, stamp)},
    )
    assert signed.status_code == 400, signed.get_data(as_text=True)
    assert signed.get_json()["error"]["code"] == "bad_request"
    forged = sign(body, stamp).replace("v1=", "v1=0")
    unsigned = client.post(
        f"{API}/tracking/events", data=body, headers={**headers, "Shopcare-Signature": forged}
    )
    assert unsigned.status_code == 401
