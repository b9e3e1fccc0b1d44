"""What the shopper's pages read: an order with its version stamp, everything its
tracking part shows (in three queries), a shopper's order list, the order's status for
the host's own pages (:class:`~shopcare.tracking.summary.OrderStatus`), one shipment."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    Select,
    String,
    bindparam,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from shopcare.core import shared_reads
from shopcare.core.db import mapped_columns, persistent, read_rows, session, utcnow
from shopcare.core.events import Event
from shopcare.core.paging import Page, paging
from shopcare.core.validation import MAX_ID, check_int
from shopcare.orders.models import Order, OrderLine
from shopcare.orders.services import reference_key
from shopcare.tracking.lateness import is_late
from shopcare.tracking.models import Shipment, ShipmentLine
from shopcare.tracking.statuses import ARRIVED, EXPIRED, STATUS_STEP, TROUBLE
from shopcare.tracking.summary import OrderStatus, summarize, tracking_status

ORDERS_PER_PAGE = 20


@dataclass
class ShipmentView:
    """One shipment as the order page shows it."""

    shipment: Shipment
    number: int
    lines: list[tuple[OrderLine, int]]
    step: int
    late: bool

    @property
    def trouble(self) -> bool:
        return self.shipment.status in TROUBLE or self.shipment.status == EXPIRED


@dataclass
class OrderTracking:
    """Everything the order page shows, loaded in three queries.

    ``changes_at`` is the next moment what it shows changes by the clock alone (a
    shipment's delivery window closes and it turns late), or ``None``.
    """

    order: Order
    status: str
    shipments: list[ShipmentView]
    #: The public events, oldest first: rows with ``id``, ``action``, ``occurred_at``,
    #: ``data``, ``from_state`` and ``to_state``.
    timeline: list[Any]
    summary: OrderStatus
    unshipped: list[tuple[OrderLine, int]] = field(default_factory=list)
    changes_at: datetime | None = None
    _numbers: dict[Any, int] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.shipments) > 1:
            self._numbers = {view.shipment.id: view.number for view in self.shipments}

    def shipment_number(self, event: Any) -> int | None:
        """The 1-based number of the shipment an event is about (when there are several)."""
        return self._numbers.get(event.data.get("shipment_id"))


class OrderVersion(NamedTuple):
    """What changes whenever anything the order page shows changes: the order's row
    (``updated_at``) and its event log (``events``, how many it holds).

    The log is append-only and every tracking change records an event, so the count
    grows with each change once it commits; unlike the newest id, it also grows when
    a transaction holding an older id commits after a newer one.
    """

    order_id: int
    updated_at: datetime
    events: int


class VersionedOrder(NamedTuple):
    """An order (lines loaded) and its :class:`OrderVersion`, read in one query."""

    order: Order
    version: OrderVersion


@dataclass(frozen=True)
class OrderSummary:
    """A row of the shopper's order list."""

    order: Order
    status: OrderStatus
    shipments: int


def get(shipment_id: int) -> Shipment | None:
    """One shipment by id.

    :raises ValidationError: for an id no shipment can have.
    """
    return session().get(Shipment, check_int(shipment_id, "shipment_id", minimum=1, maximum=MAX_ID))


def shipments(order: Order) -> list[Shipment]:
    """An order's shipments with their lines, oldest first (one query)."""
    return list(session().scalars(_shipments_query(), {"order_id": order.id}).unique())


def order_for_page(reference: str) -> Order | None:
    """The order with its lines in one query (the order page's first)."""
    key = reference_key(reference)
    if key is None:
        return None
    return (
        session()
        .scalars(select(Order).options(joinedload(Order.lines)).where(Order.reference_key == key))
        .unique()
        .one_or_none()
    )


def versioned_order(reference: str) -> VersionedOrder | None:
    """The order with its lines and its :class:`OrderVersion`, in one query (the
    order page's first; with a cached fragment, its only one).

    Read with Core and made the session's persistent objects without the ORM's loading
    (:func:`shopcare.core.db.persistent`: every column, ``lines`` and each line's
    ``order`` loaded); when the session holds the order already, that object, as a
    query would give it."""
    key = reference_key(reference)
    if key is None:
        return None
    rows = read_rows(_versioned_order_query(), {"reference": key}).all()
    if not rows:
        return None
    first = rows[0]
    width = len(mapped_columns(Order)[0])
    events = int(first[width])
    order = persistent(Order, first[:width])
    if "lines" not in order.__dict__:  # new to the session (a held order keeps its own)
        lines = [
            persistent(OrderLine, row[width + 1 :]) for row in rows if row[width + 1] is not None
        ]
        set_committed_value(order, "lines", lines)
        for line in lines:
            if "order" not in line.__dict__:
                set_committed_value(line, "order", order)
    return VersionedOrder(order, OrderVersion(order.id, order.updated_at, events))


class ParcelLine(NamedTuple):
    """A shipment line as :class:`ParcelRow` holds it."""

    order_line_id: int
    quantity: int


class ParcelRow:
    """A shipment read as a light row: its columns, ``lines`` (:class:`ParcelLine`),
    and the model's ``carrier_name`` and ``tracking_url``; no relationships, not in the
    session. The order page reads its parcels this way while only shopcare's own
    templates show them (see :func:`order_tracking`): a row is several times cheaper
    to build than an ORM ``Shipment`` with its lines."""

    __slots__ = (*(column.key for column in Shipment.__table__.columns), "lines")

    carrier_name = Shipment.__dict__["carrier_name"]
    tracking_url = Shipment.__dict__["tracking_url"]

    def __init__(self, values: Iterable[Any]) -> None:
        """``values``: the shipment's columns, in the table's order."""
        for key, value in zip(_SHIPMENT_COLUMNS, values, strict=False):
            setattr(self, key, value)
        self.lines: list[ParcelLine] = []

    def __repr__(self) -> str:
        return f"<ParcelRow {self.id} {self.carrier}:{self.tracking_number} {self.status}>"  # type: ignore[attr-defined]


_SHIPMENT_COLUMNS = tuple(column.key for column in Shipment.__table__.columns)


def _parcel_rows(order_id: int) -> list[Any]:
    """An order's shipments with their lines as :class:`ParcelRow`, oldest first (one
    statement, as :func:`shipments`)."""
    rows = read_rows(_parcel_rows_query(), {"order_id": order_id})
    return _group_parcels(rows, slice(0, len(_SHIPMENT_COLUMNS)))


def _group_parcels(rows: Iterable[Any], shipment: slice) -> list[ParcelRow]:
    """Rows of a shipment's columns (at ``shipment``) with one of its lines (the last
    two values: ``order_line_id``, ``quantity``; ``None`` for a parcel without lines),
    in order, as one :class:`ParcelRow` per shipment."""
    parcels: dict[int, ParcelRow] = {}
    ident = shipment.start + _SHIPMENT_COLUMNS.index("id")
    for row in rows:
        parcel = parcels.get(row[ident])
        if parcel is None:
            parcel = parcels[row[ident]] = ParcelRow(row[shipment])
        order_line_id, quantity = row[-2:]
        if order_line_id is not None:
            parcel.lines.append(ParcelLine(order_line_id, quantity))
    return list(parcels.values())


@cache
def _parcel_rows_query() -> Select[Any]:
    """:func:`_parcel_rows`' SELECT (each shipment's columns, then one line's), built once."""
    order_id: BindParameter[int] = bindparam("order_id")
    shipments_table = Shipment.__table__
    lines_table = ShipmentLine.__table__
    return (
        select(
            *shipments_table.columns,
            lines_table.c.order_line_id.label("line_order_line_id"),
            lines_table.c.quantity.label("line_quantity"),
        )
        .select_from(
            shipments_table.outerjoin(
                lines_table, lines_table.c.shipment_id == shipments_table.c.id
            )
        )
        .where(shipments_table.c.order_id == order_id)
        .order_by(shipments_table.c.id, lines_table.c.id)
    )


def order_tracking(
    order: Order, *, now: datetime | None = None, rows: bool = False
) -> OrderTracking:
    """What the order page shows: two more queries (shipments with their lines, and
    the public timeline), whatever the number of lines, shipments and events.

    Each :class:`ShipmentView`'s ``shipment`` is the ORM ``Shipment``; with ``rows``, a
    :class:`ParcelRow` (the order page, while every template that shows it is
    shopcare's own)."""
    now = now or utcnow()
    parcels: list[Any]
    if rows and session().get_bind().dialect.name != "sqlite":
        parcels, timeline = _parcels_and_timeline(order.id)  # one round trip, not two
    elif rows:
        # SQLite has no round trip to save, and the UNION's typed NULLs (each through
        # its column's result processor) cost more than the second statement.
        parcels, timeline = _parcel_rows(order.id), _public_timeline(order.id)
    else:
        parcels, timeline = shipments(order), _public_timeline(order.id)
    reached: dict[int, int] = {}
    for event in timeline:
        shipment_id, status = event.data.get("shipment_id"), event.data.get("status")
        if shipment_id is not None and status in STATUS_STEP:
            reached[shipment_id] = max(reached.get(shipment_id, 0), STATUS_STEP[status])
    if rows:  # the order page: its after-sales panel reads these parcel lines too
        shared_reads.remember("parcel_lines", order.id, _parcel_lines(parcels))
    shipped: dict[int, int] = {}
    views = []
    order_lines = {line.id: line for line in order.lines}  # loaded with the order
    for number, shipment in enumerate(parcels, start=1):
        for line in shipment.lines:
            shipped[line.order_line_id] = shipped.get(line.order_line_id, 0) + line.quantity
        # A shipment exists once its parcel was handed over: at least "shipped".
        step = max(1, reached.get(shipment.id, 0), STATUS_STEP.get(shipment.status, 1))
        views.append(
            ShipmentView(
                shipment=shipment,
                number=number,
                lines=[
                    (order_lines.get(line.order_line_id) or _order_line(line), line.quantity)
                    for line in shipment.lines
                ],
                step=step,
                late=is_late(shipment, now),
            )
        )
    unshipped = [
        (line, line.quantity - shipped.get(line.id, 0))
        for line in order.lines
        if line.quantity > shipped.get(line.id, 0)
    ]
    units = sum(line.quantity for line in order.lines)
    closing = [
        s.estimated_latest
        for s in parcels
        if s.estimated_latest is not None
        and s.estimated_latest >= now
        and s.status not in ARRIVED
        and s.status not in TROUBLE
    ]
    return OrderTracking(
        order=order,
        status=tracking_status(s.status for s in parcels),
        shipments=views,
        timeline=timeline,
        summary=summarize(
            parcels,
            units=units,
            units_shipped=units - sum(count for _line, count in unshipped),
            now=now,
        ),
        unshipped=unshipped if parcels else [],
        changes_at=min(closing, default=None),
    )


def _parcel_lines(parcels: list[Any]) -> list[tuple[str, datetime | None, int | None, int | None]]:
    """Each parcel line as ``(status, delivered_at, order_line_id, quantity)``, a parcel
    without lines as one with ``None`` for both: what the parcels' outer join with their
    lines gives (``shopcare.cases.services.order_facts``)."""
    found: list[tuple[str, datetime | None, int | None, int | None]] = []
    for parcel in parcels:
        if not parcel.lines:
            found.append((parcel.status, parcel.delivered_at, None, None))
        for line in parcel.lines:
            found.append((parcel.status, parcel.delivered_at, line.order_line_id, line.quantity))
    return found


def _order_line(line: Any) -> OrderLine:
    """A parcel line's order line when the order's loaded lines lack it."""
    if isinstance(line, ParcelLine):
        found = session().get(OrderLine, line.order_line_id)
        assert found is not None  # the foreign key
        return found
    return line.order_line


def orders_for_user(
    user_id: str | int, page: int = 1, per_page: int = ORDERS_PER_PAGE
) -> Page[OrderSummary]:
    """A shopper's orders, newest first, with their status (four queries a page).

    :raises ValidationError: for a ``page`` outside 1…10,000 or a ``per_page``
        outside 1…10,000.
    """
    db = session()
    page, per_page = paging(page, per_page)
    owned = Order.user_id == str(user_id)
    total = db.scalar(select(func.count()).select_from(Order).where(owned)) or 0
    orders = list(
        db.scalars(
            select(Order)
            .where(owned)
            .order_by(Order.placed_at.desc(), Order.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    statuses = _statuses(
        {order.id: sum(line.quantity for line in order.lines) for order in orders}, utcnow()
    )
    items = [
        OrderSummary(order, statuses[order.id], statuses[order.id].parcels) for order in orders
    ]
    return Page(items, page, per_page, page * per_page < total, total)


def order_status(reference: str, *, now: datetime | None = None) -> OrderStatus | None:
    """An order's delivery status as a shopper reads it (``None`` for no such order):
    what the shopper's pages show, for the host's own pages. Two queries."""
    if reference_key(reference) is None:
        return None
    return order_statuses([reference], now=now).get(reference)


def order_statuses(
    references: Iterable[str], *, now: datetime | None = None
) -> dict[str, OrderStatus]:
    """:func:`order_status` of several orders, by reference, in two queries (unknown
    references are left out): for a host's list of orders. References match as
    look-ups match them (:func:`shopcare.orders.services.reference_key`); the result
    is keyed by the references as given."""
    given: dict[str, list[str]] = {}
    for reference in references:
        key = reference_key(reference)
        if key is not None:
            given.setdefault(key, []).append(reference)
    if not given:
        return {}
    rows = session().execute(
        select(Order.id, Order.reference_key, func.coalesce(func.sum(OrderLine.quantity), 0))
        .join(OrderLine, OrderLine.order_id == Order.id, isouter=True)
        .where(Order.reference_key.in_(sorted(given)))
        .group_by(Order.id, Order.reference_key)
    )
    keys_by_id: dict[int, str] = {}
    units: dict[int, int] = {}
    for order_id, key, count in rows:
        keys_by_id[order_id] = key
        units[order_id] = int(count)
    statuses = _statuses(units, now or utcnow())
    return {
        reference: status
        for order_id, status in statuses.items()
        for reference in given[keys_by_id[order_id]]
    }


def _statuses(units: Mapping[int, int], now: datetime) -> dict[int, OrderStatus]:
    """The :class:`OrderStatus` of each order id, given its units (one query)."""
    if not units:
        return {}
    carried = (
        select(func.coalesce(func.sum(ShipmentLine.quantity), 0))
        .where(ShipmentLine.shipment_id == Shipment.id)
        .scalar_subquery()
    )
    parcels: dict[int, list[Any]] = {order_id: [] for order_id in units}
    shipped: dict[int, int] = dict.fromkeys(units, 0)
    for row in session().execute(
        select(
            Shipment.order_id,
            Shipment.status,
            Shipment.estimated_latest,
            Shipment.resolution,
            carried.label("units"),
        ).where(Shipment.order_id.in_(list(units)))
    ):
        parcels[row.order_id].append(row)
        shipped[row.order_id] += int(row.units)
    return {
        order_id: summarize(
            parcels[order_id], units=count, units_shipped=shipped[order_id], now=now
        )
        for order_id, count in units.items()
    }


class TimelineRow(NamedTuple):
    """A public event as the order page reads it (see :func:`_public_timeline`)."""

    id: int
    action: str
    occurred_at: datetime
    data: Any
    from_state: str | None
    to_state: str | None


def _parcels_and_timeline(order_id: int) -> tuple[list[Any], list[Any]]:
    """:func:`_parcel_rows` and :func:`_public_timeline` in one statement (a ``UNION
    ALL``: one round trip on a miss instead of two), as :class:`ParcelRow` and
    :class:`TimelineRow`, each in its order."""
    timeline: list[TimelineRow] = []
    events = slice(1, 1 + len(_EVENT_COLUMNS))
    shipment = slice(events.stop, events.stop + len(_SHIPMENT_COLUMNS))
    ident = shipment.start + _SHIPMENT_COLUMNS.index("id")
    line_id = shipment.stop  # the line's id, then its order_line_id and quantity
    parts: list[Any] = []
    for row in read_rows(
        _parcels_and_timeline_query(), {"order_id": order_id, "subject_id": str(order_id)}
    ):
        if row[0] == "e":
            timeline.append(TimelineRow(*row[events]))
        else:
            parts.append(row)
    # Sorted here, not by the statement: a UNION's ORDER BY sorts every row in a
    # temporary table, where each part alone reads its index in order.
    timeline.sort(key=_event_order)
    parts.sort(key=lambda row: (row[ident], row[line_id] or 0))
    return _group_parcels(parts, shipment), timeline


_EVENT_COLUMNS = ("id", "action", "occurred_at", "data", "from_state", "to_state")


def _event_order(event: TimelineRow) -> tuple[datetime, int]:
    return event.occurred_at, event.id


@cache
def _parcels_and_timeline_query() -> Any:
    """:func:`_parcels_and_timeline`'s SELECT, built once: ``src`` (``e`` an event, ``s``
    a parcel line), the event's columns, the shipment's, then its line's (id,
    order_line_id, quantity); each part's missing columns are typed NULLs."""
    order_id: BindParameter[int] = bindparam("order_id")
    subject_id: BindParameter[str] = bindparam("subject_id", type_=String)
    shipments_table = Shipment.__table__
    lines_table = ShipmentLine.__table__
    event_columns = [getattr(Event, name) for name in _EVENT_COLUMNS]  # read, never written
    shipment_columns = list(shipments_table.columns)
    line_columns = [lines_table.c.id, lines_table.c.order_line_id, lines_table.c.quantity]

    def nulls(columns: list[Any], prefix: str) -> list[Any]:
        return [cast(null(), column.type).label(f"{prefix}_{column.key}") for column in columns]

    timeline_part = select(
        literal("e", String).label("src"),
        *(column.label(f"e_{column.key}") for column in event_columns),
        *nulls(shipment_columns, "s"),
        *nulls(line_columns, "l"),
    ).where(
        Event.subject_kind == "order",
        Event.subject_id == subject_id,
        Event.public.is_(True),
    )
    parcels_part = (
        select(
            literal("s", String),
            *nulls(event_columns, "e"),
            *shipment_columns,
            *line_columns,
        )
        .select_from(
            shipments_table.outerjoin(
                lines_table, lines_table.c.shipment_id == shipments_table.c.id
            )
        )
        .where(shipments_table.c.order_id == order_id)
    )
    return union_all(timeline_part, parcels_part)


def _public_timeline(order_id: int) -> list[Any]:
    """The order's public events, oldest first, as light rows (``id``, ``action``,
    ``occurred_at``, ``data``, …: what the timeline shows), not ORM objects: the page
    reads them once and a row is several times cheaper to build (one query)."""
    return list(read_rows(_timeline_query(), {"subject_id": str(order_id)}))


@cache
def _timeline_query() -> Select[Any]:
    """The public timeline's SELECT, built once (the order page asks on every miss)."""
    subject_id: BindParameter[str] = bindparam("subject_id", type_=String)
    return (
        select(
            Event.id,
            Event.action,
            Event.occurred_at,
            Event.data,
            Event.from_state,
            Event.to_state,
        )
        .where(
            Event.subject_kind == "order",
            Event.subject_id == subject_id,
            Event.public.is_(True),
        )
        .order_by(Event.occurred_at, Event.id)
    )


@cache
def _shipments_query() -> Select[Any]:
    """An order's shipments with their lines, built once."""
    order_id: BindParameter[int] = bindparam("order_id")
    return (
        select(Shipment)
        .options(joinedload(Shipment.lines))
        .where(Shipment.order_id == order_id)
        .order_by(Shipment.id)
    )


@cache
def _versioned_order_query() -> Select[Any]:
    """SELECT the order's columns by its reference key, how many events it has, and its
    lines' columns (one row per line, ordered; one row of ``NULL`` lines for an order
    without lines): built once (the page asks for it on every request)."""
    reference: BindParameter[str] = bindparam("reference", type_=String)
    # Not correlated to the outer row (which repeats per line): both databases run an
    # uncorrelated subquery once. Counted on the index (subject_kind, subject_id, …).
    order_id = (
        select(cast(Order.id, String)).where(Order.reference_key == reference).correlate(None)
    )
    events = (
        select(func.count())
        .select_from(Event)
        .where(Event.subject_kind == "order", Event.subject_id == order_id.scalar_subquery())
        .correlate(None)
        .scalar_subquery()
    )
    orders, lines = Order.__table__, OrderLine.__table__
    return (
        select(*mapped_columns(Order)[1], events, *mapped_columns(OrderLine)[1])
        .select_from(orders.outerjoin(lines, lines.c.order_id == orders.c.id))
        .where(orders.c.reference_key == reference)
        .order_by(lines.c.position)
    )
