"""Quantile scores (``shopcare.insights.tiles``): by window functions, and on PostgreSQL
by their bounds, they are the tiles of the definition (in ascending order the first
``n mod 5`` tiles hold ``⌊n/5⌋ + 1`` positions, the others ``⌊n/5⌋``; rows of one value
all take the tile of the first of them) — for timestamps, counts and sums above 2³¹,
with thousands of ties or none, in populations from empty to a few hundred rows."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, insert, select

from shopcare.insights import tiles
from shopcare.insights.models import CustomerOrder


def ntile(rows: list[dict[str, Any]], value: str, parts: int = 5) -> dict:
    """The definition: each row's tile (by ``order_id``): ``NTILE``'s tile of the first
    position its value holds in ascending order."""
    ranked = sorted(row[value] for row in rows)
    n = len(ranked)
    size, extra = divmod(n, parts)
    tile_at, position = [], 0
    for part in range(1, parts + 1):
        tile_at += [part] * (size + (1 if part <= extra else 0))
    first = {}
    for position, seen in enumerate(ranked):
        first.setdefault(seen, tile_at[position])
    return {row["order_id"]: first[row[value]] for row in rows}


def facts(count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` rows: few distinct instants, counts and sums (many ties), sums beyond
    2³¹, a packed count (``gap``-free: ``orders · 2³¹ + order_id`` kept in ``paid``)."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for number in range(count):
        order_id = rng.randrange(1, 2**31 - 1)
        orders = rng.choice([1, 1, 1, 2, 2, 3, 7])
        rows.append(
            {
                "order_id": order_id,
                "customer": f"c{number}@example.com",
                "placed_at": start + timedelta(hours=rng.randrange(6)),
                "paid": orders * 2**31 + order_id,
                "orders": orders,
                "money": rng.choice([500, 500, 1200, 2**31 + 7, 2**40, 99]),
                "gap": None,
                "next_at": None,
            }
        )
    return list({row["order_id"]: row for row in rows}.values())  # an ID once


KEYS = [
    tiles.TileKey("r", "placed_at"),
    tiles.TileKey("f", "orders"),
    tiles.TileKey("m", "money"),
    tiles.TileKey("p", "paid"),  # unique: NTILE itself
    tiles.TileKey("m_big", "money", lambda c: c.money > 1000),
]


def methods(is_postgres: bool) -> list[str]:
    return ["window", "bounds"] if is_postgres else ["window"]


@pytest.mark.parametrize("count", [0, 1, 3, 4, 5, 6, 9, 11, 12, 57, 400])
def test_the_tiles_are_ntiles_of_the_definition(db: Any, is_postgres: bool, count: int) -> None:
    rows = facts(count, seed=count)
    if rows:
        db.session.execute(insert(CustomerOrder), rows)
    base = select(CustomerOrder).subquery("base")
    for method in methods(is_postgres):
        scored = tiles.scored(base, KEYS, ["order_id", "money"], method=method)
        got = db.session.execute(select(scored)).mappings().all()
        assert len(got) == len(rows)
        for key in KEYS:
            inside = [row for row in rows if key.name != "m_big" or row["money"] > 1000]
            expected = ntile(inside, key.value)
            found = {row["order_id"]: row[key.name] for row in got if row[key.name] is not None}
            assert found == expected, (method, key.name)
            outside = [row for row in got if key.name == "m_big" and row["money"] <= 1000]
            assert all(row[key.name] is None for row in outside)


def test_rows_level_on_a_value_share_the_lower_tile(db: Any, is_postgres: bool) -> None:
    """By hand: 23 rows, 20 of them level on one value. NTILE's tiles hold 5, 5, 5, 4
    and 4 positions; the 20 level rows would fill positions 1-20 (tiles 1 to 5) and
    take tile 1, the first's; the three above them, positions 21-23, tile 5. With one
    value for all 23 rows, every row is in tile 1; with 23 distinct values, 5-5-5-4-4."""

    def rows_of(moneys: list[int]) -> list[dict[str, Any]]:
        return [
            {
                "order_id": 1000 - number,
                "customer": f"c{number}@example.com",
                "placed_at": datetime(2026, 1, 1, tzinfo=UTC),
                "paid": 1,
                "orders": 1,
                "money": money,
                "gap": None,
                "next_at": None,
            }
            for number, money in enumerate(moneys)
        ]

    cases = [
        ([100] * 20 + [200, 300, 400], [20, 0, 0, 0, 3]),
        ([100] * 23, [23, 0, 0, 0, 0]),
        (list(range(23)), [5, 5, 5, 4, 4]),
    ]
    for moneys, sizes in cases:
        db.session.execute(delete(CustomerOrder))
        db.session.execute(insert(CustomerOrder), rows_of(moneys))
        base = select(CustomerOrder).subquery("base")
        for method in methods(is_postgres):
            scored = tiles.scored(base, [tiles.TileKey("m", "money")], ["order_id"], method=method)
            got = [tile for (tile,) in db.session.execute(select(scored.c.m)).all()]
            assert [got.count(part) for part in range(1, 6)] == sizes, (method, moneys[:3])
