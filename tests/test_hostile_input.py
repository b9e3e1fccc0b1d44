"""Nonsense a visitor can type into a URL or a form gets a clean answer on both
databases (PostgreSQL refuses NUL characters in text, SQLite does not)."""

from __future__ import annotations

import pytest

from tests.conftest import login, now, sample_lines

NASTY = ["%00", "CV-1%00x", "x" * 3000, "%27%22%3B--", "%F0%9F%93%A6"]


@pytest.fixture
def order(care, db):
    placed = care.orders.record("SO-1", "ann@example.com", now(), sample_lines(), user_id="ann")
    db.session.commit()
    return placed


@pytest.mark.parametrize("reference", NASTY)
def test_order_urls(client, order, reference):
    login(client, "ann")
    assert client.get(f"/care/tracking/orders/{reference}").status_code == 404
    assert client.get(f"/care/api/v1/orders/{reference}").status_code == 404


@pytest.mark.parametrize(
    "fields",
    [
        {"reference": "SO-1\x00", "email": "ann@example.com"},
        {"reference": "SO-1", "email": "ann\x00@example.com"},
        {"reference": "\x00", "email": "\x00"},
        {"reference": "x" * 3000, "email": "y" * 3000},
    ],
)
def test_guest_lookup_form(app, client, order, fields):
    app.config["WTF_CSRF_ENABLED"] = False
    response = client.post("/care/tracking/", data=fields)
    assert response.status_code == 200
    assert "/care/tracking/orders/SO-1" not in (response.location or "")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reference": "SO-\x002"}, "reference"),
        (
            {"lines": [{"sku": "A\x00", "name": "A", "quantity": 1, "unit_price": "1"}]},
            "lines[0].sku",
        ),
        (
            {"lines": [{"sku": "A", "name": "Mug\x00", "quantity": 1, "unit_price": "1"}]},
            "lines[0].name",
        ),
    ],
)
def test_api_refuses_control_characters_by_field(client, api_key, change, field):
    body = {
        "reference": "SO-2",
        "email": "ann@example.com",
        "placed_at": "2026-03-01T10:00:00+01:00",
        "lines": [{"sku": "A", "name": "A", "quantity": 1, "unit_price": "1"}],
        **change,
    }
    response = client.post("/care/api/v1/orders", json=body, headers=api_key("orders:write"))
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_services_refuse_control_characters(care):
    from shopcare import ValidationError

    with pytest.raises(ValidationError) as caught:
        care.orders.record(
            "SO-3", "ann@example.com", now(), [{**sample_lines()[0], "name": "a\x07b"}]
        )
    assert caught.value.field == "lines[0].name"
    assert care.orders.get("SO-\x00") is None
