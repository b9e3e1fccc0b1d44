"""``care.insights``: the figures of the satisfaction dashboard, computed in SQL.

Every method takes its period as whole days in the shop's zone, half-open
``[start, end)`` (``datetime.date`` objects), or a :class:`~shopcare.insights.periods.Period`
as ``start``. Aggregates are computed by the database (grouping, window functions); no
method loops over rows in Python — it only shapes the few grouped rows it gets back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import (
    String,
    and_,
    bindparam,
    case,
    cast,
    distinct,
    func,
    literal,
    literal_column,
    select,
    union_all,
)

from shopcare.cases.models import COUNTING, Case, CaseLine
from shopcare.core.config import setting
from shopcare.core.db import read_rows, session
from shopcare.core.i18n import shop_zone
from shopcare.feedback.models import Ticket
from shopcare.insights import answers, complaints, customers, returned, stats, tiles
from shopcare.insights.periods import Bucket, Period
from shopcare.insights.returned import RETURN_KINDS
from shopcare.insights.returned import source as returned_source
from shopcare.insights.sql import (
    bucket_index,
    days_between,
    dialect,
    kept,
    nearest_ranks,
    roomy_sorts,
    seconds_between,
)
from shopcare.insights.stats import Figure
from shopcare.orders.models import Order, OrderLine, minor_to_decimal
from shopcare.surveys.models import Answer, Response
from shopcare.tracking.models import Shipment

#: What ``return_rate(by=…)`` groups by.
RETURN_GROUPS = ("product", "category", "reason", "week", "month")
#: The RFM segments, best first.
SEGMENTS = (
    "champions",
    "loyal",
    "potential",
    "new",
    "at_risk",
    "cant_lose",
    "hibernating",
    "lost",
)
#: The loyalty ladder's steps, lowest first ("none": no order yet).
STEPS = ("none", "purchase", "repurchase", "recommendation")


#: Joins where each customer stood as an NPS promoter to a selectable:
#: ``(selectable, customer column) -> (joined, promoter at the end, at the start)``,
#: the last two SQL conditions (false, or ``NULL``, without a newest answer of 9-10).
PromoterJoin = Callable[[Any, Any], tuple[Any, Any, Any]]


def _customer() -> Any:
    """Who a customer is: the order's e-mail, lower-cased (guests and accounts alike)."""
    return func.lower(Order.email)


@dataclass(frozen=True)
class ProductRate:
    """One product's (or category's, or reason's) return figures."""

    key: str
    name: str
    delivered: int
    returned: int
    rate: Figure


