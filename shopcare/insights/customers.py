"""The customer facts, kept by the worker, read by the segments, the ladder and the lost
customers.

``shopcare_insights_customer_orders`` holds one row per order with where its customer
stood after it (orders so far, money so far, the gap since their previous order, when
their next order came); ``shopcare_insights_customer_nps`` one row per customer NPS
answer with when the customer's next one came. Where a customer stood at any instant
``T`` is then the one row with ``placed_at < T`` and no ``next_at`` before ``T``: the
segments and the ladder read one row per customer for each end of the two periods
instead of every order with its lines and every NPS answer with its response and order.

The figures never go stale: at read time (:func:`facts`), the customers with an order
or an NPS answer added or changed since the worker's last refresh (ids above the
watermarks' ``last_id``, change times above their ``seen_at``; a few at most between
two runs) are read live from the orders and answers, the others from the tables; with
no facts yet (never refreshed), or more than :data:`LIVE_LIMIT` customers changed,
everything is read live.

The periodic task ``insights.rollup`` runs :func:`refresh` after the answers' rollup: it
recomputes the customers whose orders or answers changed since its last run (looking
:data:`RECHECK` further back, for rows committed late), then checks that the tables hold
as many rows as their sources; when not (an order or answer deleted, say), it rebuilds
both. A customer is recomputed whole (delete, then insert from the sources), and the
watermark row is locked (``SELECT … FOR UPDATE``) for the run, so two workers at once
wait for each other and leave the same rows. ``flask shopcare insights rebuild``
rebuilds by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, text, union, union_all

from shopcare.core.db import session, utcnow
from shopcare.insights.marks import locked_watermark
from shopcare.insights.models import CustomerNps, CustomerOrder, Rollup
from shopcare.insights.sql import days_between
from shopcare.orders.models import Order, OrderLine
from shopcare.surveys.models import Answer, Response

#: The watermark rows' names in ``shopcare_insights_rollups``.
ORDERS = "customer_orders"
NPS = "customer_nps"
#: How far before the last run's newest change a refresh looks again (late commits).
RECHECK = timedelta(minutes=10)
#: More customers changed than this since the last refresh: read everything live.
LIVE_LIMIT = 1000
#: Customers recomputed per statement in a refresh.
CHUNK = 500
#: More customers changed than this: a refresh rebuilds everything instead.
REBUILD_ABOVE = 20_000


def _nps() -> Any:
    """The answers the ladder reads: customers' NPS answers with a value."""
    return and_(Answer.type == "nps", Answer.kind == "customer", Answer.value.is_not(None))


def order_rows(where: Any = None) -> Any:
    """The orders (all, or those matching ``where``) as :class:`CustomerOrder` rows,
    computed from the orders and their lines with window functions."""
    key = func.lower(Order.email)
    per_order = select(
        Order.id.label("order_id"),
        key.label("customer"),
        Order.placed_at.label("placed_at"),
        func.coalesce(func.sum(OrderLine.paid_minor), 0).label("paid"),
    ).outerjoin(OrderLine, OrderLine.order_id == Order.id)
    if where is not None:
        per_order = per_order.where(where)
    base = per_order.group_by(Order.id, key, Order.placed_at).subquery("per_order")
    window: dict[str, Any] = {
        "partition_by": base.c.customer,
        "order_by": (base.c.placed_at, base.c.order_id),
    }
    return select(
        base.c.order_id,
        base.c.customer,
        base.c.placed_at,
        base.c.paid,
        func.row_number().over(**window).label("orders"),
        func.sum(base.c.paid).over(**window, rows=(None, 0)).label("money"),
        days_between(func.lag(base.c.placed_at).over(**window), base.c.placed_at).label("gap"),
        func.lead(base.c.placed_at).over(**window).label("next_at"),
    )


def nps_rows(where: Any = None) -> Any:
    """The customers' NPS answers (all, or those whose order matches ``where``) as
    :class:`CustomerNps` rows."""
    base = (
        select(
            Answer.id.label("answer_id"),
            func.lower(Order.email).label("customer"),
            Answer.created_at.label("answered_at"),
            Answer.value.label("value"),
        )
        .join(Response, Response.id == Answer.response_id)
        .join(Order, Order.id == Response.order_id)
        .where(_nps(), *([] if where is None else [where]))
        .subquery("nps")
    )
    return select(
        base.c.answer_id,
        base.c.customer,
        base.c.answered_at,
        base.c.value,
        func.lead(base.c.answered_at)
        .over(partition_by=base.c.customer, order_by=(base.c.answered_at, base.c.answer_id))
        .label("next_at"),
    )


ORDER_COLUMNS = ("order_id", "customer", "placed_at", "paid", "orders", "money", "gap", "next_at")
NPS_COLUMNS = ("answer_id", "customer", "answered_at", "value", "next_at")


