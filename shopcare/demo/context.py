"""What every demo seed step gets: :class:`SeedContext`.

Apart from :mod:`shopcare.demo.seed` so that each feature's seed module can import it
without importing the list of steps that imports the feature's module.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from shopcare import ShopCare
from shopcare.demo.models import Product, User
from shopcare.orders.models import Order


@dataclass
class SeedContext:
    """What every seed step gets: the app (its context is pushed), shopcare, the
    database, the random source, the clock, and what earlier steps made."""

    app: Flask
    care: ShopCare
    db: SQLAlchemy
    rng: random.Random
    now: datetime
    #: How many days of history to make (365 for the demo, fewer in tests).
    days: int = 365
    users: list[User] = field(default_factory=list)
    products: list[Product] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    #: Each customer's buying habit by e-mail: ``shopper``, ``regular``,
    #: ``big_spender``, ``occasional``, ``lost`` (stopped buying), ``one_off`` or ``guest``.
    habits: dict[str, str] = field(default_factory=dict)
    #: The demo shopper's showcase orders: reference -> the state its tracking shows
    #: (``seed_tracking.SHOWCASE``); ``seed_tracking`` leaves them to ``seed_showcase``.
    showcase: dict[str, str] = field(default_factory=dict)
    #: Counts made at the end of ``seed`` (the ORM objects above expire with their session).
    report: dict[str, int] = field(default_factory=dict)

    @property
    def start(self) -> datetime:
        """When the history begins."""
        return self.now - timedelta(days=self.days)

    def customers(self, habit: str | None = None) -> list[User]:
        """The users who buy (not staff), optionally only those with ``habit``."""
        return [
            user
            for user in self.users
            if not user.is_admin and (habit is None or self.habits.get(user.email) == habit)
        ]


SeedStep = Callable[[SeedContext], None]