class Insights:
    """``care.insights``: read-only figures over orders, shipments and cases."""

    # -- periods ---------------------------------------------------------------------

    def period(self, start: date | Period, end: date | None = None) -> Period:
        """The :class:`Period` ``[start, end)`` in the shop's zone.

        :raises ValueError: when ``end`` is missing or not after ``start``.
        """
        if isinstance(start, Period):
            return start
        if end is None:
            raise ValueError("a period needs an end")
        return Period(start, end, shop_zone())

    def refresh_rollup(self, *, now: datetime | None = None, full: bool = False) -> Any:
        """Bring the daily rollups (answers, delivered units) up to the day before today
        and the customer facts and the returned lines' facts up to the orders, answers and
        cases as they are (what the worker's ``insights.rollup`` task does; ``full``
        rebuilds them). The caller commits. Returns the answers' rollup's report
        (``rebuilt``: why everything was redone, or ``""``; ``days``, ``rows``). See
        ``shopcare.insights.rollup``, ``shopcare.insights.units``,
        ``shopcare.insights.customers`` and ``shopcare.insights.returned``."""
        from shopcare.insights import rollup

        return rollup.refresh_all(now=now, full=full)[0]

    @staticmethod
    def minimum() -> int:
        """The minimum sample below which a survey figure is hidden
        (``SHOPCARE_INSIGHTS_MIN_N``)."""
        return int(setting("SHOPCARE_INSIGHTS_MIN_N"))

    # -- returns and guarantees -----------------------------------------------------

    def _delivered_lines(self, period: Period) -> Any:
        return and_(
            Order.delivered_at >= period.start_utc,
            Order.delivered_at < period.end_utc,
        )

    def return_rate(
        self, start: date | Period, end: date | None = None, *, by: str | None = None
    ) -> Any:
        """Returned units / delivered units, in percent, with a Wilson 95 % interval.

        Delivered units are the order lines of orders delivered in the period; returned
        units are the units of those lines asked back by a return or a withdrawal that
        was not rejected or cancelled (whenever it was asked). A group with no delivered
        unit has no value (``Figure(None, 0)``: "no data", not 0 %).

        :param by: ``None`` for one :class:`Figure`; ``"product"``, ``"category"`` or
            ``"reason"`` for a list of :class:`ProductRate` (most returned first; a
            reason's rate is over all delivered units); ``"week"`` or ``"month"`` for a
            list of ``(Bucket, Figure)`` covering the period, gaps included.
        :raises ValueError: for another ``by``.
        """
        period = self.period(start, end)
        if by is None:
            delivered, returned = self._units(period)
            return stats.wilson(returned, delivered, minimum=1)
        if by in ("week", "month"):
            return self._return_rate_by_bucket(period, by)
        if by in ("product", "category"):
            return self._return_rate_by_line(period, by)
        if by == "reason":
            return self._return_rate_by_reason(period)
        raise ValueError(f"by is one of {', '.join(RETURN_GROUPS)}")

    def _returned_units(self) -> Any:
        """``order_line_id, returned``: units asked back per order line."""
        return (
            select(
                CaseLine.order_line_id.label("order_line_id"),
                func.sum(CaseLine.quantity).label("returned"),
            )
            .join(Case, Case.id == CaseLine.case_id)
            .where(Case.kind.in_(RETURN_KINDS), Case.status.in_(COUNTING))
            .group_by(CaseLine.order_line_id)
            .subquery("returned_units")
        )

    def _units(self, period: Period) -> tuple[int, int]:
        returned = self._returned_units()
        row = (
            session()
            .execute(
                select(
                    func.coalesce(func.sum(OrderLine.quantity), 0),
                    func.coalesce(func.sum(returned.c.returned), 0),
                )
                .select_from(OrderLine)
                .join(Order, Order.id == OrderLine.order_id)
                .outerjoin(returned, returned.c.order_line_id == OrderLine.id)
                .where(self._delivered_lines(period))
            )
            .one()
        )
        return int(row[0]), int(row[1])

    def _return_rate_by_bucket(self, period: Period, grain: str) -> list[tuple[Any, Figure]]:
        buckets = period.buckets(grain)
        returned = self._returned_units()
        index = bucket_index(Order.delivered_at, buckets).label("bucket")
        rows = (
            session()
            .execute(
                select(
                    index,
                    func.sum(OrderLine.quantity),
                    func.coalesce(func.sum(returned.c.returned), 0),
                )
                .select_from(OrderLine)
                .join(Order, Order.id == OrderLine.order_id)
                .outerjoin(returned, returned.c.order_line_id == OrderLine.id)
                .where(self._delivered_lines(period))
                .group_by(index)
            )
            .all()
        )
        found = {int(i): (int(d), int(r)) for i, d, r in rows if i is not None}
        return [
            (
                bucket,
                stats.wilson(found[i][1], found[i][0], minimum=1)
                if i in found
                else Figure(None, 0),
            )
            for i, bucket in enumerate(buckets)
        ]

    def _return_rate_by_line(self, period: Period, by: str) -> list[ProductRate]:
        returned = self._returned_units()
        key = OrderLine.sku if by == "product" else func.coalesce(OrderLine.category, "")
        rows = (
            session()
            .execute(
                select(
                    key.label("key"),
                    func.max(
                        OrderLine.name if by == "product" else func.coalesce(OrderLine.category, "")
                    ),
                    func.sum(OrderLine.quantity).label("delivered"),
                    func.coalesce(func.sum(returned.c.returned), 0).label("returned"),
                )
                .select_from(OrderLine)
                .join(Order, Order.id == OrderLine.order_id)
                .outerjoin(returned, returned.c.order_line_id == OrderLine.id)
                .where(self._delivered_lines(period))
                .group_by(key)
                .order_by(func.coalesce(func.sum(returned.c.returned), 0).desc(), key)
            )
            .all()
        )
        return [
            ProductRate(k, name, int(d), int(r), stats.wilson(int(r), int(d), minimum=1))
            for k, name, d, r in rows
        ]

    def _return_rate_by_reason(
        self, period: Period, delivered: int | None = None
    ) -> list[ProductRate]:
        if delivered is None:
            delivered, _ = self._units(period)
        lines = returned_source(self._delivered_lines(period)).subquery()
        units = func.sum(lines.c.quantity)
        rows = (
            session()
            .execute(
                select(lines.c.reason, units)
                .group_by(lines.c.reason)
                .order_by(units.desc(), lines.c.reason)
            )
            .all()
        )
        return [
            ProductRate(k, k, delivered, int(r), stats.wilson(int(r), delivered, minimum=1))
            for k, r in rows
        ]

    def returns_summary(self, period: Period, grain: str = "month") -> ReturnsSummary:
        """The return figures of ``period`` and of its comparison period in one grouped
        pass (see :class:`ReturnsSummary`): what the dashboard shows, equal to
        :meth:`return_rate` for each ``by``."""
        roomy_sorts()
        return ReturnsSummary(self, period, grain)

    def top_returned(
        self, start: date | Period, end: date | None = None, *, limit: int | None = None
    ) -> list[ProductRate]:
        """The products with the most units asked back, most first (products with none
        are left out); ``limit`` defaults to ``SHOPCARE_INSIGHTS_TOP``."""
        limit = limit or int(setting("SHOPCARE_INSIGHTS_TOP"))
        rows = self.return_rate(start, end, by="product")
        return [row for row in rows if row.returned][:limit]

    def refunded(self, start: date | Period, end: date | None = None) -> dict[str, Decimal]:
        """Money refunded on cases resolved in the period, by currency:
        ``{"EUR": Decimal("179.98")}`` (what the host reported paid on refunded cases)."""
        period = self.period(start, end)
        rows = (
            session()
            .execute(
                select(Case.currency, func.sum(Case.paid_minor))
                .where(
                    Case.outcome == "refunded",
                    Case.paid_minor.is_not(None),
                    Case.resolved_at >= period.start_utc,
                    Case.resolved_at < period.end_utc,
                )
                .group_by(Case.currency)
                .order_by(Case.currency)
            )
            .all()
        )
        return {currency: minor_to_decimal(int(total or 0), currency) for currency, total in rows}

    def guarantee_claims(
        self, start: date | Period, end: date | None = None, *, sku: str | None = None
    ) -> list[dict[str, Any]]:
        """Guarantee claims opened in the period, per product, most first:
        ``[{"sku", "name", "claims", "units"}]`` (cancelled claims left out)."""
        period = self.period(start, end)
        query = (
            select(
                OrderLine.sku,
                func.max(OrderLine.name),
                func.count(distinct(Case.id)),
                func.sum(CaseLine.quantity),
            )
            .select_from(CaseLine)
            .join(Case, Case.id == CaseLine.case_id)
            .join(OrderLine, OrderLine.id == CaseLine.order_line_id)
            .where(
                Case.kind == "guarantee",
                Case.status != "cancelled",
                Case.opened_at >= period.start_utc,
                Case.opened_at < period.end_utc,
            )
            .group_by(OrderLine.sku)
            .order_by(func.count(distinct(Case.id)).desc(), OrderLine.sku)
        )
        if sku is not None:
            query = query.where(OrderLine.sku == sku)
        return [
            {"sku": s, "name": n, "claims": int(c), "units": int(u)}
            for s, n, c, u in session().execute(query).all()
        ]

    # -- deliveries -----------------------------------------------------------------

    def deliveries(self, start: date | Period, end: date | None = None) -> list[dict[str, Any]]:
        """Parcels delivered in the period, per carrier: ``[{"carrier", "delivered",
        "on_time": Figure (percent of the parcels that had an estimate, delivered by its
        latest day), "with_estimate", "transit_p50_hours", "transit_p90_hours"}]``.

        Transit is shipped → delivered; percentiles are nearest-rank (the value at rank
        ⌈p·n⌉): ``percentile_disc`` on PostgreSQL, window functions on SQLite.
        """
        period = self.period(start, end)
        transit = seconds_between(Shipment.shipped_at, Shipment.delivered_at) / 3600.0
        in_period = and_(
            Shipment.delivered_at >= period.start_utc, Shipment.delivered_at < period.end_utc
        )
        postgres = dialect() == "postgresql"
        percentiles = {} if postgres else self._transit_percentiles(transit, in_period)
        has_estimate = Shipment.estimated_latest.is_not(None)
        ranks = [nearest_ranks((50, 90), transit)] if postgres else []
        rows = (
            session()
            .execute(
                select(
                    *ranks,
                    Shipment.carrier,
                    func.count(),
                    func.sum(case((has_estimate, 1), else_=0)),
                    func.sum(
                        case(
                            (
                                and_(
                                    has_estimate, Shipment.delivered_at <= Shipment.estimated_latest
                                ),
                                1,
                            ),
                            else_=0,
                        )
                    ),
                )
                .where(in_period)
                .group_by(Shipment.carrier)
                .order_by(Shipment.carrier)
            )
            .all()
        )
        result = []
        for row in rows:
            carrier, delivered, with_estimate, on_time = row[len(ranks) :]
            p50, p90 = (
                (row[0] or (None, None)) if postgres else percentiles.get(carrier, (None, None))
            )
            result.append(
                {
                    "carrier": carrier,
                    "delivered": int(delivered),
                    "with_estimate": int(with_estimate or 0),
                    "on_time": stats.wilson(int(on_time or 0), int(with_estimate or 0), minimum=1),
                    "transit_p50_hours": None if p50 is None else round(float(p50), 1),
                    "transit_p90_hours": None if p90 is None else round(float(p90), 1),
                }
            )
        return result

    @staticmethod
    def _transit_percentiles(transit: Any, in_period: Any) -> dict[str, tuple[Any, Any]]:
        """``{carrier: (p50, p90)}`` of transit hours, nearest rank, with window
        functions (SQLite; PostgreSQL takes them in the same pass as the counts)."""
        ranked = (
            select(
                Shipment.carrier.label("carrier"),
                transit.label("hours"),
                func.row_number()
                .over(partition_by=Shipment.carrier, order_by=transit)
                .label("rank"),
                func.count().over(partition_by=Shipment.carrier).label("n"),
            )
            .where(in_period)
            .subquery()
        )

        def nearest(p: float) -> Any:
            # ⌈p·n⌉ without CEIL (SQLite lacks it before 3.35): n·p rounded up with integers
            wanted = (ranked.c.n * int(p * 100) + 99) // 100
            return func.max(case((ranked.c.rank == wanted, ranked.c.hours)))

        return {
            c: (p50, p90)
            for c, p50, p90 in session()
            .execute(
                select(ranked.c.carrier, nearest(0.5), nearest(0.9)).group_by(ranked.c.carrier)
            )
            .all()
        }

    # -- customers ------------------------------------------------------------------

    def _gaps(self, until: datetime | None = None, facts: customers.Facts | None = None) -> Any:
        """Each order's gap in days since the same customer's previous order (``customer``,
        ``placed_at``, ``gap``): from the customer facts, or with none from the orders."""
        if facts is not None:
            rows = facts.orders
            query = select(rows.c.customer, rows.c.placed_at, rows.c.gap)
            if until is not None:
                query = query.where(rows.c.placed_at < until)
            return query.subquery("gaps")
        customer = _customer().label("customer")
        query = select(
            customer,
            Order.placed_at.label("placed_at"),
            days_between(
                func.lag(Order.placed_at).over(partition_by=_customer(), order_by=Order.placed_at),
                Order.placed_at,
            ).label("gap"),
        )
        if until is not None:
            query = query.where(Order.placed_at < until)
        return query.subquery("gaps")

    def shop_median_gap(self, *, live: bool = False) -> float | None:
        """The median number of days between a customer's consecutive orders, over the
        whole shop (``None`` when no customer ordered twice); from the customer facts
        when there are any, else (or with ``live``) from the orders."""
        return self._shop_median_gap(None if live else customers.facts())

    def _shop_median_gap(self, facts: customers.Facts | None) -> float | None:
        gaps = self._gaps(facts=facts)
        ranked = (
            select(
                gaps.c.gap,
                func.row_number().over(order_by=gaps.c.gap).label("rank"),
                func.count().over().label("n"),
            )
            .where(gaps.c.gap.is_not(None))
            .subquery()
        )
        value = (
            session()
            .execute(
                select(func.avg(ranked.c.gap)).where(
                    ranked.c.rank.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])
                )
            )
            .scalar()
        )
        return None if value is None else float(value)

    def lost_customers(
        self, *, now: datetime | None = None, live: bool = False
    ) -> list[dict[str, Any]]:
        """Customers whose time since their last order exceeds their usual re-purchase
        interval: their median gap between orders times ``SHOPCARE_INSIGHTS_LOST_FACTOR``,
        or, with a single order, the shop's median gap times
        ``SHOPCARE_INSIGHTS_LOST_SINGLE_FACTOR``. Read from the customer facts
        (``shopcare.insights.customers``) when there are any, else (or with ``live``)
        from the orders and their lines: the same figures.

        :returns: longest gone first, ``[{"email", "orders", "last_order", "last_order_at"
            (aware UTC), "usual_gap_days" (their median, or the shop's for one order),
            "days_since", "cases", "return_reasons" (list), "spent_minor"}]``.
        """
        now = now or datetime.now(UTC)
        roomy_sorts()
        factor = float(setting("SHOPCARE_INSIGHTS_LOST_FACTOR"))
        single = float(setting("SHOPCARE_INSIGHTS_LOST_SINGLE_FACTOR"))
        facts = None if live else customers.facts()
        shop_gap = self._shop_median_gap(facts)
        gaps = self._gaps(now, facts)
        ranked = (
            select(
                gaps.c.customer,
                gaps.c.gap,
                func.row_number()
                .over(partition_by=gaps.c.customer, order_by=gaps.c.gap)
                .label("rank"),
                func.count().over(partition_by=gaps.c.customer).label("n"),
            )
            .where(gaps.c.gap.is_not(None))
            .subquery()
        )
        medians = (
            select(ranked.c.customer, func.avg(ranked.c.gap).label("median"))
            .where(ranked.c.rank.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2]))
            .group_by(ranked.c.customer)
            .subquery("medians")
        )
        if facts is None:
            customers_now = (
                select(
                    _customer().label("customer"),
                    func.count(Order.id).label("orders"),
                    func.max(Order.placed_at).label("last_at"),
                )
                .where(Order.placed_at < now)
                .group_by(_customer())
                .subquery("customers")
            )
        else:
            rows = facts.orders
            customers_now = (
                select(
                    rows.c.customer,
                    rows.c.orders.label("orders"),
                    rows.c.placed_at.label("last_at"),
                )
                .where(customers.standing(rows, now))
                .subquery("customers")
            )
        since = days_between(customers_now.c.last_at, now)
        usual = case(
            (customers_now.c.orders >= 2, medians.c.median),
            else_=literal(shop_gap),
        )
        threshold = case(
            (customers_now.c.orders >= 2, medians.c.median * factor),
            else_=literal(None if shop_gap is None else shop_gap * single),
        )
        lost = (
            select(
                customers_now.c.customer,
                customers_now.c.orders,
                customers_now.c.last_at,
                usual.label("usual"),
                since.label("since"),
            )
            .select_from(customers_now)
            .outerjoin(medians, medians.c.customer == customers_now.c.customer)
            .where(threshold.is_not(None), since > threshold)
            .cte("lost")
        )
        if facts is None:
            spent = (
                select(_customer().label("customer"), func.sum(OrderLine.paid_minor).label("spent"))
                .join(OrderLine, OrderLine.order_id == Order.id)
                .where(_customer().in_(select(lost.c.customer)))
                .group_by(_customer())
                .subquery("spent")
            )
        else:  # the customer's newest row: all their orders' money
            spent = (
                select(facts.orders.c.customer, facts.orders.c.money.label("spent"))
                .where(facts.orders.c.next_at.is_(None))
                .subquery("spent")
            )
        last_reference = (
            select(lost.c.customer, func.max(Order.reference).label("reference"))
            .join(
                Order,
                and_(_customer() == lost.c.customer, Order.placed_at == lost.c.last_at),
            )
            .group_by(lost.c.customer)
            .subquery("last_reference")
        )
        cases = (
            select(func.lower(Case.email).label("customer"), func.count(Case.id).label("cases"))
            .where(func.lower(Case.email).in_(select(lost.c.customer)))
            .group_by(func.lower(Case.email))
            .subquery("lost_cases")
        )
        reasons = (
            select(
                func.lower(Case.email).label("customer"),
                func.coalesce(Case.reason, Case.kind).label("reason"),
            )
            .where(func.lower(Case.email).in_(select(lost.c.customer)), Case.status.in_(COUNTING))
            .group_by(func.lower(Case.email), func.coalesce(Case.reason, Case.kind))
        )
        found_reasons: dict[str, list[str]] = {}
        for customer, reason in session().execute(reasons.order_by("customer", "reason")).all():
            found_reasons.setdefault(customer, []).append(reason)
        rows = (
            session()
            .execute(
                select(
                    lost.c.customer,
                    lost.c.orders,
                    lost.c.last_at,
                    lost.c.usual,
                    lost.c.since,
                    last_reference.c.reference,
                    cases.c.cases,
                    spent.c.spent,
                )
                .outerjoin(last_reference, last_reference.c.customer == lost.c.customer)
                .outerjoin(cases, cases.c.customer == lost.c.customer)
                .outerjoin(spent, spent.c.customer == lost.c.customer)
                .order_by(lost.c.since.desc(), lost.c.customer)
            )
            .all()
        )
        return [
            {
                "email": customer,
                "orders": int(orders),
                "last_order": reference,
                "last_order_at": customers.aware(last_at),
                "usual_gap_days": None if usual is None else round(float(usual), 1),
                "days_since": round(float(since_days), 1),
                "cases": int(case_count or 0),
                "return_reasons": found_reasons.get(customer, []),
                "spent_minor": int(spent_minor or 0),
            }
            for customer, orders, last_at, usual, since_days, reference, case_count, spent_minor in rows
        ]

    def lost_reasons(self, lost: Iterable[dict[str, Any]]) -> dict[str, int]:
        """The reasons the lost customers gave, counted: each return reason once per
        customer (``{"too_small": 3, …}``), most frequent first."""
        counts: dict[str, int] = {}
        for row in lost:
            for reason in row["return_reasons"]:
                counts[reason] = counts.get(reason, 0) + 1
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    def _rfm(
        self, facts: customers.Facts | None, *, ladder: bool = False, after_all: bool = False
    ) -> Any:
        """Per customer with an order before the period's end: the segment at the
        period's end and at its start (``"none"`` without an order then) and the money
        spent by the end (minor units).

        Recency, frequency and money are cut in quintiles (``NTILE(5)``'s, customers
        level on a value sharing the tile of the first of them:
        :mod:`shopcare.insights.tiles`); the start's quintiles are taken among the
        customers who had ordered by then. The tiles come from :mod:`shopcare.insights.tiles` (window
        functions on SQLite, their bounds on PostgreSQL). ``facts``: the customer facts
        (``shopcare.insights.customers``), or ``None`` to compute them from the orders.
        The instants are the parameters ``rfm_start`` and ``rfm_end`` (UTC). With
        ``ladder`` (and ``facts``), each customer's loyalty step at the two instants too
        (``step_now``, ``step_before``: :meth:`loyalty`'s), from the same standing."""
        rows = customers.order_rows().subquery("customer_orders") if facts is None else facts.orders
        at = rows.c.placed_at.type
        start, end = bindparam("rfm_start", type_=at), bindparam("rfm_end", type_=at)
        promoters = None
        if ladder:
            assert facts is not None  # the ladder is read from the facts only
            promoters = self._promoters(start, end, facts, after_all=after_all)
        base = self._rfm_base(start, end, rows, promoters=promoters, after_all=after_all)
        if dialect() == "postgresql":
            base = base.cte("rfm_base").prefix_with("MATERIALIZED")
        else:
            base = base.subquery("rfm_base")

        def had(c: Any) -> Any:
            return c.frequency_before > 0

        scored = tiles.scored(
            base,
            [
                tiles.TileKey("r_now", "last_now"),
                tiles.TileKey("f_now", "frequency_now"),
                tiles.TileKey("m_now", "money_now"),
                tiles.TileKey("r_before", "last_before", had),
                tiles.TileKey("f_before", "frequency_before", had),
                tiles.TileKey("m_before", "money_before", had),
            ],
            ["money_now", "frequency_before", *(["step_before", "step_now"] if ladder else [])],
            name="rfm_scored",
        )
        c = scored.c
        columns = [
            c.money_now,
            _segment(c.r_now, (c.f_now + c.m_now + 1) // 2).label("segment_now"),
            case(
                (c.frequency_before > 0, _segment(c.r_before, (c.f_before + c.m_before + 1) // 2)),
                else_=literal_column("'none'"),
            ).label("segment_before"),
        ]
        if ladder:
            columns += [c.step_before, c.step_now]
        return select(*columns).subquery("rfm")

    @staticmethod
    def _rfm_base(
        start: Any, end: Any, rows: Any, *, promoters: Any = None, after_all: bool = False
    ) -> Any:
        """Per customer with an order before ``end``: recency, frequency and money at
        ``end`` and at ``start`` (``NULL``, 0 and 0 without an order then), from where the
        customer facts ``rows`` say they stood at the two instants — one row each. With
        ``promoters`` (:meth:`_promoters`), each customer's loyalty step at the two
        instants too (``step_now``, ``step_before``)."""
        wanted = (rows.c.customer, rows.c.placed_at, rows.c.orders, rows.c.money)
        now = (
            select(*wanted)
            .where(customers.standing(rows, end, after_all=after_all))
            .subquery("standing_now")
        )
        before = select(*wanted).where(customers.standing(rows, start)).subquery("standing_before")
        steps = []
        joined = now.outerjoin(before, before.c.customer == now.c.customer)
        if promoters is not None:
            joined, promoter_now, promoter_before = promoters(joined, now.c.customer)
            step_now, step_before = _steps(
                now.c.orders, func.coalesce(before.c.orders, 0), promoter_now, promoter_before
            )
            steps = [step_now.label("step_now"), step_before.label("step_before")]
        return select(
            *steps,
            now.c.placed_at.label("last_now"),
            now.c.orders.label("frequency_now"),
            now.c.money.label("money_now"),
            before.c.placed_at.label("last_before"),
            func.coalesce(before.c.orders, 0).label("frequency_before"),
            func.coalesce(before.c.money, 0).label("money_before"),
        ).select_from(joined)

    def segments(
        self, start: date | Period, end: date | None = None, *, live: bool = False
    ) -> dict[str, Any]:
        """RFM segments as at the end of the period and of the comparison period.

        Recency, frequency and monetary value (orders placed before the period's end;
        money in minor units, currencies added as they come) are each cut in quintiles
        (``NTILE(5)``'s, customers level on a value sharing the lower tile: every
        first-time buyer has the lowest frequency score); R and the rounded-up mean of
        F and M place a customer in a segment: R 4-5 with FM 4-5 champions, FM 1 new;
        R 3-5 with FM 2-3 potential; R 3 with FM 4-5 loyal; R 1-2 with FM 4-5 can't
        lose, FM 2-3 at risk; R 2-3 with FM 1 hibernating; R 1 with FM 1 lost.

        :returns: ``{"segments": [{"segment", "customers", "revenue_share" (percent)}]``
            in :data:`SEGMENTS` order, ``"moves": [{"from", "to", "customers"}]`` from the
            comparison period's end (``"none"``: no order then) to this one's}.

        Read from the customer facts the worker keeps (``shopcare.insights.customers``)
        when there are any, else (or with ``live``) from the orders and their lines: the
        same figures.
        """
        period = self.period(start, end)
        roomy_sorts()
        facts = None if live else customers.facts()
        after_all = bool(facts and not facts.live and _after_all(period))

        def build() -> Any:
            rfm = self._rfm(facts, after_all=after_all)
            return (
                select(
                    rfm.c.segment_before, rfm.c.segment_now, func.count(), func.sum(rfm.c.money_now)
                )
                .group_by(rfm.c.segment_before, rfm.c.segment_now)
                .order_by(rfm.c.segment_before, rfm.c.segment_now)
            )

        # the same statement but for the instants, unless customers are read live by key
        statement = (
            build() if facts and facts.live else kept(("segments", facts is None, after_all), build)
        )
        instants = {"rfm_start": period.start_utc, "rfm_end": period.end_utc}
        return _segments_found(session().execute(statement, instants).all())

    def customer_figures(
        self, start: date | Period, end: date | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(segments(period), loyalty(period))``, the same two results, from one
        statement where the customer facts allow (where each customer stood at the two
        instants read once for both): what the dashboard asks. Without facts, or with
        customers read live by key, the two methods are called."""
        period = self.period(start, end)
        roomy_sorts()
        facts = customers.facts()
        if facts is None or facts.live:
            return self.segments(period), self.loyalty(period)
        after_all = _after_all(period)

        def build() -> Any:
            rfm = self._rfm(facts, ladder=True, after_all=after_all)
            keys = (rfm.c.segment_before, rfm.c.segment_now, rfm.c.step_before, rfm.c.step_now)
            # no ORDER BY: the rows are added up and sorted below
            return select(*keys, func.count(), func.sum(rfm.c.money_now)).group_by(*keys)

        instants = {"rfm_start": period.start_utc, "rfm_end": period.end_utc}
        rows = session().execute(kept(("segments", "ladder", after_all), build), instants).all()
        by_segment: dict[tuple[str, str], list[int]] = {}
        by_step: dict[tuple[str, str], int] = {}
        for source, target, step_source, step_target, count, revenue in rows:  # <= 9·8·4·3
            both = by_segment.setdefault((source, target), [0, 0])
            both[0] += int(count)
            both[1] += int(revenue or 0)
            steps = (step_source, step_target)
            by_step[steps] = by_step.get(steps, 0) + int(count)
        return (
            _segments_found([(*key, n, money) for key, (n, money) in sorted(by_segment.items())]),
            _loyalty_found([(*key, n) for key, n in sorted(by_step.items())]),
        )

    def loyalty(
        self, start: date | Period, end: date | None = None, *, live: bool = False
    ) -> dict[str, Any]:
        """The loyalty ladder at the end of the period: how many customers stand at
        purchase (one order), repurchase (two or more), recommendation (their latest NPS
        answer a 9 or 10, a promoter) — and the flows from where they stood at the end of
        the comparison period (``"none"``: no order yet), in one pass over the orders and
        one over the NPS answers.

        :returns: ``{"steps": {"purchase": n, "repurchase": n, "recommendation": n},
            "previous_steps": {…} (at the period's start), "flows": [{"from", "to",
            "customers"}]}``.

        Read from the customer facts (``shopcare.insights.customers``) when there are
        any, else (or with ``live``) from the orders and answers: the same figures.
        """
        period = self.period(start, end)
        roomy_sorts()
        facts = None if live else customers.facts()
        if facts is None:
            orders, promoters = self._ladder_live(period)
        else:
            orders, promoters = self._ladder(period, facts)
        joined, promoter_now, promoter_before = promoters(orders, orders.c.customer)
        step_now, step_before = _steps(orders.c.now, orders.c.before, promoter_now, promoter_before)
        ladder = (
            select(step_before.label("source"), step_now.label("target"))
            .select_from(joined)
            .subquery("ladder")
        )
        return _loyalty_found(
            session()
            .execute(
                select(ladder.c.source, ladder.c.target, func.count())
                .group_by(ladder.c.source, ladder.c.target)
                .order_by(ladder.c.source, ladder.c.target)
            )
            .all()
        )

    @staticmethod
    def _ladder(period: Period, facts: customers.Facts) -> tuple[Any, PromoterJoin]:
        """The ladder's two inputs from the customer facts: per customer with an order
        before the period's end, their orders by its end (``now``) and start
        (``before``, 0 without); and who was a promoter then (:meth:`_promoters`)."""
        start, end = period.start_utc, period.end_utc
        rows = facts.orders
        wanted = (rows.c.customer, rows.c.orders)
        now = select(*wanted).where(customers.standing(rows, end)).subquery("orders_now")
        early = select(*wanted).where(customers.standing(rows, start)).subquery("orders_before")
        orders = (
            select(
                now.c.customer.label("customer"),
                now.c.orders.label("now"),
                func.coalesce(early.c.orders, 0).label("before"),
            )
            .select_from(now)
            .outerjoin(early, early.c.customer == now.c.customer)
            .subquery("customer_orders")
        )
        return orders, Insights._promoters(start, end, facts)

    @staticmethod
    def _promoters(
        start: Any, end: Any, facts: customers.Facts, *, after_all: bool = False
    ) -> PromoterJoin:
        """The customers whose newest NPS answer by ``end``, and by ``start``, was a 9 or
        10, from the customer facts (``start``/``end``: instants or SQL expressions of
        them), as a :data:`PromoterJoin`: each instant is one scan of the answers' facts
        kept to its promoters, joined on its own (no join of the two instants)."""
        nps = facts.nps

        def at(moment: Any, name: str, latest: bool = False) -> Any:
            return (
                select(nps.c.customer)
                .where(
                    customers.standing(nps, moment, "answered_at", after_all=latest),
                    nps.c.value >= 9,  # the partial index ``…_promoters`` holds them
                )
                .subquery(name)
            )

        def join(selectable: Any, customer: Any) -> tuple[Any, Any, Any]:
            now = at(end, "promoters_now", after_all)
            before = at(start, "promoters_before")
            joined = selectable.outerjoin(now, now.c.customer == customer).outerjoin(
                before, before.c.customer == customer
            )
            return joined, now.c.customer.is_not(None), before.c.customer.is_not(None)

        return join

    @staticmethod
    def _ladder_live(period: Period) -> tuple[Any, PromoterJoin]:
        """:meth:`_ladder` read from the orders and the NPS answers."""
        early = Order.placed_at < period.start_utc
        orders = (
            select(
                _customer().label("customer"),
                func.count(Order.id).label("now"),
                func.sum(case((early, 1), else_=0)).label("before"),
            )
            .where(Order.placed_at < period.end_utc)
            .group_by(_customer())
            .subquery("customer_orders")
        )
        answered_early = case((Answer.created_at < period.start_utc, 1), else_=0)
        newest = (
            select(
                func.lower(Order.email).label("customer"),
                Answer.value.label("value"),
                answered_early.label("early"),
                func.row_number()
                .over(
                    partition_by=func.lower(Order.email),
                    order_by=(Answer.created_at.desc(), Answer.id.desc()),
                )
                .label("newest"),
                func.row_number()
                .over(
                    partition_by=(func.lower(Order.email), answered_early),
                    order_by=(Answer.created_at.desc(), Answer.id.desc()),
                )
                .label("newest_of_its_side"),
            )
            .join(Response, Response.id == Answer.response_id)
            .join(Order, Order.id == Response.order_id)
            .where(
                Answer.type == "nps",
                Answer.kind == "customer",
                Answer.value.is_not(None),
                Answer.created_at < period.end_utc,
            )
            .subquery("newest_nps")
        )
        promoters = (
            select(
                newest.c.customer,
                func.max(case((newest.c.newest == 1, newest.c.value))).label("now"),
                func.max(
                    case(
                        (
                            and_(newest.c.early == 1, newest.c.newest_of_its_side == 1),
                            newest.c.value,
                        )
                    )
                ).label("before"),
            )
            .group_by(newest.c.customer)
            .subquery("latest_nps")
        )

        def join(selectable: Any, customer: Any) -> tuple[Any, Any, Any]:
            joined = selectable.outerjoin(promoters, promoters.c.customer == customer)
            return joined, promoters.c.now >= 9, promoters.c.before >= 9

        return orders, join

    # -- surveys --------------------------------------------------------------------

    def indices(self, start: date | Period, end: date | None = None) -> dict[str, Figure]:
        """The eight indices: ``{area: Figure}`` on 0-100 (DOMAIN.md: each answer scored
        100·(v - 1)/(k - 1), the weighted mean of an area's answers; t interval), hidden
        below ``SHOPCARE_INSIGHTS_MIN_N`` answers."""
        return answers.indices(self.period(start, end), self.minimum())

    def audits(self, start: date | Period, end: date | None = None) -> dict[str, Figure]:
        """The mystery-shopper audits' score per area, as :meth:`indices` (shown from
        one audit answer: audits are few and each is a deliberate check)."""
        return answers.indices(self.period(start, end), 1, kind="audit")

    def index_trend(
        self, start: date | Period, end: date | None = None
    ) -> list[tuple[Any, dict[str, Figure]]]:
        """The indices month by month: ``[(Bucket, {area: Figure})]``."""
        return answers.index_trend(self.period(start, end), self.minimum())

    def nps(self, start: date | Period, end: date | None = None) -> Figure:
        """NPS in points, -100 to 100, with its adjusted-Wald 95 % interval."""
        return answers.nps(self.period(start, end), self.minimum())

    def csat(self, start: date | Period, end: date | None = None) -> Figure:
        """CSAT in percent (answers of 4 or 5 to the overall 1-5 question), Wilson."""
        return answers.csat(self.period(start, end), self.minimum())

    def ces(self, start: date | Period, end: date | None = None) -> Figure:
        """CES, the mean of the 1-7 answers, with a t interval."""
        return answers.ces(self.period(start, end), self.minimum())

    def distribution(
        self, question_type: str, start: date | Period, end: date | None = None
    ) -> dict[int, int]:
        """``{value: answers}`` over the whole scale of ``nps`` (0-10), ``rating`` (the
        CSAT question, 1-5) or ``ces`` (1-7)."""
        key = "csat" if question_type == "rating" else None
        return answers.distribution(self.period(start, end), question_type, key)

    def response_rate(self, start: date | Period, end: date | None = None) -> Figure:
        """Answered / delivered invitations, in percent, for invitations sent in the period."""
        return answers.response_rate(self.period(start, end))

    # -- complaints -----------------------------------------------------------------

    def complaints(
        self, start: date | Period, end: date | None = None, *, now: datetime | None = None
    ) -> dict[str, Any]:
        """Tickets opened in the period: ``{"volume": [{"kind", "area", "tickets"}],
        "first_response": {"n", "median_hours", "p90_hours"}, "resolution": {…},
        "first_response_sla": SlaShare, "resolution_sla": SlaShare, "handling": Figure
        (share of 4-5 on 1-5), "handling_distribution": {1..5: n}}``. Times are calendar
        hours from opening; an SLA share counts only tickets with that target."""
        period = self.period(start, end)
        return complaints.figures(period, now or datetime.now(UTC), self.minimum())

    # -- one product ----------------------------------------------------------------

    def product(
        self, sku: str, start: date | Period, end: date | None = None
    ) -> dict[str, Any] | None:
        """One product's page: ``{"sku", "name", "delivered", "returned", "return_rate":
        Figure, "reasons": [{"reason", "units"}], "guarantee_claims", "guarantee_units",
        "indices": {area: Figure} (answers about orders with the product), "tickets":
        {kind: n} (tickets about those orders)}``, or ``None`` for a SKU never ordered."""
        period = self.period(start, end)
        name = (
            session().execute(select(func.max(OrderLine.name)).where(OrderLine.sku == sku)).scalar()
        )
        if name is None:
            return None
        returned = self._returned_units()
        delivered, back = (
            session()
            .execute(
                select(
                    func.coalesce(func.sum(OrderLine.quantity), 0),
                    func.coalesce(func.sum(returned.c.returned), 0),
                )
                .select_from(OrderLine)
                .join(Order, Order.id == OrderLine.order_id)
                .outerjoin(returned, returned.c.order_line_id == OrderLine.id)
                .where(OrderLine.sku == sku, self._delivered_lines(period))
            )
            .one()
        )
        lines = returned_source(OrderLine.sku == sku, self._delivered_lines(period)).subquery()
        units = func.sum(lines.c.quantity)
        reasons = (
            session()
            .execute(
                select(lines.c.reason, units)
                .group_by(lines.c.reason)
                .order_by(units.desc(), lines.c.reason)
            )
            .all()
        )
        claims = self.guarantee_claims(period, sku=sku)
        orders = select(OrderLine.order_id).where(OrderLine.sku == sku)
        tickets = (
            session()
            .execute(
                select(Ticket.kind, func.count())
                .where(
                    Ticket.order_id.in_(orders),
                    Ticket.created_at >= period.start_utc,
                    Ticket.created_at < period.end_utc,
                )
                .group_by(Ticket.kind)
                .order_by(Ticket.kind)
            )
            .all()
        )
        return {
            "sku": sku,
            "name": name,
            "delivered": int(delivered),
            "returned": int(back),
            "return_rate": stats.wilson(int(back), int(delivered), minimum=1),
            "reasons": [{"reason": r, "units": int(u)} for r, u in reasons],
            "guarantee_claims": claims[0]["claims"] if claims else 0,
            "guarantee_units": claims[0]["units"] if claims else 0,
            "indices": answers.indices(period, self.minimum(), orders=orders),
            "tickets": {kind: int(n) for kind, n in tickets},
        }


class ReturnsSummary:
    """The return figures of a period and its comparison period, as the dashboard shows
    them: the delivered units per bucket (the whole comparison period, then each week or
    month of the period) and category from the daily rollup
    (``shopcare.insights.units``; today live), and the returned units from the returned
    lines' facts (``shopcare.insights.returned``; what changed since the worker's last
    run live), grouped four ways in the database (per bucket; the period's per SKU,
    category and reason). The return rate of both periods, its trend, its categories, its
    reasons and the most returned products are added up from those rows; each equals
    what :meth:`Insights.return_rate` gives for the same ``by``."""

    def __init__(self, insights: Insights, current: Period, grain: str) -> None:
        from shopcare.insights import units

        previous = current.previous()
        self.insights = insights
        self.current = current
        self.buckets = current.buckets(grain)
        self._tops: dict[int, list[ProductRate]] = {}
        self._units: dict[str, tuple[int, int]] = {}
        whole = Bucket(previous.start, previous.end, previous.start_utc, previous.end_utc)
        every = [whole, *self.buckets]
        self.delivered = units.delivered(every)
        found = returned.lines(previous.start_utc, current.end_utc)
        lines = select(
            bucket_index(found.c.delivered_at, every).label("bucket"),
            found.c.sku,
            found.c.category,
            found.c.reason,
            found.c.quantity,
        ).cte("returned_grouped")
        asked = func.sum(lines.c.quantity)
        in_period = lines.c.bucket > 0
        keys = {  # what the rows are grouped by, and which rows
            "bucket": (cast(lines.c.bucket, String), lines.c.bucket.is_not(None)),
            "sku": (lines.c.sku, in_period),
            "category": (lines.c.category, in_period),
            "reason": (lines.c.reason, in_period),
        }
        #: the units asked back per bucket (0: the comparison period), and the period's
        #: per SKU, category and reason: a few hundred grouped rows, not one per line
        self.returned: dict[str, dict[Any, int]] = {tag: {} for tag in keys}
        grouped = union_all(
            *(
                select(literal(tag), key, asked).where(which).group_by(key)
                for tag, (key, which) in keys.items()
            )
        )
        for tag, key, quantity in read_rows(grouped, {}).all():
            self.returned[tag][int(key) if tag == "bucket" else key] = int(quantity or 0)

    @staticmethod
    def _on(which: str, bucket: int) -> bool:
        return bucket == 0 if which == "previous" else bucket > 0

    def units(self, which: str = "current") -> tuple[int, int]:
        """``(delivered, returned)`` units of the period (or ``"previous"``)."""
        if which not in self._units:
            self._units[which] = (
                sum(n for (i, _), n in self.delivered.items() if self._on(which, i)),
                sum(n for i, n in self.returned["bucket"].items() if self._on(which, i)),
            )
        return self._units[which]

    def total(self, which: str = "current") -> Figure:
        """As ``return_rate(period)``."""
        delivered, back = self.units(which)
        return stats.wilson(back, delivered, minimum=1)

    def trend(self) -> list[tuple[Any, Figure]]:
        """As ``return_rate(period, by=grain)``."""
        delivered: dict[int, int] = {}
        for (i, _), n in self.delivered.items():
            delivered[i] = delivered.get(i, 0) + n
        back = self.returned["bucket"]
        return [
            (
                bucket,
                stats.wilson(back.get(i + 1, 0), delivered[i + 1], minimum=1)
                if delivered.get(i + 1)
                else Figure(None, 0),
            )
            for i, bucket in enumerate(self.buckets)
        ]

    def by(self, by: str) -> list[ProductRate]:
        """As ``return_rate(period, by="product" | "category")``: most returned first,
        then by key. By product, every product delivered in the period is read live (the
        dashboard asks only for :meth:`top`)."""
        if by == "product":
            return self.insights._return_rate_by_line(self.current, "product")
        delivered: dict[str, int] = {}
        for (i, category), n in self.delivered.items():
            if i > 0:
                delivered[category] = delivered.get(category, 0) + n
        back = self.returned["category"]
        ordered = sorted(delivered, key=lambda key: (-back.get(key, 0), key))
        return [
            ProductRate(
                key,
                key,
                delivered[key],
                back.get(key, 0),
                stats.wilson(back.get(key, 0), delivered[key], minimum=1),
            )
            for key in ordered
        ]

    def top(self, limit: int) -> list[ProductRate]:
        """The ``limit`` products with the most units asked back in the period, most
        first (then by SKU), with their delivered units and rate (products with none
        asked back are left out): as :meth:`Insights.top_returned`. Remembered per
        ``limit`` (the dashboard computes it with the rest, then reads it)."""
        if limit in self._tops:
            return self._tops[limit]
        self._tops[limit] = self._top(limit)
        return self._tops[limit]

    def _top(self, limit: int) -> list[ProductRate]:
        back = self.returned["sku"]
        chosen = sorted((sku for sku, n in back.items() if n), key=lambda s: (-back[s], s))
        chosen = chosen[:limit]
        if not chosen:
            return []
        delivered = {
            sku: (name, int(n or 0))
            for sku, name, n in session()
            .execute(
                select(OrderLine.sku, func.max(OrderLine.name), func.sum(OrderLine.quantity))
                .join(Order, Order.id == OrderLine.order_id)
                .where(
                    OrderLine.sku.in_(chosen),
                    Order.delivered_at >= self.current.start_utc,
                    Order.delivered_at < self.current.end_utc,
                )
                .group_by(OrderLine.sku)
            )
            .all()
        }
        return [
            ProductRate(
                sku,
                delivered[sku][0],
                delivered[sku][1],
                back[sku],
                stats.wilson(back[sku], delivered[sku][1], minimum=1),
            )
            for sku in chosen
        ]

    def reasons(self) -> list[ProductRate]:
        """As ``return_rate(period, by="reason")``: each reason's units over all units
        delivered in the period, most first, then by reason."""
        delivered, _ = self.units()
        back = self.returned["reason"]
        return [
            ProductRate(key, key, delivered, n, stats.wilson(n, delivered, minimum=1))
            for key, n in sorted(back.items(), key=lambda item: (-item[1], item[0]))
        ]


def _after_all(period: Period) -> bool:
    """Whether ``period`` ends after everything the customer facts hold (every preset
    does: they end tomorrow), so that where customers stood at its end is their latest
    row (``customers.standing``'s ``after_all``)."""
    newest = customers.newest()
    return newest is None or newest < period.end_utc


def _steps(
    orders_now: Any, orders_before: Any, promoter_now: Any, promoter_before: Any
) -> tuple[Any, Any]:
    """The loyalty step at the period's end and at its start (``"none"``: no order
    then) of a customer with ``orders_now`` and ``orders_before`` orders, a promoter
    by their newest NPS answer then or not (``promoter_now``, ``promoter_before``)."""
    step_now = case(
        (promoter_now, "recommendation"),
        (orders_now >= 2, "repurchase"),
        else_="purchase",
    )
    step_before = case(
        (orders_before == 0, "none"),
        (promoter_before, "recommendation"),
        (orders_before >= 2, "repurchase"),
        else_="purchase",
    )
    return step_now, step_before


def _segments_found(rows: Iterable[Any]) -> dict[str, Any]:
    """:meth:`Insights.segments`'s result from ``(from, to, customers, money)`` rows."""
    rows = list(rows)
    counted: dict[str, list[int]] = {segment: [0, 0] for segment in SEGMENTS}
    for _source, target, count, revenue in rows:  # at most 9 x 8 grouped rows
        counted[target][0] += int(count)
        counted[target][1] += int(revenue or 0)
    total = sum(revenue for _, revenue in counted.values())
    return {
        "segments": [
            {
                "segment": segment,
                "customers": counted[segment][0],
                "revenue_share": (round(100.0 * counted[segment][1] / total, 2) if total else None),
            }
            for segment in SEGMENTS
        ],
        "moves": [
            {"from": source, "to": target, "customers": int(count)}
            for source, target, count, _ in rows
            if source != target
        ],
    }


def _loyalty_found(rows: Iterable[Any]) -> dict[str, Any]:
    """:meth:`Insights.loyalty`'s result from ``(from, to, customers)`` rows."""
    rows = list(rows)
    steps = dict.fromkeys(STEPS[1:], 0)
    previous = dict.fromkeys(STEPS[1:], 0)
    for source, target, count in rows:  # at most 4 x 3 grouped rows
        steps[target] += int(count)
        if source != "none":
            previous[source] += int(count)
    return {
        "steps": steps,
        "previous_steps": previous,
        "flows": [
            {"from": source, "to": target, "customers": int(count)}
            for source, target, count in rows
        ],
    }


def _segment(r: Any, fm: Any) -> Any:
    """The RFM segment of a recency score and a frequency-money score (1-5 each)."""
    return case(
        (and_(r >= 4, fm >= 4), "champions"),
        (and_(r >= 4, fm == 1), "new"),
        (and_(r >= 3, fm >= 2, fm <= 3), "potential"),
        (and_(r == 3, fm >= 4), "loyal"),
        (and_(r <= 2, fm >= 4), "cant_lose"),
        (and_(r <= 2, fm >= 2), "at_risk"),
        (and_(r >= 2, fm == 1), "hibernating"),
        else_="lost",
    )


def current_insights() -> Insights:
    """The ``care.insights`` of the current app."""
    insights: Insights = current_app.extensions["shopcare"].care.insights
    return insights
