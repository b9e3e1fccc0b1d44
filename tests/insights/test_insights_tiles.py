"""Quantile scores (``shopcare.insights.tiles``): ``NTILE`` by window functions, and on
PostgreSQL by their bounds, give the tiles of the definition (in ``(value, tie)`` order
the first ``n mod 5`` tiles hold ``⌊n/5⌋ + 1`` rows, the others ``⌊n/5⌋``) — for
timestamps, counts and sums above 2³¹, with thousands of ties or none, in populations
from empty to a few hundred rows, and for packed (unique) values without a tie-breaker."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from shopcare.insights import tiles
from shopcare.insights.models import CustomerOrder


def ntile(rows: list[dict[str, Any]], key: tuple[str, str | None], parts: int = 5) -> dict:
    """The definition: each row's tile (by ``order_id``) in ``(value, tie)`` order."""
    value, tie = key
    ranked = sorted(rows, key=lambda row: (row[value], row[tie] if tie else 0))
    n = len(ranked)
    size, extra = divmod(n, parts)
    found, position = {}, 0
    for part in range(1, parts + 1):
        for _ in range(size + (1 if part <= extra else 0)):
            found[ranked[position]["order_id"]] = part
            position += 1
    return found


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
    tiles.TileKey("r", "placed_at", "order_id"),
    tiles.TileKey("f", "orders", "order_id"),
    tiles.TileKey("m", "money", "order_id"),
    tiles.TileKey("p", "paid", None),  # packed: unique by itself
    tiles.TileKey("m_big", "money", "order_id", lambda c: c.money > 1000),
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
            expected = ntile(inside, (key.value, key.tie))
            found = {row["order_id"]: row[key.name] for row in got if row[key.name] is not None}
            assert found == expected, (method, key.name)
            outside = [row for row in got if key.name == "m_big" and row["money"] <= 1000]
            assert all(row[key.name] is None for row in outside)


def test_every_row_level_with_every_bound(db: Any, is_postgres: bool) -> None:
    """One value for all 23 rows: every bound falls inside one group of ties, so the
    tie-breaker alone cuts the tiles (5, 5, 5, 4, 4 rows)."""
    rows = [
        {
            "order_id": 1000 - number,
            "customer": f"c{number}@example.com",
            "placed_at": datetime(2026, 1, 1, tzinfo=UTC),
            "paid": 1,
            "orders": 1,
            "money": 100,
            "gap": None,
            "next_at": None,
        }
        for number in range(23)
    ]
    db.session.execute(insert(CustomerOrder), rows)
    base = select(CustomerOrder).subquery("base")
    for method in methods(is_postgres):
        scored = tiles.scored(base, KEYS[:3], ["order_id"], method=method)
        got = dict(db.session.execute(select(scored.c.order_id, scored.c.m)).all())
        by_tile = [sorted(o for o, t in got.items() if t == part) for part in range(1, 6)]
        assert [len(group) for group in by_tile] == [5, 5, 5, 4, 4], method
        assert by_tile[0] == list(range(978, 983)) and by_tile[4] == list(range(997, 1001))
