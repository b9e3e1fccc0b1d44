"""Quantile scores (``NTILE``) for several keys of one row set, computed the cheap way
the database allows.

``NTILE(t) OVER (PARTITION BY … ORDER BY value, tie)`` is the definition: in the order of
``(value, tie)`` the first ``n mod t`` tiles get ``⌊n/t⌋ + 1`` rows and the rest ``⌊n/t⌋``
(PostgreSQL's and SQLite's ``ntile``). The row at position ``i`` (from 1) is therefore in
tile ``1 + #{k < t : i > P_k}``, where ``P_k = k·⌊n/t⌋ + min(k, n mod t)`` is the last
position of tile ``k``.

On SQLite each key is a window function: one sort of the whole rows per key. On
PostgreSQL that costs a tuple sort of every row per key (the RFM segments have six keys
over tens of thousands of customers), so there the tiles are found from their bounds
instead, in one statement:

1. ``n`` per population, and ``P_k`` with it;
2. per key, the value at each ``P_k``: ``percentile_disc((P_k - ½)/n)`` ("the first value
   whose position in the ordering equals or exceeds the fraction", i.e. position ``P_k``):
   a sort of that one column, not of the rows;
3. how many rows have a smaller value (``c_k``), and the tie-breakers of the rows with that
   same value, in order (``array_agg(tie ORDER BY tie)``: a sort of the ties alone);
4. among those, the tie-breaker at position ``P_k - c_k`` (``w_k``);
5. a row's tile is 1 plus the bounds it lies beyond (``value > v_k``, or ``value = v_k`` and
   ``tie > w_k``), found by halving: two or three comparisons a row.

Both give the same tiles (``tests/insights/test_insights_tiles.py`` compares them on
PostgreSQL over rows with many ties). The tie-breaker must be unique within the
population and values not ``NULL`` there; rows outside a key's population get ``NULL``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, and_, case, cast, func, literal, or_, select, true, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by, array
from sqlalchemy.sql.elements import ColumnElement

from shopcare.insights.sql import dialect

#: A population: which rows of the base a key ranks (``None``: all of them).
Population = Callable[[Any], ColumnElement[bool]] | None


@dataclass(frozen=True)
class TileKey:
    """One score: ``name`` the output column, ``value`` and ``tie`` the base's columns it
    orders by (``tie`` unique within the population; ``None`` when ``value`` is unique
    there itself, which spares PostgreSQL steps 3 and 4), ``population`` a function of the
    base's columns (``base.c``) choosing the rows ranked."""

    name: str
    value: str
    tie: str | None
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
    columns = []
    for key in keys:
        inside = key.population(c) if key.population else None
        window = func.ntile(tiles).over(
            partition_by=None if inside is None else case((inside, 1), else_=0),
            order_by=(c[key.value], *([] if key.tie is None else [c[key.tie]])),
        )
        columns.append(
            (window if inside is None else case((inside, window), else_=None)).label(key.name)
        )
    return select(*(c[column] for column in carry), *columns).subquery(name)


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
        lasts = [k * (n // tiles) + func.least(k, n % tiles) for k in ks]
        positions += [last.label(f"p_{key.name}_{k}") for k, last in zip(ks, lasts, strict=True)]
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
    v = values.c

    tied = [key for key in keys if key.tie is not None]
    if not tied:
        return _scores(base, keys, carry, tiles, inside, values, None)

    # 3. how many lie below each bound, and the tie-breakers of those level with it, in
    # order (rarely more than a few: the frequencies, thousands to a value, come packed)
    level = (
        select(
            *(
                column
                for key in tied
                for k in ks
                for column in (
                    func.count()
                    .filter(and_(inside[key.name], c[key.value] < v[f"v_{key.name}_{k}"]))
                    .label(f"c_{key.name}_{k}"),
                    func.array_agg(aggregate_order_by(c[key.tie], c[key.tie]))
                    .filter(and_(inside[key.name], c[key.value] == v[f"v_{key.name}_{k}"]))
                    .label(f"a_{key.name}_{k}"),
                )
            )
        )
        .select_from(base.join(values, true()))
        .cte("tile_level")
    )

    # 4. the tie-breaker at each bound's position among them
    ties = (
        select(
            *(
                level.c[f"a_{key.name}_{k}"][
                    places.c[f"p_{key.name}_{k}"] - level.c[f"c_{key.name}_{k}"]
                ].label(f"w_{key.name}_{k}")
                for key in tied
                for k in ks
            )
        )
        .select_from(places.join(level, true()))
        .cte("tile_ties")
    )
    return _scores(base, keys, carry, tiles, inside, values, ties)


def _scores(
    base: Any,
    keys: Sequence[TileKey],
    carry: Sequence[str],
    tiles: int,
    inside: dict[str, Any],
    values: Any,
    ties: Any,
) -> Any:
    """5. a row's tile: how many bounds it lies beyond, found by halving (the bounds
    rise)."""
    c, v = base.c, values.c

    def tile(key: TileKey) -> Any:
        value = c[key.value]

        def within(k: int) -> Any:  # (value, tie) <= (v_k, w_k)
            bound = v[f"v_{key.name}_{k}"]
            if key.tie is None:
                return value <= bound
            level = ties.c[f"w_{key.name}_{k}"]
            return or_(value < bound, and_(value == bound, c[key.tie] <= level))

        def tree(low: int, high: int) -> Any:  # the tile, knowing it is in [low, high]
            if low == high:
                return literal(low)
            middle = (low + high) // 2
            return case((within(middle), tree(low, middle)), else_=tree(middle + 1, high))

        return case((inside[key.name], tree(1, tiles)), else_=None).label(key.name)

    joined = base.join(values, true())
    if ties is not None:
        joined = joined.join(ties, true())
    return select(*(c[column] for column in carry), *(tile(key) for key in keys)).select_from(
        joined
    )
