"""Honest totals: shipping, discounts (per order and per line), tax and what was paid,
recorded in minor units, shown on the order page, and what each line actually cost."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from shopcare import ValidationError
from shopcare.orders.services import allocate
from tests.conftest import login
from tests.fixtures_api import API
from tests.test_api_errors import order_body

PLACED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
#: A real shop's order: $109.92 of goods, a line discount, a coupon, shipping and US
#: sales tax on top come to $120.14 (the lines alone would show $113.92).
LINES = [
    {"sku": "BOOT", "name": "Boots", "quantity": 2, "unit_price": "40.00", "discount": "4.00"},
    {"sku": "SOCK", "name": "Socks", "quantity": 1, "unit_price": "33.92"},
]


def record_real_order(care: Any, **extra: Any) -> Any:
    return care.orders.record(
        "US-1",
        "ann@example.com",
        PLACED,
        LINES,
        currency="USD",
        user_id="ann",
        shipping="9.95",
        discount=Decimal("10.00"),
        tax="10.27",
        paid="120.14",
        **extra,
    )


def test_shipping_discounts_tax_and_paid_make_the_total(care, db):
    order = record_real_order(care)
    db.session.commit()
    assert order.subtotal == Decimal("113.92")
    assert order.lines_discount == Decimal("4.00")
    assert order.discount == Decimal("10.00")
    assert order.shipping == Decimal("9.95")
    assert order.tax == Decimal("10.27") and not order.tax_included
    assert order.total == Decimal("120.14") == order.paid
    # Each line keeps what it actually cost: its net, less its share of the coupon,
    # plus its share of the tax; the shares add up exactly.
    assert [line.paid for line in order.lines] == [Decimal("76.19"), Decimal("34.00")]
    assert sum(line.paid for line in order.lines) + order.shipping == order.total


def test_tax_included_in_the_prices_is_not_added_again(care, db):
    order = care.orders.record(
        "EU-1",
        "ann@example.com",
        PLACED,
        [{"sku": "A", "name": "A", "quantity": 2, "unit_price": "12.10"}],
        tax="4.20",
        tax_included=True,
        shipping="3.95",
    )
    assert order.total == Decimal("28.15")
    assert order.lines[0].paid == Decimal("24.20")


def test_refund_basis_adds_up_to_what_was_paid(care, db):
    """PITFALLS: 3 x 10.00 reduced to 20.00 by the host: the line cost 20.00, not 30.00."""
    order = care.orders.record(
        "SO-3",
        "ann@example.com",
        PLACED,
        [{"sku": "A", "name": "A", "quantity": 3, "unit_price": "10.00"}],
        discount="10.00",
    )
    assert order.lines[0].paid == Decimal("20.00") == order.total


def test_allocate_shares_add_up_exactly():
    assert allocate(1000, [7600, 3392]) == [691, 309]
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(5, [0, 0]) == [3, 2]
    assert allocate(0, [10, 20]) == [0, 0]
    assert allocate(7, []) == []


def test_minor_units_follow_the_currency(care, db):
    order = care.orders.record(
        "JP-1",
        "ann@example.com",
        PLACED,
        [{"sku": "A", "name": "A", "quantity": 1, "unit_price": "1200"}],
        currency="JPY",
        shipping=500,
    )
    assert order.shipping_minor == 500 and order.total == Decimal("1700")
    with pytest.raises(ValidationError) as caught:
        care.orders.record(
            "JP-2",
            "ann@example.com",
            PLACED,
            [{"sku": "A", "name": "A", "quantity": 1, "unit_price": "1200"}],
            currency="JPY",
            shipping="5.50",
        )
    assert caught.value.fields == {"shipping": "has more than 0 decimals for JPY"}


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"shipping": 1.5}, "shipping", "give the amount as a Decimal or a numeric string"),
        ({"tax": "-1"}, "tax", "cannot be negative"),
        ({"paid": "abc"}, "paid", "is not a number"),
        ({"discount": "200.00"}, "discount", "is more than the order's lines"),
        ({"tax_included": "yes"}, "tax_included", "must be true or false"),
        ({"discount": "1.005"}, "discount", "has more than 2 decimals for EUR"),
    ],
)
def test_bad_amounts_are_refused_and_nothing_is_written(care, db, extra, field, message):
    with pytest.raises(ValidationError) as caught:
        care.orders.record("SO-9", "ann@example.com", PLACED, LINES, **extra)
    assert caught.value.fields == {field: message}
    assert care.orders.get("SO-9") is None


def test_a_line_discount_above_its_price_is_refused(care, db):
    lines = [{"sku": "A", "name": "A", "quantity": 1, "unit_price": "5.00", "discount": "5.01"}]
    with pytest.raises(ValidationError) as caught:
        care.orders.record("SO-9", "ann@example.com", PLACED, lines)
    assert caught.value.fields == {"lines[0].discount": "is more than the line's price"}


def test_the_order_page_shows_the_shops_totals(care, db, client):
    record_real_order(care)
    db.session.commit()
    login(client, "ann")
    html = client.get("/care/tracking/orders/US-1").get_data(as_text=True)
    assert "$120.14" in html and "$113.92" not in html.split("sc-totals")[0].split("</header>")[1]
    assert "data-order-total>$120.14<" in html
    for text in ("Discount", "Shipping", "$9.95", "Tax", "$10.27", "Discount $4.00"):
        assert text in html, text
    listing = client.get("/care/tracking/orders").get_data(as_text=True)
    assert "$120.14" in listing


def test_an_update_changes_the_totals_and_records_an_event(care, db):
    record_real_order(care)
    db.session.commit()
    order = record_real_order(care, tax_included=True)
    assert order.total == Decimal("109.87")


def test_the_api_accepts_and_returns_the_totals(client, api_key):
    body = order_body(
        lines=[
            {
                "sku": "MUG-1",
                "name": "Blue mug",
                "quantity": 2,
                "unit_price": "12.50",
                "discount": "2.50",
            }
        ],
        shipping="3.95",
        discount=1,
        tax="4.12",
        tax_included=True,
        paid="23.45",
    )
    response = client.post(f"{API}/orders", json=body, headers=api_key("orders:write"))
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert {key: data[key] for key in ("subtotal", "discount", "shipping", "tax", "total")} == {
        "subtotal": "25.00",
        "discount": "1.00",
        "shipping": "3.95",
        "tax": "4.12",
        "total": "25.45",
    }
    assert data["tax_included"] is True and data["paid"] == "23.45"
    assert data["lines"][0]["discount"] == "2.50" and data["lines"][0]["paid"] == "21.50"
    bad = client.post(
        f"{API}/orders", json={**body, "shipping": "-1"}, headers=api_key("orders:write")
    )
    assert bad.status_code == 422 and "shipping" in bad.get_json()["error"]["fields"]
