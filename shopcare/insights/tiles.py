"""Quantile scores for several keys of one row set, computed the cheap way the database
allows: each row's tile is the tile ``NTILE`` gives the *first* row of its value.

``NTILE(t) OVER (ORDER BY value)`` alone would split rows of equal value between tiles
by whatever order the sort leaves them in, and any tie-breaker does it by something
else than the value: two customers with one order each, or the same spend, would get
different scores (a tie-breaker by order ID put every recent first-time buyer above the
lowest frequency score, so none could be "new"). Here equal values share the tile of the
first of them, the lowest: in ascending order the first ``n mod t`` tiles get
``⌊n/t⌋ + 1`` positions and the rest ``⌊n/t⌋`` (PostgreSQL's and SQLite's ``ntile``), so
position ``i`` (from 1) is in tile ``1 + #{k < t : i > P_k}``, where
``P_k = k·⌊n/t⌋ + min(k, n mod t)`` is the last position of tile ``k``; a row whose value
has ``c`` smaller values in the population takes the tile of position ``c + 1``:
``1 + #{k < t : c ≥ P_k}`` = ``1 + #{k < t : value > v_k}``, with ``v_k`` the value at
position ``P_k``. With no ties this is ``NTILE`` itself.

On SQLite each key is a ``RANK()`` window (``c + 1``) and a count of its population. On
PostgreSQL that costs a tuple sort of every row per key (the RFM segments have six keys
over tens of thousands of customers), so there the tiles are found from their bounds
instead, in one statement:

1. ``n`` per population, and ``P_k`` with it;
2. per key, the value at each ``P_k``: ``percentile_disc((P_k - ½)/n)`` ("the first value
   whose position in the ordering equals or exceeds the fraction", i.e. position ``P_k``):
   a sort of that one column, not of the rows;
3. a row's tile is 1 plus the bounds its value lies above, found by halving: two or
   three comparisons a row.

Both give the same tiles (``tests/insights/test_insights_tiles.py`` compares them with
the definition on PostgreSQL over rows with many ties). Values must not be ``NULL``
within the population; rows outside a key's population get ``NULL``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, case, cast, func, literal, select, true, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.sql.elements import ColumnElement

from shopcare.insights.sql import dialect

#: A population: which rows of the base a key ranks (``None``: all of them).
Population = Callable[[Any], ColumnElement[bool]] | None


@dataclass(frozen=True)
class TileKey:
    """One score: ``name`` the output column, ``value`` the base's column it orders by,
    ``population`` a function of the base's columns (``base.c``) choosing the rows
    ranked."""

    name: str
    value: str
    population: Population = None


def scored(
    base: Any,
    keys: Sequence[TileKey],
    carry: Sequence[str],
    *,
    tiles: int = 5,
    name: str = "scored",
    method: str | None = None,
) -> Any:
    """A subquery of ``base``'s ``carry`` columns and one tile (``1`` … ``tiles``, ``NULL``
    outside the key's population) per key, named by the keys.

    :param base: a subquery or CTE; with the bounds it is read four times, so pass a
        ``MATERIALIZED`` CTE when it is costly to compute.
    :param method: ``"window"`` or ``"bounds"`` (PostgreSQL only); by default the
        bounds on PostgreSQL, the window functions elsewhere.
    """
    if method is None:
        method = "bounds" if dialect() == "postgresql" else "window"
    if method == "bounds":
        # OFFSET 0 keeps PostgreSQL from pulling the subquery up into the caller's, which
        # would copy each tile's comparisons into every expression that reads the tile
        return _from_bounds(base, keys, carry, tiles).offset(0).subquery(name)
    c = base.c
    ranked = []
    for key in keys:
        inside = key.population(c) if key.population else None
        part = None if inside is None else case((inside, 1), else_=0)
        ranked += [
            func.rank().over(partition_by=part, order_by=c[key.value]).label(f"r_{key.name}"),
            func.count().over(partition_by=part).label(f"n_{key.name}"),
        ]
    windows = select(*(c[column] for column in carry), *ranked).select_from(base)
    if any(key.population for key in keys):
        windows = windows.add_columns(
            *(
                (key.population(c) if key.population else true()).label(f"in_{key.name}")
                for key in keys
            )
        )
    w = windows.subquery("tile_ranks")
    columns = []
    for key in keys:
        rank, n = w.c[f"r_{key.name}"], w.c[f"n_{key.name}"]
        beyond = [case((rank > _last(k, n, tiles), 1), else_=0) for k in range(1, tiles)]
        tile = literal(1) + sum(beyond[1:], beyond[0]) if beyond else literal(1)
        if key.population:
            tile = case((w.c[f"in_{key.name}"], tile), else_=None)
        columns.append(tile.label(key.name))
    return select(*(w.c[column] for column in carry), *columns).subquery(name)


def _last(k: int, n: Any, tiles: int) -> Any:
    """``P_k``, the last position of tile ``k`` among ``n`` rows (``NTILE``'s sizes)."""
    rest = n % tiles
    return k * (n // tiles) + case((rest < k, rest), else_=k)


def _from_bounds(base: Any, keys: Sequence[TileKey], carry: Sequence[str], tiles: int) -> Any:
    c = base.c
    inside = {key.name: key.population(c) if key.population else true() for key in keys}
    ks = range(1, tiles)

    def one(cte: Any, column: str) -> Any:
        return select(cte.c[column]).scalar_subquery()

    # 1. the population sizes and each tile's last position
    sizes = (
        select(*(func.count().filter(inside[key.name]).label(key.name) for key in keys))
        .select_from(base)
        .cte("tile_sizes")
    )
    positions = []
    for key in keys:
        n = sizes.c[key.name]
        lasts = [_last(k, n, tiles) for k in ks]
        fractions = [(cast(last, Float) - 0.5) / func.greatest(n, 1) for last in lasts]
        positions.append(array(fractions).label(f"f_{key.name}"))
    places = select(*positions).cte("tile_positions")

    # 2. the value at each last position (one sort per key)
    sorted_values = (
        select(
            *(
                type_coerce(
                    func.percentile_disc(one(places, f"f_{key.name}"))
                    .within_group(c[key.value])
                    .filter(inside[key.name]),
                    ARRAY(c[key.value].type),
                ).label(key.name)
                for key in keys
            )
        )
        .select_from(base)
        .cte("tile_sorted")
    )
    values = select(
        *(sorted_values.c[key.name][k].label(f"v_{key.name}_{k}") for key in keys for k in ks)
    ).cte("tile_values")

    return _scores(base, keys, carry, tiles, inside, values)


def _scores(
    base: Any,
    keys: Sequence[TileKey],
    carry: Sequence[str],
    tiles: int,
    inside: dict[str, Any],
    values: Any,
) -> Any:
    """3. a row's tile: how many bounds its value lies above, found by halving (the
    bounds rise)."""
    c, v = base.c, values.c

    def tile(key: TileKey) -> Any:
        value = c[key.value]

        def tree(low: int, high: int) -> Any:  # the tile, knowing it is in [low, high]
            if low == high:
                return literal(low)
            middle = (low + high) // 2
            return case(
                (value <= v[f"v_{key.name}_{middle}"], tree(low, middle)),
                else_=tree(middle + 1, high),
            )

        return case((inside[key.name], tree(1, tiles)), else_=None).label(key.name)

    return select(*(c[column] for column in carry), *(tile(key) for key in keys)).select_from(
        base.join(values, true())
    )
