"""The clocks of the three kinds: when each period starts and the last moment it allows.

Every boundary is a whole day in the shop's zone (``SHOPCARE_DEFAULT_TIMEZONE``): a
period "ends on 28 December" means it allows every moment before 00:00 on the 29th
there, whatever the date in UTC. The withdrawal period follows Regulation (EEC,
Euratom) No 1182/71: it starts the day after delivery and, when its last day is a
Saturday, Sunday or public holiday of ``SHOPCARE_COUNTRY``, ends with the next working
day (art. 3(4)). Policy returns and the guarantee end on their calendar day.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from shopcare.core.config import setting
from shopcare.core.workdays import is_holiday_in


def shop_zone() -> ZoneInfo:
    return ZoneInfo(str(setting("SHOPCARE_DEFAULT_TIMEZONE")))


@dataclass(frozen=True)
class Rules:
    """The settings the clocks and the eligibility rules read, read once: one check of
    an order reads each of them for every line and kind (the order page's panel asks
    for three kinds on every request, ~90 look-ups). Each method reads the settings as they were when :meth:`read` ran; a new check reads them
    again, so a setting changed at runtime counts from the next check on."""

    zone: ZoneInfo
    country: Any
    subdivision: Any
    withdrawal_days: Any
    return_replaces_withdrawal: Any
    return_days_default: Any
    return_days_by: Any
    final_sale: frozenset[str]
    guarantee_months_default: Any
    guarantee_months_by: Any
    guarantee_addons: Any
    shipping_skus: frozenset[str]

    @classmethod
    def read(cls) -> Rules:
        return cls(
            zone=shop_zone(),
            country=setting("SHOPCARE_COUNTRY"),
            subdivision=setting("SHOPCARE_COUNTRY_SUBDIVISION"),
            withdrawal_days=setting("SHOPCARE_WITHDRAWAL_DAYS"),
            return_replaces_withdrawal=setting("SHOPCARE_RETURN_REPLACES_WITHDRAWAL"),
            return_days_default=setting("SHOPCARE_RETURN_DAYS"),
            return_days_by=setting("SHOPCARE_RETURN_DAYS_BY") or {},
            final_sale=frozenset(setting("SHOPCARE_FINAL_SALE") or ()),
            guarantee_months_default=setting("SHOPCARE_GUARANTEE_MONTHS"),
            guarantee_months_by=setting("SHOPCARE_GUARANTEE_MONTHS_BY") or {},
            guarantee_addons=setting("SHOPCARE_GUARANTEE_ADDONS") or {},
            shipping_skus=frozenset(setting("SHOPCARE_SHIPPING_SKUS") or ()),
        )

    def local_day(self, moment: datetime) -> date:
        """The shop's calendar day of ``moment``."""
        return moment.astimezone(self.zone).date()

    def end_of_day(self, day: date) -> datetime:
        """The first moment after ``day`` in the shop's zone: a period ending on ``day``
        allows every moment strictly before it (23:59:59.999… is in time)."""
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.zone)

    def withdrawal_last_day(self, delivered: date) -> date:
        """The last day of the withdrawal period for goods delivered on ``delivered``:
        the next working day (not a Saturday, Sunday or public holiday) from
        ``SHOPCARE_WITHDRAWAL_DAYS`` days after it."""
        day = delivered + timedelta(days=int(self.withdrawal_days))
        while not (day.weekday() < 5 and not is_holiday_in(day, self.country, self.subdivision)):
            day += timedelta(days=1)
        return day

    def return_days(self, sku: str, category: str | None) -> int:
        """The line's policy return period in days (by SKU, then category, else the default)."""
        return int(_by_line(self.return_days_by, sku, category, self.return_days_default))

    def is_final_sale(self, sku: str, category: str | None) -> bool:
        """Whether the SKU or its category is listed in ``SHOPCARE_FINAL_SALE``."""
        return sku in self.final_sale or (category is not None and category in self.final_sale)

    def guarantee_months(self, sku: str, category: str | None, order_skus: set[str]) -> int:
        """The line's guarantee in months (by SKU, then category, else the default) plus
        the months of every add-on SKU in the order."""
        months = int(
            _by_line(self.guarantee_months_by, sku, category, self.guarantee_months_default)
        )
        return months + sum(
            int(extra) for addon, extra in self.guarantee_addons.items() if addon in order_skus
        )


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or that month's last day (31 Jan + 1 = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _by_line(table: dict[str, Any], sku: str, category: str | None, default: Any) -> Any:
    if sku in table:
        return table[sku]
    if category is not None and category in table:
        return table[category]
    return default


class Parcel(NamedTuple):
    """One line of one parcel (``order_line_id`` is ``None`` for a parcel without lines)."""

    status: str
    delivered_at: datetime | None
    order_line_id: int | None
    quantity: int | None


@dataclass(frozen=True)
class Delivery:
    """When an order's goods arrived: ``complete_at`` is the last parcel's delivery
    (``None`` while any parcel is on its way or nothing was recorded), and
    ``delivered`` the units of each order line that arrived."""

    complete_at: datetime | None
    delivered: dict[int, int]
    any_undelivered_parcel: bool
    #: when each order line's last delivered unit arrived (its return and guarantee
    #: clocks start there, even while another parcel of the order is on its way)
    line_delivered_at: dict[int, datetime] = field(default_factory=dict)


def delivery_from(
    order: Any, parcels: list[Parcel], shipping_skus: frozenset[str] | None = None
) -> Delivery:
    """The order's delivery from its parcels (rows with ``status``, ``delivered_at``,
    ``order_line_id``, ``quantity``: one per parcel line) when tracking recorded any — the
    last parcel counts — else from ``order.delivered_at`` (every unit then).
    ``shipping_skus``: ``SHOPCARE_SHIPPING_SKUS`` when the caller read it already."""
    shipping = (
        frozenset(setting("SHOPCARE_SHIPPING_SKUS") or ())
        if shipping_skus is None
        else shipping_skus
    )
    goods = [line for line in order.lines if line.sku not in shipping]
    if not parcels:
        if order.delivered_at is None:
            return Delivery(None, {}, False)
        return Delivery(
            order.delivered_at,
            {line.id: line.quantity for line in goods},
            False,
            {line.id: order.delivered_at for line in goods},
        )
    delivered: dict[int, int] = {}
    arrived: dict[int, datetime] = {}
    last: datetime | None = None
    pending = False
    for row in parcels:
        if row.status == "delivered" and row.delivered_at is not None:
            last = row.delivered_at if last is None or row.delivered_at > last else last
            if row.order_line_id is not None:
                line_id = row.order_line_id
                delivered[line_id] = delivered.get(line_id, 0) + (row.quantity or 0)
                if line_id not in arrived or row.delivered_at > arrived[line_id]:
                    arrived[line_id] = row.delivered_at
        else:
            pending = True
    if not pending and last is not None and not delivered:
        delivered = {line.id: line.quantity for line in goods}  # parcels without line detail
        arrived = {line.id: last for line in goods}
    complete = (
        not pending
        and last is not None
        and all(delivered.get(line.id, 0) >= line.quantity for line in goods)
    )
    return Delivery(last if complete else None, delivered, pending, arrived)
