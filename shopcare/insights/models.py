"""The insights' own tables: daily rollups of the survey answers and of the delivered
units, the per-customer facts of the orders and NPS answers, the returned lines' facts,
and their watermarks.

The rollups hold counts and sums only (no answer text, no e-mail, no order): nothing in
it is personal data. The customer facts are keyed by the customer's e-mail (lower-cased),
so ``shopcare.insights.privacy`` exports them and, on an erasure, replaces the key by
the erasure's alias, as the orders' own e-mail is replaced (README "Insights").
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Float, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from shopcare.core.db import Base, utcnow


class DailyAnswers(Base):
    """The customer and audit answers of one shop-local ``day`` that share a kind, area,
    type, question and value: how many (``answers``; ``scored`` of them with a 0-100
    score) and their sums of weight, weight x score and weight x score²
    (``weights``, ``total``, ``squares``) — what the dashboard's NPS, CSAT, CES,
    distributions and indices add up (``shopcare.insights.rollup``)."""

    __tablename__ = "shopcare_insights_daily_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    area: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(16))
    question_id: Mapped[int]
    value: Mapped[int]
    answers: Mapped[int]
    scored: Mapped[int]
    weights: Mapped[float] = mapped_column(Float)
    total: Mapped[float] = mapped_column(Float)
    squares: Mapped[float] = mapped_column(Float)

    __table_args__ = (
        # one row per group and day; its leading ``day`` serves the dashboard's ranges
        UniqueConstraint(
            "day",
            "kind",
            "area",
            "type",
            "question_id",
            "value",
            name="uq_shopcare_insights_daily_answers_group",
        ),
    )


class DailyUnits(Base):
    """The units of the order lines of the orders delivered on one shop-local ``day``, per
    product ``category`` (``""`` without one): the return rate's denominator
    (``shopcare.insights.units``)."""

    __tablename__ = "shopcare_insights_daily_units"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(String(100), primary_key=True)
    units: Mapped[int] = mapped_column(BigInteger)


class ReturnedLine(Base):
    """One case line of a return or withdrawal that counts (``COUNTING``) on an order
    with a delivery, as the return figures read it (``shopcare.insights.returned``): the
    order's ``delivered_at`` (UTC), the order line's ``sku`` and ``category`` (``""``
    without one), the case's ``reason`` (its kind without one) and the units asked back.
    No personal data: the case and order ids tie a row to its source."""

    __tablename__ = "shopcare_insights_returned_lines"

    case_line_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    case_id: Mapped[int]
    order_id: Mapped[int]
    delivered_at: Mapped[datetime]
    sku: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[int]

    __table_args__ = (Index("ix_shopcare_insights_returned_lines_delivered_at", "delivered_at"),)


class Rollup(Base):
    """Where a rollup stands (one row per rollup ``name``): every shop-local day before
    ``until`` is rolled up, cut in ``zone``; ``last_id`` is the highest source row id
    seen, so a late row for an older day is found and its day redone. The customer
    facts' two rows (``customer_orders``, ``customer_nps``; no zone: the facts are
    instants) set ``until`` to the day of their last run (``NULL``: never built) and
    ``seen_at`` to the newest change time seen in their source."""

    __tablename__ = "shopcare_insights_rollups"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    zone: Mapped[str] = mapped_column(String(64))
    until: Mapped[date | None] = mapped_column(Date)
    last_id: Mapped[int] = mapped_column(default=0)
    #: the newest change time seen in the source rows (orders' ``updated_at``, answers'
    #: ``created_at``): rows changed after it are read live (the customer facts)
    seen_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CustomerOrder(Base):
    """One order as a step in its customer's history (``shopcare.insights.customers``):
    the ``customer`` (the order's e-mail, lower-cased), ``placed_at``, what its lines
    cost (``paid``, minor units, currencies added as they come), and after it, counted
    by ``(placed_at, order_id)``: the customer's ``orders`` so far, ``money`` so far,
    the ``gap`` in days since their previous order (``NULL`` for the first) and
    ``next_at``, when their next order was placed (``NULL`` for the latest).

    The row with ``placed_at < T <= next_at`` (or no ``next_at``) is where the customer
    stood at the instant ``T``: one row per customer, whatever ``T``."""

    __tablename__ = "shopcare_insights_customer_orders"

    order_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    customer: Mapped[str] = mapped_column(String(254))
    placed_at: Mapped[datetime]
    paid: Mapped[int] = mapped_column(BigInteger)
    orders: Mapped[int]
    money: Mapped[int] = mapped_column(BigInteger)
    gap: Mapped[float | None] = mapped_column(Float)
    next_at: Mapped[datetime | None]

    __table_args__ = (
        # a customer's rows (their refresh, an erasure)
        Index("ix_shopcare_insights_customer_orders_customer", "customer", "placed_at"),
        # each customer's latest row, with what the segments and the ladder read of it
        # (``customers.standing`` with ``after_all``)
        Index(
            "ix_shopcare_insights_customer_orders_latest",
            "placed_at",
            postgresql_include=["customer", "order_id", "orders", "money"],
            postgresql_where=text("next_at IS NULL"),
            sqlite_where=text("next_at IS NULL"),
        ),
    )


class CustomerNps(Base):
    """One customer NPS answer (0-10) as a step in its customer's history: the
    ``customer`` (the e-mail of the answer's order, lower-cased), ``answered_at``,
    ``value``, and ``next_at``, when the customer's next NPS answer came (``NULL`` for the
    latest; counted by ``(answered_at, answer_id)``)."""

    __tablename__ = "shopcare_insights_customer_nps"

    answer_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    customer: Mapped[str] = mapped_column(String(254))
    answered_at: Mapped[datetime]
    value: Mapped[int]
    next_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_shopcare_insights_customer_nps_customer", "customer", "answered_at"),
        Index(
            "ix_shopcare_insights_customer_nps_latest",
            "answered_at",
            postgresql_include=["customer", "value"],
            postgresql_where=text("next_at IS NULL"),
            sqlite_where=text("next_at IS NULL"),
        ),
        # the promoters (9 and 10) at an instant before the newest answer (the loyalty
        # ladder's start): an index-only scan of the promoters instead of every answer
        Index(
            "ix_shopcare_insights_customer_nps_promoters",
            "answered_at",
            postgresql_include=["customer", "next_at"],
            postgresql_where=text("value >= 9"),
            sqlite_where=text("value >= 9"),
        ),
    )
