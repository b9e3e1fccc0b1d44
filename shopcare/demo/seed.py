"""Fill the demo shop with a plausible year of history, the same every time for a seed.

``seed(app)`` creates the tables, then runs each function of :data:`SEED_STEPS` in
turn with one :class:`~shopcare.demo.context.SeedContext`, committing after each. A
feature that wants demo data writes its step in its own module and lists it in
:data:`SEED_STEPS`::

    # shopcare/demo/seed_surveys.py
    from shopcare.demo.context import SeedContext

    def seed_surveys(ctx: SeedContext) -> None:
        for order in ctx.orders:
            if order.delivered_at and ctx.rng.random() < 0.3:
                ...  # answer a survey through care.surveys

Steps draw every random choice from ``ctx.rng`` and every "now" from ``ctx.now``, so
the history is deterministic given the seed and ``now``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from shopcare.demo.catalogue import PRODUCT_BY_SKU, PRODUCTS
from shopcare.demo.context import SeedContext, SeedStep
from shopcare.demo.extensions import care as demo_care
from shopcare.demo.extensions import db as demo_db
from shopcare.demo.models import Product, User
from shopcare.demo.orders import place_order
from shopcare.demo.seed_cases import seed_cases
from shopcare.demo.seed_feedback import seed_feedback
from shopcare.demo.seed_insights import seed_insights
from shopcare.demo.seed_surveys import seed_surveys
from shopcare.demo.seed_tracking import SHOWCASE, seed_showcase, seed_staff_work, seed_tracking

#: The two logins the README and the login page advertise.
SHOPPER = ("shopper@example.com", "shopper")
STAFF = ("staff@example.com", "staff")
#: Every other demo customer logs in with this password.
CUSTOMER_PASSWORD = "customer"


# -- catalogue and people ----------------------------------------------------------------


def seed_catalogue(ctx: SeedContext) -> None:
    """The ~30 products of :mod:`shopcare.demo.catalogue`."""
    for position, data in enumerate(PRODUCTS):
        product = Product(
            sku=data.sku,
            slug=data.slug,
            name=data.name,
            category=data.category,
            price_cents=int(data.price * 100),
            blurb=data.blurb,
            description=data.blurb,
            motif=data.motif,
            colour=data.colour,
            accent=data.accent,
            position=position,
        )
        ctx.db.session.add(product)
        ctx.products.append(product)
    ctx.db.session.flush()


#: (name, locale, habit) of the customers besides the demo shopper.
CUSTOMERS: tuple[tuple[str, str | None, str], ...] = (
    ("Carmen Ortega", "es", "big_spender"),
    ("Oliver Bennett", "en", "big_spender"),
    ("Isabel Navarro", "es", "big_spender"),
    ("Pablo Jiménez", "es", "regular"),
    ("Emma Clarke", "en", "regular"),
    ("Lucas Romero", "es", "regular"),
    ("Sofía Delgado", "es", "regular"),
    ("Hannah Weber", "en", "regular"),
    ("Diego Torres", "es", "regular"),
    ("Chloe Martin", None, "regular"),
    ("Javier Molina", "es", "occasional"),
    ("Grace O'Neill", "en", "occasional"),
    ("Elena Castro", "es", "occasional"),
    ("Noah Fischer", "en", "occasional"),
    ("Marina Vidal", "es", "occasional"),
    ("Tom Richards", "en", "occasional"),
    ("Nuria Serrano", "es", "occasional"),
    ("Raúl Gil", "es", "lost"),
    ("Amelia Hughes", "en", "lost"),
    ("Andrés Rubio", "es", "lost"),
    ("Laura Méndez", "es", "lost"),
    ("Samuel Price", "en", "one_off"),
    ("Alba Herrera", "es", "one_off"),
    ("Jack Turner", "en", "one_off"),
)

STREETS = (
    "Calle de la Paz",
    "Avinguda del Port",
    "Calle Mayor",
    "Carrer de Cuba",
    "Paseo de la Alameda",
    "Calle San Vicente",
    "Gran Vía Marqués del Turia",
)
CITIES = ("46003 Valencia", "46021 Valencia", "28013 Madrid", "08012 Barcelona", "03001 Alicante")


def _email(name: str) -> str:
    plain = name.lower().translate(str.maketrans("áéíóúñ'", "aeioun_"))
    first, last = plain.split(" ", 1)
    return f"{first}.{last.replace(' ', '')}@example.com".replace("_", "")


def _address(rng: random.Random) -> str:
    return f"{rng.choice(STREETS)} {rng.randint(1, 80)}, {rng.choice(CITIES)}"


def seed_users(ctx: SeedContext) -> None:
    """The demo shopper, the staff member and the other customers."""
    shopper = User(
        email=SHOPPER[0],
        name="Lucía Marín",
        is_admin=False,
        locale=None,  # follows the browser, so the Spanish pages show with Accept-Language: es
        address="Calle de la Paz 14, 46003 Valencia",
    )
    method = ctx.app.config["DEMO_PASSWORD_METHOD"]
    shopper.set_password(SHOPPER[1], method)
    staff = User(
        email=STAFF[0],
        name="Marta Ruiz",
        is_admin=True,
        locale=None,
        address="Casa Verde, Carrer de Cuba 22, 46006 Valencia",
    )
    staff.set_password(STAFF[1], method)
    ctx.users += [shopper, staff]
    ctx.habits[shopper.email] = "shopper"
    # One hash shared by the look-alike customers: hashing is deliberately slow, and
    # these accounts only exist to have orders.
    shared_hash = generate_password_hash(CUSTOMER_PASSWORD, method=method)
    for name, locale, habit in CUSTOMERS:
        user = User(
            email=_email(name),
            name=name,
            locale=locale,
            address=_address(ctx.rng),
            password_hash=shared_hash,
        )
        ctx.users.append(user)
        ctx.habits[user.email] = habit
    ctx.db.session.add_all(ctx.users)
    ctx.db.session.flush()


# -- orders ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Habit:
    """How a kind of customer buys: days between orders, lines and units per order."""

    interval: tuple[int, int]
    lines: tuple[int, int]
    units: tuple[int, int]
    #: Categories this kind of customer leans towards (weight x2).
    leaning: tuple[str, ...] = ()


HABITS: dict[str, Habit] = {
    "shopper": Habit((18, 34), (1, 3), (1, 2), ("plants", "kitchen")),
    "big_spender": Habit((20, 38), (3, 6), (1, 4), ("living", "garden", "pots")),
    "regular": Habit((16, 40), (1, 3), (1, 2)),
    "lost": Habit((20, 40), (1, 3), (1, 2)),
    "occasional": Habit((60, 140), (1, 2), (1, 2)),
    "one_off": Habit((10_000, 10_000), (1, 2), (1, 1)),
    "guest": Habit((10_000, 10_000), (1, 3), (1, 2)),
}

#: Months when a category sells more (spring for the garden, winter for the home).
SEASONS: dict[str, tuple[int, ...]] = {
    "plants": (3, 4, 5, 6),
    "pots": (3, 4, 5),
    "garden": (3, 4, 5, 6, 9),
    "living": (10, 11, 12, 1),
    "kitchen": (11, 12),
}
#: Orders younger than this may still be on their way.
TRANSIT_DAYS = (1.5, 5.0)
#: Share of older orders that never got a delivery date (lost parcels, pick-ups).
UNDELIVERED_SHARE = 0.03
#: Orders from people without an account, per year of history.
GUEST_ORDERS_PER_YEAR = 90


def _timestamps(ctx: SeedContext, habit: str) -> list[datetime]:
    """When one customer with ``habit`` placed orders, oldest first."""
    rng, start, now = ctx.rng, ctx.start, ctx.now
    spec = HABITS[habit]
    span = ctx.days
    if habit == "one_off":
        # Bought once in the first half of the year and never came back.
        return [start + timedelta(days=rng.uniform(0, span * 0.5))]
    first = start + timedelta(days=rng.uniform(0, min(45, span * 0.25)))
    until = now
    if habit == "lost":
        # Bought regularly, then stopped between a third and two thirds of the way in.
        until = start + timedelta(days=span * rng.uniform(0.35, 0.6))
    elif habit == "occasional":
        first = start + timedelta(days=rng.uniform(0, span * 0.6))
    times = [first]
    while True:
        gap = rng.uniform(*spec.interval)
        following = times[-1] + timedelta(days=gap)
        if following >= until:
            break
        times.append(following)
    if habit == "lost" and len(times) < 2:
        times.append(times[0] + timedelta(days=spec.interval[0]))
    return [_shop_hours(rng, moment) for moment in times]


def _shop_hours(rng: random.Random, moment: datetime) -> datetime:
    """Move ``moment`` to a believable time of day (people shop in the evening)."""
    hour = rng.choices(range(7, 24), weights=[1, 2, 3, 3, 3, 3, 4, 3, 3, 3, 3, 4, 5, 6, 6, 5, 3])[0]
    return moment.replace(
        hour=hour, minute=rng.randrange(60), second=rng.randrange(60), microsecond=0
    )


def _basket(ctx: SeedContext, habit: str, when: datetime) -> list[tuple[Product, int]]:
    spec = HABITS[habit]
    weights = []
    for product in ctx.products:
        weight = float(PRODUCT_BY_SKU[product.sku].popularity)
        if when.month in SEASONS.get(product.category, ()):
            weight *= 1.8
        if product.category in spec.leaning:
            weight *= 2
        weights.append(weight)
    wanted = min(ctx.rng.randint(*spec.lines), len(ctx.products))
    chosen: dict[str, Product] = {}
    while len(chosen) < wanted:
        product = ctx.rng.choices(ctx.products, weights=weights)[0]
        chosen[product.sku] = product
    return [
        (product, ctx.rng.choice([*range(spec.units[0], spec.units[1] + 1), spec.units[0]]))
        for product in chosen.values()
    ]


def _delivered_at(ctx: SeedContext, placed_at: datetime) -> datetime | None:
    arrives = placed_at + timedelta(days=ctx.rng.uniform(*TRANSIT_DAYS))
    if arrives > ctx.now or ctx.rng.random() < UNDELIVERED_SHARE:
        return None
    # Couriers deliver in working hours, and not before a day has passed: the parcel's
    # label, pick-up and journey come first (seed_tracking dates them back from here).
    delivered = arrives.replace(hour=ctx.rng.randint(9, 19), minute=ctx.rng.randrange(60))
    while delivered < placed_at + timedelta(days=1):
        delivered += timedelta(days=1)
    return None if delivered > ctx.now else delivered


def seed_orders(ctx: SeedContext) -> None:
    """A year of orders through ``care.orders.record``, numbered in date order."""
    plans: list[tuple[datetime, User | None, str, str]] = []
    for user in ctx.customers():
        habit = ctx.habits[user.email]
        for when in _timestamps(ctx, habit):
            plans.append((when, user, user.email, habit))
    guests = max(1, round(GUEST_ORDERS_PER_YEAR * ctx.days / 365))
    for number in range(guests):
        # A few guests come back with the same address; most buy once.
        returning = ctx.rng.random() < 0.3
        guest_id = ctx.rng.randrange(max(1, guests // 4)) if returning else 1000 + number
        email = f"guest{guest_id}@example.net"
        when = _shop_hours(ctx.rng, ctx.start + timedelta(days=ctx.rng.uniform(0, ctx.days)))
        plans.append((when, None, email, "guest"))
        ctx.habits.setdefault(email, "guest")
    shopper = next((user for user in ctx.customers("shopper")), None)
    if shopper is not None:
        for state, days_ago in SHOWCASE.items():
            when = ctx.now - timedelta(days=days_ago)
            plans.append((when, shopper, shopper.email, f"showcase:{state}"))
    plans.sort(key=lambda plan: plan[0])

    for when, buyer, email, habit in plans:
        if when > ctx.now:
            continue
        locale = (buyer.locale if buyer else None) or ctx.rng.choice(["es", "es", "en"])
        if habit.startswith("showcase:"):
            state = habit.split(":", 1)[1]
            order = place_order(buyer, email, _showcase_basket(ctx, state), when, locale=locale)
            ctx.showcase[order.reference] = state
            continue
        order = place_order(
            buyer,
            email,
            _basket(ctx, habit, when),
            when,
            delivered_at=_delivered_at(ctx, when),
            locale=locale,
        )
        ctx.orders.append(order)


def _showcase_basket(ctx: SeedContext, state: str) -> list[tuple[Product, int]]:
    """Two or three products (a split order needs two lines)."""
    picks = ctx.rng.sample(ctx.products, 3 if state == "split" else 2)
    return [(product, 1) for product in picks]


#: The steps ``seed`` runs, in order. Each feature lists its own (see the module docstring).
SEED_STEPS: list[SeedStep] = [
    seed_catalogue,
    seed_users,
    seed_orders,
    seed_tracking,
    seed_showcase,
    seed_staff_work,
    seed_cases,
    seed_feedback,
    seed_surveys,
    seed_insights,
]


# -- running it --------------------------------------------------------------------------


def create_tables(app: Flask) -> None:
    """Create the shop's own tables and shopcare's (a real shop would migrate)."""
    with app.app_context():
        demo_db.create_all()
        demo_care.create_all()


def seed(
    app: Flask,
    *,
    seed: int = 7,
    now: datetime | None = None,
    days: int = 365,
    steps: list[SeedStep] | None = None,
) -> SeedContext:
    """Create the tables and fill an empty shop with ``days`` of history.

    :param seed: the random seed; the same seed and ``now`` give the same shop.
    :param now: the end of the history (default: the current time, in UTC).
    :param steps: the steps to run (default: :data:`SEED_STEPS` as it is at call time).
    :raises RuntimeError: if the shop already has users (seed an empty database).
    """
    create_tables(app)
    with app.app_context():
        if demo_db.session.scalar(select(func.count()).select_from(User)):
            raise RuntimeError("this database is already seeded; seed an empty one")
        ctx = SeedContext(
            app=app,
            care=demo_care,
            db=demo_db,
            rng=random.Random(seed),
            now=(now or datetime.now(UTC)).astimezone(UTC),
            days=days,
        )
        for step in steps if steps is not None else list(SEED_STEPS):
            step(ctx)
            demo_db.session.commit()
        ctx.report = {
            "products": len(ctx.products),
            "users": len(ctx.users),
            "orders": len(ctx.orders),
            "delivered": sum(1 for order in ctx.orders if order.delivered_at is not None),
        }
    return ctx
