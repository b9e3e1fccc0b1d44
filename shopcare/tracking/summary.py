"""An order's delivery status as a shopper reads it: :class:`OrderStatus`.

The nine carrier statuses belong to parcels. An order is more than its least advanced
parcel: it may be partly shipped (some units not in any parcel yet), partly delivered
(one parcel at the door, another on its way), late, or in trouble. :func:`summarize`
says which, from the parcels' rows and the order's unit counts, with no query of its
own; ``care.tracking.order_status(reference)`` / ``order_statuses(references)`` and the
shopper's pages use it, so the host's pages and shopcare's say the same thing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Protocol

from shopcare.core.i18n import _, ngettext
from shopcare.tracking.statuses import (
    ARRIVED,
    AVAILABLE_FOR_PICKUP,
    BEFORE_TRANSIT,
    DELIVERED,
    EXCEPTION,
    EXPIRED,
    FAILED_ATTEMPT,
    IN_TRANSIT,
    OUT_FOR_DELIVERY,
    STATUS_RANK,
    TROUBLE,
    order_status,
)

# -- the order's states ---------------------------------------------------------------

PREPARING: Final = "preparing"
PARTLY_SHIPPED: Final = "partly_shipped"
SHIPPED: Final = "shipped"
PARTLY_DELIVERED: Final = "partly_delivered"
CLOSED: Final = "closed"
#: What :attr:`OrderStatus.code` may be, from the start of an order's journey to its end.
ORDER_STATES: Final = (
    PREPARING,
    PARTLY_SHIPPED,
    SHIPPED,
    IN_TRANSIT,
    OUT_FOR_DELIVERY,
    AVAILABLE_FOR_PICKUP,
    PARTLY_DELIVERED,
    DELIVERED,
    CLOSED,
)


class ParcelRow(Protocol):
    """What :func:`summarize` reads of a parcel (a ``Shipment`` has all of it)."""

    status: str
    estimated_latest: datetime | None
    resolution: str


#: Each state's label, translated when asked for (only the one a page shows).
_LABELS: Final[dict[str, Callable[[], str]]] = {
    PREPARING: lambda: _("Preparing"),
    PARTLY_SHIPPED: lambda: _("Partly shipped"),
    SHIPPED: lambda: _("Shipped"),
    IN_TRANSIT: lambda: _("In transit"),
    OUT_FOR_DELIVERY: lambda: _("Out for delivery"),
    AVAILABLE_FOR_PICKUP: lambda: _("Ready for pickup"),
    PARTLY_DELIVERED: lambda: _("Partly delivered"),
    DELIVERED: lambda: _("Delivered"),
    CLOSED: lambda: _("Closed"),
}


@dataclass(frozen=True)
class OrderStatus:
    """An order's delivery status, for a badge, a header or the host's own pages.

    ``code`` is one of :data:`ORDER_STATES`; ``parcels`` / ``parcels_delivered`` and
    ``units`` / ``units_shipped`` are the counts behind "partly …"; ``late`` is true
    when an open parcel is past its delivery window or in trouble; ``problem`` names
    the troubled carrier status (``exception``, ``failed_attempt``, ``expired``) or is
    ``None``; ``tracking_status`` is the order's one-of-nine status the JSON API and the
    ``order-status-changed`` signal give. ``label``, ``detail`` and ``flag`` are in the
    current language; ``badge`` and ``flag_badge`` are CSS classes.
    """

    code: str
    parcels: int
    parcels_delivered: int
    units: int
    units_shipped: int
    late: bool
    problem: str | None
    tracking_status: str

    @property
    def label(self) -> str:
        """``Partly delivered``, ``In transit`` … in the shopper's language."""
        label = _LABELS.get(self.code)
        return label() if label is not None else self.code

    @property
    def detail(self) -> str | None:
        """The counts behind a partial state: ``1 of 2 parcels delivered``."""
        if self.code == PARTLY_DELIVERED and self.parcels_delivered < self.parcels:
            return ngettext(
                "%(done)d of %(num)d parcel delivered",
                "%(done)d of %(num)d parcels delivered",
                self.parcels,
                done=self.parcels_delivered,
            )
        if self.code in (PARTLY_SHIPPED, PARTLY_DELIVERED):
            return ngettext(
                "%(done)d of %(num)d item shipped",
                "%(done)d of %(num)d items shipped",
                self.units,
                done=self.units_shipped,
            )
        return None

    @property
    def text(self) -> str:
        """The label with its counts: ``Partly delivered (1 of 2 parcels delivered)``."""
        detail = self.detail
        return f"{self.label} ({detail})" if detail else self.label

    @property
    def flag(self) -> str | None:
        """What needs the shopper's attention: ``Delivery problem``, ``Running late``."""
        if self.problem == EXCEPTION:
            return _("Delivery problem")
        if self.problem == FAILED_ATTEMPT:
            return _("Delivery attempt failed")
        if self.problem == EXPIRED or self.late:
            return _("Running late")
        return None

    @property
    def badge(self) -> str:
        """The CSS class of :attr:`label`'s badge."""
        if self.code in (DELIVERED, AVAILABLE_FOR_PICKUP, OUT_FOR_DELIVERY):
            return "sc-badge-ok"
        return ""

    @property
    def flag_badge(self) -> str:
        """The CSS class of :attr:`flag`'s badge."""
        return "sc-badge-bad" if self.problem == EXCEPTION else "sc-badge-warn"