def _changed_keys(
    orders_after: tuple[int, datetime | None], answers_after: tuple[int, datetime | None]
) -> Any:
    """The customers with an order or NPS answer added (id above the first) or changed
    (time above the second) — by their current e-mail and by the key the facts hold."""
    last_order, order_seen = orders_after
    last_answer, answer_seen = answers_after
    order_changed = Order.id > last_order
    if order_seen is not None:
        order_changed = or_(order_changed, Order.updated_at > order_seen)
    answer_changed = Answer.id > last_answer
    if answer_seen is not None:
        answer_changed = or_(answer_changed, Answer.created_at > answer_seen)
    changed_orders = select(Order.id).where(order_changed)
    changed_answers = select(Answer.id).where(_nps(), answer_changed)
    return union(
        select(func.lower(Order.email)).where(order_changed),
        select(CustomerOrder.customer).where(CustomerOrder.order_id.in_(changed_orders)),
        select(func.lower(Order.email))
        .join(Response, Response.order_id == Order.id)
        .join(Answer, Answer.response_id == Response.id)
        .where(_nps(), answer_changed),
        select(CustomerNps.customer).where(CustomerNps.answer_id.in_(changed_answers)),
    )


def _marks() -> tuple[Rollup | None, Rollup | None]:
    rows = {
        row.name: row
        for row in session().scalars(select(Rollup).where(Rollup.name.in_([ORDERS, NPS])))
    }
    return rows.get(ORDERS), rows.get(NPS)


@dataclass(frozen=True)
class Facts:
    """The customer facts to read: ``orders`` and ``nps``, subqueries with the columns of
    :class:`CustomerOrder` and :class:`CustomerNps` (the tables', with the customers
    changed since the last refresh read live); ``live``: how many were."""

    orders: Any
    nps: Any
    live: int


def facts() -> Facts | None:
    """The customer facts as of now, or ``None`` when they must be read live from the
    orders and answers (never refreshed, or more than :data:`LIVE_LIMIT` customers
    changed since)."""
    orders_mark, nps_mark = _marks()
    if orders_mark is None or nps_mark is None or orders_mark.until is None:
        return None
    keys = list(
        session()
        .scalars(
            _changed_keys(
                (orders_mark.last_id, orders_mark.seen_at), (nps_mark.last_id, nps_mark.seen_at)
            ).limit(LIVE_LIMIT + 1)
        )
        .all()
    )
    if len(keys) > LIVE_LIMIT:
        return None
    order_table = select(*(getattr(CustomerOrder, name) for name in ORDER_COLUMNS))
    nps_table = select(*(getattr(CustomerNps, name) for name in NPS_COLUMNS))
    if not keys:
        return Facts(order_table.subquery("customer_orders"), nps_table.subquery("customer_nps"), 0)
    orders = union_all(
        order_table.where(CustomerOrder.customer.not_in(keys)),
        order_rows(func.lower(Order.email).in_(keys)),
    ).subquery("customer_orders")
    nps = union_all(
        nps_table.where(CustomerNps.customer.not_in(keys)),
        nps_rows(func.lower(Order.email).in_(keys)),
    ).subquery("customer_nps")
    return Facts(orders, nps, len(keys))


def standing(rows: Any, moment: Any, at: str = "placed_at", *, after_all: bool = False) -> Any:
    """Where each customer stood at ``moment`` (a ``datetime`` or a SQL expression of
    one): the rows of ``rows`` (a facts subquery) with ``at < moment`` and no ``next_at``
    before it — one per customer.

    ``after_all``: the caller knows ``moment`` is after every row's ``at``
    (:func:`newest`), so that no ``next_at`` can reach it: then the customers' latest rows
    (``next_at IS NULL``), which the partial indexes ``…_latest`` hold with the columns
    the figures read (an index-only scan instead of a pass over every row)."""
    column = rows.c[at]
    if after_all:
        return and_(rows.c.next_at.is_(None), column < moment)
    return and_(column < moment, or_(rows.c.next_at.is_(None), rows.c.next_at >= moment))


def newest() -> datetime | None:
    """The latest instant the customer facts tables hold (an order placed or an NPS
    answer given; ``None`` when empty), from their ``…_latest`` indexes: an instant
    after it is after every row, as :func:`standing`'s ``after_all`` needs."""
    latest = [
        session().scalar(
            select(func.max(CustomerOrder.placed_at)).where(CustomerOrder.next_at.is_(None))
        ),
        session().scalar(
            select(func.max(CustomerNps.answered_at)).where(CustomerNps.next_at.is_(None))
        ),
    ]
    found = [aware(moment) for moment in latest if moment is not None]
    return max(found) if found else None  # type: ignore[type-var]


