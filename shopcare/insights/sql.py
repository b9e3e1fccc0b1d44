"""SQL pieces the insights queries share, written once for SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import Float, case, cast, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.orm import scoped_session
from sqlalchemy.sql.elements import ColumnElement

from shopcare.core.db import session
from shopcare.insights.periods import Bucket


def dialect() -> str:
    """``"sqlite"`` or ``"postgresql"``: the current app's database."""
    return str(session().get_bind().dialect.name)


#: What ``SHOPCARE_INSIGHTS_WORK_MEM`` may say: a PostgreSQL memory amount.
_MEMORY = re.compile(r"[1-9][0-9]{0,6}(kB|MB|GB)")


def roomy_sorts() -> None:
    """On PostgreSQL, give the current transaction's sorts and hashes
    ``SHOPCARE_INSIGHTS_WORK_MEM`` of memory each (``set_config('work_mem', …, true)``,
    i.e. ``SET LOCAL``: it ends with the transaction). The dashboard sorts tens of
    thousands of customers and order lines (quintiles, percentiles, grouped joins); with
    the server's default 4 MB those sorts spill to disk. With the setting ``None`` only
    the JIT is turned off (below). Once per transaction; a no-op on SQLite.

    :raises ConfigError: when the setting is not an amount such as ``"64MB"``.
    """
    from shopcare.core.config import setting
    from shopcare.core.errors import ConfigError

    if dialect() != "postgresql":
        return
    scoped: Any = session()
    own = scoped() if isinstance(scoped, scoped_session) else scoped
    if own.info.get(_ROOMY) is not None and own.info[_ROOMY] is own.get_transaction():
        return  # done in this transaction already
    amount = setting("SHOPCARE_INSIGHTS_WORK_MEM")
    if amount is not None and (not isinstance(amount, str) or not _MEMORY.fullmatch(amount)):
        raise ConfigError(
            f"SHOPCARE_INSIGHTS_WORK_MEM must be an amount such as '64MB' (kB, MB or GB), "
            f"not {amount!r}"
        )
    # The dashboard's statements are costly enough for PostgreSQL's JIT (jit_above_cost),
    # whose compiling takes longer than the statements themselves: tens of milliseconds
    # for a plain one, seconds for the tiles' wide ones (shopcare.insights.tiles).
    # Nor parallel workers: the dashboard's lanes (shopcare.insights.concurrent) already
    # keep the cores busy, and starting workers for a grouped join of a few thousand
    # rows cost more than it saved (the returns' grouping: ~110 ms with two, ~60 without).
    settings = [
        func.set_config("jit", "off", True),
        func.set_config("max_parallel_workers_per_gather", "0", True),
    ]
    if amount is not None:
        settings.append(func.set_config("work_mem", amount, True))
    own.execute(select(*settings))
    own.info[_ROOMY] = own.get_transaction()


#: Where :func:`roomy_sorts` notes the transaction it has set up, in ``session().info``.
_ROOMY = "shopcare.insights.roomy"


#: Where :func:`kept` keeps its statements, in ``app.extensions``.
_KEPT = "shopcare.insights.statements"


def kept(key: Hashable, build: Callable[[], Any]) -> Any:
    """The statement ``build()`` returns, built once per app, database dialect and
    ``key``, then kept. For statements whose building costs more than their running's
    Python side (the segments' is a few hundred expressions: ~45 ms to build, ~4 ms to
    execute again): whatever varies from call to call must be a ``bindparam`` given at
    execution, and whatever else ``build`` depends on, part of ``key``."""
    statements: dict[Hashable, Any] = current_app.extensions.setdefault(_KEPT, {})
    full = (dialect(), key)
    found = statements.get(full)
    if found is None:
        found = statements[full] = build()
    return found


def _naive(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


def seconds_between(earlier: Any, later: Any) -> ColumnElement[float]:
    """``later - earlier`` in seconds, for two datetime columns (or a column and an aware
    ``datetime``): ``julianday`` on SQLite, ``extract(epoch …)`` on PostgreSQL."""
    if dialect() == "postgresql":
        if isinstance(later, datetime):
            later = literal(later.astimezone(UTC).replace(tzinfo=None))
        return cast(func.extract("epoch", later - earlier), Float)
    if isinstance(later, datetime):
        later = literal(_naive(later))
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def nearest_ranks(percents: Sequence[int], value: Any) -> Any:
    """PostgreSQL's aggregate for the nearest-rank percentiles ``percents`` of ``value``
    (each the value at rank ⌈p·n⌉ in ascending order): ``percentile_disc`` is "the first
    value whose position in the ordering equals or exceeds the fraction", which is that
    rank. (PostgreSQL takes ⌈p·n⌉ in floating point; for p = 0.5 and 0.9 the product is
    exact wherever p·n is a whole number, since 0.9's error is far below the spacing of
    doubles near 0.9·n.) Over an array of fractions, so the values are sorted once for
    all of them: the result is a list in the order of ``percents`` (``None`` without
    values). Only on PostgreSQL: SQLite has no ordered-set aggregate, and callers rank
    with window functions there."""
    return func.percentile_disc(array([p / 100.0 for p in percents])).within_group(value)


def days_between(earlier: Any, later: Any) -> ColumnElement[float]:
    """``later - earlier`` in days (a float), as :func:`seconds_between`."""
    return seconds_between(earlier, later) / 86400.0


def bucket_index(
    column: Any, buckets: Sequence[Bucket], *, dates: bool = False
) -> ColumnElement[int]:
    """The index of the bucket a datetime column falls in (``NULL`` outside them): a
    ``CASE`` over the buckets' UTC bounds, which were cut in the shop's zone, so the
    database never needs to know the zone. The ``CASE`` is a balanced tree of
    comparisons (about log2 of the number of buckets per row, not one per bucket);
    the buckets must be contiguous and in order. On PostgreSQL, ``width_bucket`` over
    the bounds instead (the same binary search, one array parameter). With ``dates``, ``column`` is a
    shop-local ``DATE`` (the daily rollup's day) compared with the buckets' days."""
    if not buckets:
        return literal(None)
    if dates:
        buckets = [Bucket(b.start, b.end, b.start, b.end) for b in buckets]  # type: ignore[arg-type]
    if dialect() == "postgresql":
        # width_bucket: the bounds' binary search in one call and one array parameter
        # (1 … n inside, 0 before the first start, n + 1 from the last end)
        bounds = [b.start_utc for b in buckets] + [buckets[-1].end_utc]
        found = func.width_bucket(column, literal(bounds, ARRAY(column.type)))
        return func.nullif(func.nullif(found, 0), len(buckets) + 1) - 1

    def tree(low: int, high: int) -> Any:  # buckets[low:high], column >= buckets[low].start
        if high - low == 1:
            return case((column < buckets[low].end_utc, low), else_=None)
        middle = (low + high) // 2
        return case(
            (column < buckets[middle].start_utc, tree(low, middle)), else_=tree(middle, high)
        )

    return case((column < buckets[0].start_utc, None), else_=tree(0, len(buckets)))
