"""``flask shopcare orders import``: back-filling past orders from JSON lines or CSV,
idempotently, with the refused rows named by line and field."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import func, select

from shopcare.core.events import Event
from shopcare.orders.models import Order, OrderLine

JSONL = [
    {
        "reference": "OLD-1",
        "email": "ann@example.com",
        "placed_at": "2025-01-02T10:00:00+01:00",
        "lines": [{"sku": "MUG-1", "name": "Blue mug", "quantity": 2, "unit_price": 12.50}],
    },
    {
        "reference": "OLD-2",
        "email": "bob@example.com",
        "placed_at": "2025-01-03 09:30:00",  # naive: read as UTC
        "delivered_at": "2025-01-06T12:00:00Z",
        "currency": "JPY",
        "user_id": 42,
        "locale": "es",
        "lines": [
            {"sku": "TEA-9", "name": "Green tea", "quantity": 1, "unit_price": 1200},
            {"sku": "POT-2", "name": "Teapot", "quantity": 1, "unit_price": 4500},
        ],
    },
    "{not json",
    {
        "reference": "OLD-3",
        "email": "not-an-email",
        "placed_at": "2025-01-04T10:00:00Z",
        "lines": [{"sku": "A", "name": "A", "quantity": 1, "unit_price": "1"}],
    },
    {
        "reference": "OLD-4",
        "email": "cy@example.com",
        "placed_at": "2025-01-04T10:00:00Z",
        "lines": [
            {"sku": "A", "name": "A", "quantity": 1, "unit_price": "1"},
            {"sku": "B", "name": "B", "quantity": 0, "unit_price": "1"},
        ],
    },
    {"reference": "OLD-5", "email": "d@example.com", "placed_at": "yesterday", "lines": []},
    {"reference": "OLD-6", "emial": "e@example.com"},
]

CSV = """\ufeffreference,email,placed_at,currency,sku,name,quantity,unit_price,category
C-1,ann@example.com,2025-02-01T10:00:00+01:00,EUR,MUG-1,Blue mug,2,12.50,kitchen
C-2,bob@example.com,2025-02-02T11:00:00Z,EUR,TEA-9,Green tea,1,4.90,
C-1,ann@example.com,2025-02-01T10:00:00+01:00,EUR,CUP-3,"Cup, large",1,3.00,kitchen
C-3,cy@example.com,2025-02-03T11:00:00Z,EUR,A,A,two,1.00,
C-4,dee@example.com,2025-02-03T11:00:00Z,EUR,A,A,1,1.00,
C-4,someone@example.com,2025-02-03T11:00:00Z,EUR,B,B,1,1.00,
C-5,eve@example.com,2025-02-04T11:00:00Z,EUR,A,A,1,1.001,
"""


def write_jsonl(path: Path) -> Path:
    path.write_text(
        "\n".join(row if isinstance(row, str) else json.dumps(row) for row in JSONL) + "\n\n"
    )
    return path


def run(app, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=["shopcare", "orders", "import", *args])


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_json_lines(app, db, care, tmp_path):
    result = run(app, str(write_jsonl(tmp_path / "orders.jsonl")))
    assert result.exit_code == 1, result.output  # rows were refused
    assert "Recording 4 orders" in result.output
    assert "2 orders recorded from orders.jsonl: 2 new, 0 already known" in result.output
    refused = result.output.split("row(s) refused:", 1)[1].strip().splitlines()
    assert [line.split(":")[0].strip() for line in refused] == [
        "line 3",
        "line 4",
        "line 5",
        "line 6",
        "line 7",
    ]
    assert "line 3: json: not valid JSON" in result.output
    assert "line 4: email:" in result.output
    assert "line 5: lines[1].quantity: must be a whole number" in result.output
    assert "line 6: placed_at: 'yesterday' is not an ISO 8601" in result.output
    assert "line 7: emial: unknown field" in result.output

    first, second = care.orders.get("OLD-1"), care.orders.get("OLD-2")
    assert first.lines[0].unit_price == Decimal("12.50")
    assert first.placed_at == datetime(2025, 1, 2, 9, 0, tzinfo=UTC)
    assert second.placed_at == datetime(2025, 1, 3, 9, 30, tzinfo=UTC)
    assert second.currency == "JPY" and second.total == 5700 and second.user_id == "42"
    assert second.delivered_at == datetime(2025, 1, 6, 12, tzinfo=UTC) and second.locale == "es"
    assert care.orders.get("OLD-4") is None  # a refused order writes nothing


def test_importing_again_changes_nothing(app, db, care, tmp_path):
    path = write_jsonl(tmp_path / "orders.jsonl")
    run(app, str(path))
    db.session.expire_all()
    before = (count(db, Order), count(db, OrderLine), count(db, Event))
    result = run(app, str(path))
    assert "2 orders recorded from orders.jsonl: 0 new, 2 already known" in result.output
    db.session.expire_all()
    assert (count(db, Order), count(db, OrderLine), count(db, Event)) == before == (2, 3, 2)


def test_csv(app, db, care, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(CSV, encoding="utf-8")
    result = run(app, str(path))
    assert result.exit_code == 1, result.output
    assert "2 orders recorded from export.csv: 2 new" in result.output
    assert "line 5: quantity: must be a whole number of at least 1" in result.output
    assert "line 7: email: differs from line 6 of the same order" in result.output
    assert "line 8: unit_price: has more than 2 decimals for EUR" in result.output
    order = care.orders.get("C-1")  # its rows were apart in the file
    assert [(line.sku, line.name, line.quantity) for line in order.lines] == [
        ("MUG-1", "Blue mug", 2),
        ("CUP-3", "Cup, large", 1),
    ]
    assert order.lines[0].category == "kitchen" and order.total == Decimal("28.00")
    assert care.orders.get("C-2").lines[0].category is None
    assert care.orders.get("C-4") is None

    again = run(app, str(path))
    assert "0 new, 2 already known" in again.output
    db.session.expire_all()
    assert count(db, Order) == 2 and count(db, OrderLine) == 3


def test_all_good_exits_zero_and_format_can_be_given(app, care, tmp_path):
    path = tmp_path / "orders.txt"
    path.write_text(json.dumps(JSONL[0]) + "\n")
    assert "--format" in run(app, str(path)).output  # cannot tell from the extension
    result = run(app, "--format", "jsonl", str(path))
    assert result.exit_code == 0, result.output
    assert "refused" not in result.output and care.orders.get("OLD-1") is not None


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("reference,email,placed_at,sku,name,quantity", "missing column(s): unit_price"),
        (
            "reference,email,placed_at,sku,name,quantity,unit_price,colour",
            "unknown column(s): colour",
        ),
    ],
)
def test_a_csv_header_it_cannot_read_is_refused_whole(app, tmp_path, header, message):
    path = tmp_path / "orders.csv"
    path.write_text(header + "\n")
    result = run(app, str(path))
    assert result.exit_code == 2 and message in result.output


def test_a_lone_surrogate_refuses_its_line_not_the_whole_import(app, care, tmp_path):
    # json.loads accepts "\ud800"; it used to stop the import at that order (UnicodeEncodeError)
    good = {
        "reference": "OK-1",
        "email": "ann@example.com",
        "placed_at": "2025-01-02T09:00:00Z",
        "lines": [{"sku": "A", "name": "A", "quantity": 1, "unit_price": "1.00"}],
    }
    bad = json.dumps({**good, "reference": "BAD-1"}).replace("BAD-1", "BAD-\\ud800")
    path = tmp_path / "orders.jsonl"
    path.write_text(bad + "\n" + json.dumps(good) + "\n", encoding="utf-8")
    result = run(app, str(path))
    assert result.exit_code == 1, result.output
    assert "line 1: json: a string holds a lone surrogate" in result.output
    assert "1 orders recorded" in result.output
    assert care.orders.get("OK-1") is not None