@dataclass
class Report:
    """What one run did: ``rebuilt`` (everything redone, and why), the customers redone
    and the rows written."""

    rebuilt: str = ""
    customers: int = 0
    rows: int = 0

    def __str__(self) -> str:
        what = f"rebuilt ({self.rebuilt})" if self.rebuilt else "refreshed"
        rows = "" if self.rows < 0 else f", {self.rows} row(s)"
        return f"customer facts {what}: {self.customers} customer(s){rows}"


def _insert(where: Any = None) -> int:
    """Insert the facts of the orders and answers matching ``where`` (all without);
    returns how many rows."""
    orders: Any = session().execute(
        insert(CustomerOrder).from_select(list(ORDER_COLUMNS), order_rows(where))
    )
    answers: Any = session().execute(
        insert(CustomerNps).from_select(list(NPS_COLUMNS), nps_rows(where))
    )
    counted = (orders.rowcount, answers.rowcount)
    if min(counted) < 0:  # a driver that does not count INSERT … SELECT
        return -1
    return sum(counted)


def _nps_source_count() -> int:
    return int(
        session().scalar(
            select(func.count(Answer.id))
            .join(Response, Response.id == Answer.response_id)
            .join(Order, Order.id == Response.order_id)
            .where(_nps())
        )
        or 0
    )


def refresh(*, full: bool = False) -> Report:
    """Bring the customer facts up to the orders and answers as they are (the caller
    commits; the worker does). ``full`` rebuilds them. Returns what was done."""
    orders_mark = locked_watermark(ORDERS)  # locked: one refresh at a time
    nps_mark = locked_watermark(NPS)
    newest_order, order_seen = (
        session().execute(select(func.max(Order.id), func.max(Order.updated_at))).one()
    )
    newest_answer, answer_seen = (
        session()
        .execute(select(func.max(Answer.id), func.max(Answer.created_at)).where(_nps()))
        .one()
    )
    report = Report()
    if orders_mark.until is None:
        report.rebuilt = "first run"
    elif full:
        report.rebuilt = "asked"
    if not report.rebuilt:
        keys = list(
            session()
            .scalars(
                _changed_keys(
                    (orders_mark.last_id, _earlier(orders_mark.seen_at)),
                    (nps_mark.last_id, _earlier(nps_mark.seen_at)),
                ).limit(REBUILD_ABOVE + 1)
            )
            .all()
        )
        if len(keys) > REBUILD_ABOVE:
            report.rebuilt = f"more than {REBUILD_ABOVE} customers changed"
        else:
            for first in range(0, len(keys), CHUNK):
                chunk = keys[first : first + CHUNK]
                session().execute(delete(CustomerOrder).where(CustomerOrder.customer.in_(chunk)))
                session().execute(delete(CustomerNps).where(CustomerNps.customer.in_(chunk)))
                written = _insert(func.lower(Order.email).in_(chunk))
                report.rows = -1 if min(written, report.rows) < 0 else report.rows + written
            report.customers = len(keys)
            held = session().scalar(select(func.count()).select_from(CustomerOrder))
            orders = session().scalar(select(func.count(Order.id)))
            answers_held = session().scalar(select(func.count()).select_from(CustomerNps))
            answers = _nps_source_count()
            if (held, answers_held) != (orders, answers):
                report = Report(
                    rebuilt=f"{held} of {orders} orders and {answers_held} of {answers} "
                    "NPS answers held"
                )
    if report.rebuilt:
        session().execute(delete(CustomerOrder))
        session().execute(delete(CustomerNps))
        _insert()
        report.rows = int(
            (session().scalar(select(func.count()).select_from(CustomerOrder)) or 0)
            + (session().scalar(select(func.count()).select_from(CustomerNps)) or 0)
        )
        if session().get_bind().dialect.name == "postgresql":
            # the planner's row counts for the fresh tables (the dashboard's sorts)
            session().execute(text("ANALYZE shopcare_insights_customer_orders"))
            session().execute(text("ANALYZE shopcare_insights_customer_nps"))
        report.customers = int(
            session().scalar(select(func.count(func.distinct(CustomerOrder.customer)))) or 0
        )
    now = utcnow()
    for mark, last_id, seen in (
        (orders_mark, newest_order, order_seen),
        (nps_mark, newest_answer, answer_seen),
    ):
        mark.until = now.date()  # built (the facts are instants: no zone, no day)
        mark.last_id = int(last_id or 0)
        mark.seen_at = aware(seen)
        mark.updated_at = now
    session().flush()
    return report


def _earlier(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment - RECHECK


def aware(moment: Any) -> datetime | None:
    """``moment`` as an aware UTC datetime (``None`` stays): what an aggregate over a
    DateTime column gives, a string on SQLite."""
    if moment is None:
        return None
    if isinstance(moment, str):  # an aggregate over a DateTime column on SQLite
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
