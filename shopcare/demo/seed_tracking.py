"""Demo data for order tracking: shipments and carrier events for every order.

Delivered orders get a full, believable timeline ending at their ``delivered_at``
(a year of them gives each carrier real delivery estimates). This week's parcels,
including the second parcel of recently delivered split orders, go through every
status on the way; a few older undelivered parcels are in trouble (late) and the
oldest were left uncollected at a pick-up point. Everything goes through
``care.tracking`` as a host (or a carrier's webhook) would.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from shopcare.demo.context import SeedContext
from shopcare.orders.models import Order

#: How often each carrier is picked for a fast or a slow parcel: SEUR and DHL are
#: express, Correos is the cheap and slower option, UPS is rare (its estimate stays
#: the configured default: too few deliveries).
FAST = {"seur": 5, "dhl": 3, "correos": 1, "ups": 1}
SLOW = {"seur": 1, "dhl": 2, "correos": 6, "ups": 1}
HUBS = {
    "seur": ["Coslada (Madrid)", "Zaragoza", "Valencia"],
    "dhl": ["Getafe hub", "Barcelona gateway", "Sevilla"],
    "correos": ["Centro de tratamiento Madrid", "Oficina Sevilla", "Bilbao"],
    "ups": ["Madrid (ES)", "Köln (DE)", "Valencia (ES)"],
}
PICKUP_POINT = "Punto Pack, Calle Mayor 12"
MESSAGES = {
    "exception": "Address incomplete: the parcel is held at the depot",
    "failed_attempt": "Nobody at home; we will try again tomorrow",
    "expired": "No news from the carrier for 30 days",
}
#: Where this week's parcels are, in turn (so that every status shows).
THIS_WEEK = [
    "in_transit", "out_for_delivery", "info_received", "failed_attempt", "pending",
    "available_for_pickup", "exception", "in_transit",
]  # fmt: skip
#: This month's undelivered parcels: in trouble, so late.
THIS_MONTH = ["exception", "in_transit", "failed_attempt", "expired"]
#: Older undelivered parcels: mostly uncollected, some lost.
OLDER = ["available_for_pickup", "exception", "available_for_pickup", "expired"]


class _Turns:
    """Hands out the statuses of a list in turn."""

    def __init__(self, statuses: list[str]) -> None:
        self.statuses, self.count = statuses, 0

    def next(self) -> str:
        status = self.statuses[self.count % len(self.statuses)]
        self.count += 1
        return status


#: The demo shopper's showcase orders: the state each one's tracking shows, and how many
#: days ago it was placed. The README's demo section lists them.
SHOWCASE: dict[str, float] = {
    "delivered": 20,
    "late": 15,
    "split": 7,
    "problem": 5,
    "failed_attempt": 4,
    "in_transit": 2,
}
#: Late parcels older than this were dealt with long ago: staff resolved them.
RESOLVED_AFTER_DAYS = 30
#: How staff resolved those, in turn.
OLD_RESOLUTIONS = ["lost", "reshipped", "refunded", "delivered"]


def seed_tracking(ctx: SeedContext) -> None:
    """Shipments and carrier events for every order of the demo."""
    week, month, older = _Turns(THIS_WEEK), _Turns(THIS_MONTH), _Turns(OLDER)
    for order in sorted(ctx.orders, key=lambda o: o.placed_at):
        shipped_at = order.placed_at + timedelta(hours=ctx.rng.uniform(6, 26))
        if shipped_at > ctx.now:
            continue  # still being prepared: no shipment yet
        age = ctx.now - order.placed_at
        if order.delivered_at is not None:
            # shipped at least 20 hours before the door, and at least 2 after the order
            # (its label is printed 2 hours before the first scan)
            shipped_at = max(
                min(shipped_at, order.delivered_at - timedelta(hours=20)),
                order.placed_at + timedelta(hours=2),
            )
            transit = (order.delivered_at - shipped_at).total_seconds() / 86400
            # A recent split order: the first parcel came, the second is on its way.
            split = len(order.lines) >= 2 and ctx.now - order.delivered_at < timedelta(days=12)
            plans = ["delivered", week.next() if split else "delivered"]
        else:
            transit = ctx.rng.uniform(1.5, 5)
            turns = week if age < timedelta(days=8) else older
            if timedelta(days=8) <= age < timedelta(days=30):
                turns = month
            plans = [turns.next()] * 2
        carrier = _carrier(ctx, transit)
        parcels = _ship(ctx, order, carrier, shipped_at, split=plans[0] != plans[1])
        for index, number in enumerate(parcels):
            # the second parcel leaves three hours later, but never after "now"
            start = min(shipped_at + timedelta(hours=3 * index), ctx.now - timedelta(hours=1))
            if plans[index] == "delivered":
                end = min(order.delivered_at or ctx.now, ctx.now)
                _delivered(ctx, order, carrier, number, start, end)
            else:
                _on_the_way(ctx, order, carrier, number, start, plans[index])


def _carrier(ctx: SeedContext, transit_days: float) -> str:
    weights = FAST if transit_days < 3 else SLOW
    return ctx.rng.choices(list(weights), weights=list(weights.values()))[0]


def _ship(
    ctx: SeedContext, order: Order, carrier: str, shipped_at: datetime, *, split: bool
) -> list[str]:
    """Add the order's shipment(s): two parcels when ``split`` (and the basket allows),
    and now and then for a big basket anyway."""
    number = f"{carrier[:2].upper()}{ctx.rng.randrange(10**9, 10**10)}"
    lines = order.lines
    if len(lines) >= 2 and (split or (len(lines) >= 3 and ctx.rng.random() < 0.2)):
        first = {line.sku: line.quantity for line in lines[: len(lines) // 2]}
        ctx.care.tracking.add_shipment(
            order.reference, carrier=carrier, tracking_number=number, lines=first,
            destination_country="ES", shipped_at=shipped_at,
        )  # fmt: skip
        ctx.care.tracking.add_shipment(
            order.reference, carrier=carrier, tracking_number=f"{number}-2",
            destination_country="ES", shipped_at=shipped_at + timedelta(hours=3),
        )  # fmt: skip
        return [number, f"{number}-2"]
    ctx.care.tracking.add_shipment(
        order.reference, carrier=carrier, tracking_number=number,
        destination_country="ES", shipped_at=shipped_at,
    )  # fmt: skip
    return [number]


def _event(
    ctx: SeedContext,
    order: Order,
    carrier: str,
    number: str,
    status: str,
    at: datetime,
    location: str | None = None,
    message: str | None = None,
) -> None:
    ctx.care.tracking.add_event(
        order.reference, status, occurred_at=at, carrier=carrier, tracking_number=number,
        location=location, message=message, notify=False,
    )  # fmt: skip


def _delivered(
    ctx: SeedContext, order: Order, carrier: str, number: str, start: datetime, end: datetime
) -> None:
    """A whole journey, from the label to the door (or the pick-up point)."""
    hub = ctx.rng.choice(HUBS[carrier])
    _event(ctx, order, carrier, number, "info_received", start - timedelta(hours=2))
    _event(ctx, order, carrier, number, "in_transit", start, hub)
    _event(ctx, order, carrier, number, "in_transit", start + (end - start) / 2, hub)
    chance = ctx.rng.random()
    if chance < 0.08:  # collected at a pick-up point
        _event(ctx, order, carrier, number, "available_for_pickup", end - timedelta(hours=20),
               PICKUP_POINT)  # fmt: skip
        _event(ctx, order, carrier, number, "delivered", end, None, "Collected")
        return
    if chance < 0.16:  # nobody at home the first time
        _event(ctx, order, carrier, number, "out_for_delivery", end - timedelta(hours=28))
        _event(ctx, order, carrier, number, "failed_attempt", end - timedelta(hours=22),
               None, MESSAGES["failed_attempt"])  # fmt: skip
    _event(ctx, order, carrier, number, "out_for_delivery", end - timedelta(hours=4))
    _event(ctx, order, carrier, number, "delivered", end, None, "Signed by the customer")


def _on_the_way(
    ctx: SeedContext, order: Order, carrier: str, number: str, start: datetime, status: str
) -> None:
    """A journey that stopped at ``status`` (so far)."""
    if status == "pending":
        return
    hub = ctx.rng.choice(HUBS[carrier])
    _event(ctx, order, carrier, number, "info_received", start - timedelta(hours=2))
    if status == "info_received":
        return
    _event(ctx, order, carrier, number, "in_transit", start, hub)
    last = start + min((ctx.now - start) * 0.8, timedelta(days=2))
    if status in ("failed_attempt", "available_for_pickup"):
        _event(ctx, order, carrier, number, "out_for_delivery", last - timedelta(hours=5))
    if status != "in_transit":
        place = PICKUP_POINT if status == "available_for_pickup" else hub
        _event(ctx, order, carrier, number, status, last, place, MESSAGES.get(status))


def seed_showcase(ctx: SeedContext) -> None:
    """The demo shopper's orders in every state: delivered, late, split (one parcel at
    the door, one on its way), a delivery problem, a failed attempt, in transit."""
    tracking = ctx.care.tracking
    for reference, state in ctx.showcase.items():
        order = ctx.care.orders.get(reference)
        assert order is not None
        placed = order.placed_at
        skus = [line.sku for line in order.lines]
        carrier = "seur"
        number = f"SE{ctx.rng.randrange(10**9, 10**10)}"
        shipped = placed + timedelta(hours=5)
        if state == "split":
            tracking.add_shipment(
                reference, carrier=carrier, tracking_number=number,
                lines={skus[0]: 1, skus[1]: 1}, shipped_at=shipped,
            )  # fmt: skip
            second = ctx.now - timedelta(hours=20)
            tracking.add_shipment(
                reference, carrier="correos", tracking_number=f"CO{number[2:]}",
                lines={skus[2]: 1}, shipped_at=second,
            )  # fmt: skip
            _delivered(ctx, order, carrier, number, shipped, shipped + timedelta(days=2))
            _event(ctx, order, "correos", f"CO{number[2:]}", "in_transit", second + timedelta(hours=2),
                   "Centro de tratamiento Madrid")  # fmt: skip
            continue
        tracking.add_shipment(
            reference, carrier=carrier, tracking_number=number, shipped_at=shipped
        )
        if state == "delivered":
            _delivered(ctx, order, carrier, number, shipped, shipped + timedelta(days=2))
        elif state == "late":
            # Scanned twice, then nothing: the window closed long ago.
            _event(
                ctx, order, carrier, number, "in_transit", shipped + timedelta(hours=3), "Valencia"
            )
            _event(
                ctx, order, carrier, number, "in_transit", shipped + timedelta(days=1), "Zaragoza"
            )
        elif state == "problem":
            _event(
                ctx, order, carrier, number, "in_transit", shipped + timedelta(hours=3), "Valencia"
            )
            _event(ctx, order, carrier, number, "exception", ctx.now - timedelta(days=1),
                   "Zaragoza", MESSAGES["exception"])  # fmt: skip
        elif state == "failed_attempt":
            _event(
                ctx, order, carrier, number, "in_transit", shipped + timedelta(hours=3), "Valencia"
            )
            _event(ctx, order, carrier, number, "out_for_delivery", ctx.now - timedelta(hours=10))
            _event(ctx, order, carrier, number, "failed_attempt", ctx.now - timedelta(hours=6),
                   None, MESSAGES["failed_attempt"])  # fmt: skip
        elif state == "in_transit":
            _event(ctx, order, carrier, number, "info_received", shipped - timedelta(hours=1))
            _event(
                ctx, order, carrier, number, "in_transit", shipped + timedelta(hours=3), "Valencia"
            )


def seed_staff_work(ctx: SeedContext) -> None:
    """Staff dealt with the late parcels of long ago: the late list starts with today's."""
    from shopcare.core.events import Actor

    staff = next(user for user in ctx.users if user.is_admin)
    actor = Actor.staff(str(staff.id), staff.email)
    turns = _Turns(OLD_RESOLUTIONS)
    listing = ctx.care.tracking.late_shipments(per_page=1000, age="older", now=ctx.now)
    for row in listing.items:
        if row.days_late > RESOLVED_AFTER_DAYS:
            ctx.care.tracking.resolve(row.shipment.id, turns.next(), actor=actor)
