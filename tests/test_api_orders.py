"""POST /care/api/v1/orders: the same rules as ``care.orders.record``, idempotent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient

from shopcare.core.api.models import ApiKey
from tests.fixtures_api import API
from tests.test_api_errors import assert_error, order_body

URL = f"{API}/orders"


def test_create_then_update_by_reference(client: FlaskClient, api_key: Any, care: Any) -> None:
    headers = api_key("orders:write")
    body = order_body(
        placed_at="2024-05-01T10:00:00+02:00",
        currency="eur",
        user_id=42,
        locale="es",
        email=" Ann@Example.COM ",
    )
    first = client.post(URL, json=body, headers=headers)
    assert first.status_code == 201, first.get_json()
    order = first.get_json()
    assert order["reference"] == "SO-1"
    assert order["email"] == "ann@example.com"
    assert order["currency"] == "EUR"
    assert order["user_id"] == "42"
    assert order["placed_at"] == "2024-05-01T08:00:00+00:00"
    assert order["delivered_at"] is None
    assert order["total"] == "29.90"
    assert [(line["sku"], line["unit_price"], line["total"]) for line in order["lines"]] == [
        ("MUG-1", "12.50", "25.00"),
        ("TEA-9", "4.90", "4.90"),
    ]

    body["lines"] = [{"sku": "MUG-1", "name": "Blue mug", "quantity": 3, "unit_price": 12.5}]
    body["delivered_at"] = "2024-05-03T09:30:00Z"
    again = client.post(URL, json=body, headers=headers)
    assert again.status_code == 200
    assert again.get_json()["total"] == "37.50"
    assert again.get_json()["delivered_at"] == "2024-05-03T09:30:00+00:00"

    stored = care.orders.get("SO-1")
    assert [(line.sku, line.quantity) for line in stored.lines] == [("MUG-1", 3)]
    assert stored.lines[0].unit_price == Decimal("12.50")

    # the very same body again changes nothing and is still a 200
    assert client.post(URL, json=body, headers=headers).status_code == 200


def test_json_numbers_are_read_exactly(client: FlaskClient, api_key: Any) -> None:
    headers = api_key()
    lines = [{"sku": "A", "name": "A", "quantity": 1, "unit_price": 0.1}]
    response = client.post(URL, json=order_body(lines=lines), headers=headers)
    assert response.status_code == 201
    assert response.get_json()["lines"][0]["unit_price"] == "0.10"
    # JPY has no decimals: 1500 is fine, 1500.5 is refused, never rounded
    lines = [{"sku": "A", "name": "A", "quantity": 1, "unit_price": 1500}]
    assert (
        client.post(
            URL, json=order_body(reference="J", currency="JPY", lines=lines), headers=headers
        ).status_code
        == 201
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reference": ""}, "reference"),
        ({"reference": "   "}, "reference"),
        ({"reference": "x" * 65}, "reference"),
        ({"email": "nobody"}, "email"),
        ({"placed_at": "2024-05-01T10:00:00"}, "placed_at"),
        ({"placed_at": "yesterday"}, "placed_at"),
        ({"placed_at": 1714550400}, "placed_at"),
        ({"delivered_at": "2024-05-01"}, "delivered_at"),
        ({"placed_at": "0001-01-01T00:00:00+14:00"}, "placed_at"),
        ({"delivered_at": "9999-12-31T23:59:59-14:00"}, "delivered_at"),
        ({"delivered_at": "2024-05-01T07:59:00Z"}, "delivered_at"),  # before placed_at
        ({"currency": "XXY"}, "currency"),
        ({"currency": "euro"}, "currency"),
        ({"lines": []}, "lines"),
        ({"lines": "MUG-1"}, "lines"),
        ({"unknown": 1}, "unknown"),
        (
            {"lines": [{"sku": "A", "name": "A", "quantity": 1, "unit_price": "1.005"}]},
            "lines[0].unit_price",
        ),
        (
            {"lines": [{"sku": "A", "name": "A", "quantity": 1, "unit_price": 1.005}]},
            "lines[0].unit_price",
        ),
        (
            {"lines": [{"sku": "A", "name": "A", "quantity": 1, "unit_price": -1}]},
            "lines[0].unit_price",
        ),
        (
            {"lines": [{"sku": "A", "name": "A", "quantity": 1, "unit_price": "abc"}]},
            "lines[0].unit_price",
        ),
        (
            {"lines": [{"sku": "A", "name": "A", "quantity": 1, "unit_price": True}]},
            "lines[0].unit_price",
        ),
        (
            {"lines": [{"sku": "A", "name": "A", "quantity": 0, "unit_price": 1}]},
            "lines[0].quantity",
        ),
        (
            {"lines": [{"sku": "A", "name": "A", "quantity": 1.0, "unit_price": 1}]},
            "lines[0].quantity",
        ),
        ({"lines": [{"sku": "A", "name": "A", "quantity": 1}]}, "lines[0].unit_price"),
        (
            {"lines": [{"sku": "A", "name": "A", "quantity": 1, "unit_price": 1, "x": 1}]},
            "lines[0].x",
        ),
        (
            {
                "lines": [
                    {"sku": "A", "name": "A", "quantity": 1, "unit_price": 1},
                    {"sku": "A", "name": "B", "quantity": 1, "unit_price": 1},
                ]
            },
            "lines[1].sku",
        ),
    ],
)
def test_bad_input_is_422_naming_the_field(
    client: FlaskClient, api_key: Any, care: Any, changes: dict[str, Any], field: str
) -> None:
    response = client.post(URL, json=order_body(**changes), headers=api_key())
    error = assert_error(response, 422, "validation_failed")
    assert field in error["fields"], error
    assert care.orders.get("SO-1") is None


@pytest.mark.parametrize("missing", ["reference", "email", "placed_at", "lines"])
def test_each_required_field_is_named(client: FlaskClient, api_key: Any, missing: str) -> None:
    body = order_body()
    del body[missing]
    error = assert_error(client.post(URL, json=body, headers=api_key()), 422, "validation_failed")
    assert error["fields"] == {missing: "is required"}


def test_a_revoked_key_is_refused_and_last_use_is_recorded(
    client: FlaskClient, api_key: Any, db: Any
) -> None:
    from shopcare.core.api import keys

    headers = api_key()
    row = db.session.scalars(db.select(ApiKey)).one()
    assert row.last_used_at is None
    assert client.post(URL, json=order_body(), headers=headers).status_code == 201
    db.session.refresh(row)
    assert row.last_used_at is not None
    keys.revoke(row.id)
    db.session.commit()
    assert_error(client.post(URL, json=order_body(), headers=headers), 401, "invalid_api_key")


def test_every_schema_problem_is_named_with_a_readable_message(
    client: FlaskClient, api_key: Any
) -> None:
    body = order_body(colour="red", size=3, currency=7)
    del body["email"]
    body["lines"] = [{"sku": "A", "name": "x" * 300, "quantity": "2", "unit_price": True}]
    error = assert_error(client.post(URL, json=body, headers=api_key()), 422, "validation_failed")
    assert error["fields"] == {
        "colour": "is not a known field",
        "size": "is not a known field",
        "email": "is required",
        "currency": "must be of type string",
        "lines[0].name": "at most 255 characters",
        "lines[0].quantity": "must be of type integer",
        "lines[0].unit_price": error["fields"]["lines[0].unit_price"],
    }
    assert "decimal string" in error["fields"]["lines[0].unit_price"]


def test_created_or_not_comes_from_the_service(
    client: FlaskClient, api_key: Any, care: Any, db: Any, signals_recorder: Any
) -> None:
    """``care.orders.upsert`` says whether the order is new; the API answers 201 or 200
    by it (and ``care.orders.record`` still returns the order alone)."""
    from shopcare.core.events import events_for
    from tests.conftest import now, sample_lines

    order, created = care.orders.upsert("SO-7", "ann@example.com", now(), sample_lines())
    assert created is True
    again, created = care.orders.upsert("SO-7", "ann@example.com", now(), sample_lines())
    assert (again, created) == (order, False)
    assert care.orders.record("SO-7", "ann@example.com", now(), sample_lines()) is order
    db.session.commit()

    headers = api_key("orders:write")
    with signals_recorder("order-recorded") as received:
        first = client.post(URL, json=order_body(reference="SO-8"), headers=headers)
        second = client.post(URL, json=order_body(reference="SO-8"), headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert [kwargs["created"] for _name, _sender, kwargs in received] == [True, False]
    stored = care.orders.get("SO-8")
    event = events_for("order", stored.id)[0]
    assert (event.action, event.actor_kind) == ("order.recorded", "api_key")
