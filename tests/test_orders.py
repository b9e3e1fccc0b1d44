from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from shopcare import ValidationError
from shopcare.core import signals
from shopcare.orders.models import Order, OrderLine
from tests.conftest import now, sample_lines


def test_record_creates_order_with_lines(care, db):
    order = care.orders.record("SO-1", "  Ann@Example.COM ", now(), sample_lines(), user_id=7)
    db.session.commit()
    assert order.email == "ann@example.com"
    assert order.user_id == "7"
    assert [line.sku for line in order.lines] == ["MUG-1", "TEA-9"]
    assert order.lines[0].unit_price == Decimal("12.50")
    assert order.total == Decimal("29.90")


def test_recording_again_updates_and_never_duplicates_lines(care, db):
    placed = now()
    care.orders.record("SO-1", "ann@example.com", placed, sample_lines())
    db.session.commit()
    first_line_id = care.orders.get("SO-1").lines[0].id
    lines = sample_lines()
    lines[0]["quantity"] = 5
    del lines[1]
    lines.append({"sku": "CUP-3", "name": "Cup", "quantity": 1, "unit_price": 3})
    delivered = now()
    care.orders.record("SO-1", "ann@example.com", placed, lines, delivered_at=delivered)
    care.orders.record("SO-1", "ann@example.com", placed, lines, delivered_at=delivered)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    rows = db.session.execute(select(OrderLine.sku, OrderLine.quantity, OrderLine.id)).all()
    assert sorted((sku, qty) for sku, qty, _ in rows) == [("CUP-3", 1), ("MUG-1", 5)]
    assert first_line_id in {row.id for row in rows}  # updated in place, not replaced
    assert care.orders.get("SO-1").delivered_at == delivered.replace(
        microsecond=delivered.microsecond
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reference": "  "}, "reference"),
        ({"reference": "x" * 65}, "reference"),
        ({"email": "not-an-email"}, "email"),
        ({"email": None}, "email"),
        ({"placed_at": "2026-01-01"}, "placed_at"),
        ({"placed_at": datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))}, "placed_at"),
        ({"delivered_at": "2026-01-02"}, "delivered_at"),
        ({"delivered_at": now() - timedelta(days=1)}, "delivered_at"),  # before it was placed
        ({"currency": "XYZ"}, "currency"),
        ({"lines": []}, "lines"),
        ({"lines": "MUG"}, "lines"),
        (
            {"lines": [{"sku": "A", "name": "A", "quantity": 0, "unit_price": "1"}]},
            "lines[0].quantity",
        ),
        (
            {"lines": [{"sku": "A", "name": "A", "quantity": True, "unit_price": "1"}]},
            "lines[0].quantity",
        ),
        (
            {"lines": [{"sku": "A", "name": "A", "quantity": 1, "unit_price": "-1"}]},
            "lines[0].unit_price",
        ),
        (
            {"lines": [{"sku": "A", "name": "A", "quantity": 1, "unit_price": "abc"}]},
            "lines[0].unit_price",
        ),
        (
            {"lines": [{"sku": "A", "name": "A", "quantity": 1, "unit_price": 1.5}]},
            "lines[0].unit_price",
        ),
        (
            {"lines": [{"sku": "A", "name": "A", "quantity": 1, "unit_price": "1.001"}]},
            "lines[0].unit_price",
        ),
        ({"lines": [{"sku": "", "name": "A", "quantity": 1, "unit_price": "1"}]}, "lines[0].sku"),
        ({"lines": [{"sku": "A", "name": " ", "quantity": 1, "unit_price": "1"}]}, "lines[0].name"),
        (
            {"lines": [{"sku": "A", "name": "A", "quantity": 1, "unit_price": "1"}] * 2},
            "lines[1].sku",
        ),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(care, db, change, field):
    arguments = {
        "reference": "SO-9",
        "email": "ann@example.com",
        "placed_at": now(),
        "lines": sample_lines(),
    }
    extra = {}
    if "delivered_at" in change:
        extra["delivered_at"] = change.pop("delivered_at")
    arguments.update(change)
    with pytest.raises(ValidationError) as caught:
        care.orders.record(**arguments, **extra)
    assert caught.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    assert db.session.scalar(select(func.count()).select_from(OrderLine)) == 0


def test_currency_precision_and_codes(care, db):
    order = care.orders.record(
        "JP-1",
        "a@example.com",
        now(),
        [{"sku": "A", "name": "A", "quantity": 1, "unit_price": 500}],
        currency="jpy",
    )
    assert order.currency == "JPY"
    assert order.total == Decimal(500)
    with pytest.raises(ValidationError):
        care.orders.record(
            "JP-2",
            "a@example.com",
            now(),
            [{"sku": "A", "name": "A", "quantity": 1, "unit_price": "5.5"}],
            currency="JPY",
        )


def test_get_and_for_user(care, db):
    base = datetime(2026, 3, 1, tzinfo=UTC)
    for index in range(3):
        care.orders.record(
            f"U-{index}",
            "ann@example.com",
            base + timedelta(days=index),
            sample_lines(),
            user_id="ann",
        )
    care.orders.record("B-1", "bob@example.com", base, sample_lines(), user_id="bob")
    db.session.commit()
    assert [o.reference for o in care.orders.for_user("ann")] == ["U-2", "U-1", "U-0"]
    assert care.orders.get("nope") is None
    assert care.orders.get(" U-1 ").reference == "U-1"


def test_record_sends_order_recorded(app, care, db):
    seen = []

    def receiver(sender, **kwargs):
        seen.append((sender, kwargs["order"].reference, kwargs["created"]))

    with signals.order_recorded.connected_to(receiver, app):
        care.orders.record("S-1", "ann@example.com", now(), sample_lines())
        care.orders.record("S-1", "ann@example.com", now(), sample_lines())
    assert seen == [(app, "S-1", True), (app, "S-1", False)]


def test_rollback_leaves_no_order(care, db):
    """A recorded order is part of the caller's transaction: a rollback removes it."""
    care.orders.get("R-1")  # a SELECT first, as a host's checkout would do
    care.orders.record("R-1", "ann@example.com", now(), sample_lines())
    db.session.rollback()
    assert care.orders.get("R-1") is None
    assert db.session.scalar(select(func.count()).select_from(OrderLine)) == 0


@pytest.mark.parametrize(
    ("field", "reference", "email", "name"),
    [
        ("reference", "SO-\ud800", "ann@example.com", "Mug"),
        ("lines[0].name", "SO-1", "ann@example.com", "Mug \udc00"),
    ],
)
def test_a_lone_surrogate_is_a_validation_error(care, db, field, reference, email, name):
    # it was a UnicodeEncodeError, which the README's checkout recipe does not catch
    lines = [{"sku": "MUG-1", "name": name, "quantity": 1, "unit_price": "1.00"}]
    with pytest.raises(ValidationError) as raised:
        care.orders.record(reference, email, now(), lines)
    assert field in raised.value.fields
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0