def tracking_status(statuses: Iterable[str]) -> str:
    """The order's one-of-nine status (the JSON API's ``status``):
    :func:`shopcare.tracking.statuses.order_status`."""
    return order_status(list(statuses))


def parcel_late(status: str, estimated_latest: datetime | None, now: datetime) -> bool:
    """A parcel still on its way is late past its window, or when in trouble."""
    if status in ARRIVED:
        return False
    if status in TROUBLE:
        return True
    return estimated_latest is not None and estimated_latest < now


def summarize(
    parcels: Iterable[ParcelRow], *, units: int, units_shipped: int, now: datetime
) -> OrderStatus:
    """An order's :class:`OrderStatus` from its parcels and its unit counts.

    A parcel resolved by staff as ``delivered`` counts as delivered; one resolved
    otherwise (reshipped, refunded, lost) is closed and plays no further part.
    """
    rows = list(parcels)
    open_statuses: list[str] = []
    delivered = 0
    late = False
    problem: str | None = None
    for row in rows:
        resolution = row.resolution or "open"
        if resolution == "delivered" or (resolution == "open" and row.status == DELIVERED):
            delivered += 1
            continue
        if resolution != "open":
            continue
        open_statuses.append(row.status)
        late = late or parcel_late(row.status, row.estimated_latest, now)
        troubled = row.status in (EXCEPTION, FAILED_ATTEMPT, EXPIRED)
        if troubled and (problem is None or STATUS_RANK[row.status] < STATUS_RANK[problem]):
            problem = row.status
    counted = delivered + len(open_statuses)
    if not rows:
        code = PREPARING
    elif units_shipped < units:
        code = PARTLY_DELIVERED if delivered else PARTLY_SHIPPED
    elif not open_statuses:
        code = DELIVERED if delivered else CLOSED
    elif delivered:
        code = PARTLY_DELIVERED
    else:
        least = min(open_statuses, key=lambda status: STATUS_RANK[status])
        if least in BEFORE_TRANSIT or least in (EXCEPTION, FAILED_ATTEMPT, EXPIRED):
            code = SHIPPED
        elif least in (IN_TRANSIT, OUT_FOR_DELIVERY, AVAILABLE_FOR_PICKUP):
            code = least
        else:
            code = SHIPPED
    return OrderStatus(
        code=code,
        parcels=counted,
        parcels_delivered=delivered,
        units=units,
        units_shipped=units_shipped,
        late=late,
        problem=problem,
        tracking_status=tracking_status(row.status for row in rows),
    )
