"""The ``ShopCare`` Flask extension: what ``init_app`` sets up on a host app, and the
one list of the parts it wires."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from shopcare.cases import wiring as cases
from shopcare.cases.services import CaseDesk
from shopcare.core import wiring as core
from shopcare.core.state import State, get_state
from shopcare.feedback import wiring as feedback
from shopcare.feedback.services import FeedbackDesk
from shopcare.insights import wiring as insights
from shopcare.insights.services import Insights
from shopcare.orders import wiring as orders
from shopcare.orders.services import OrderBook
from shopcare.staff import wiring as staff
from shopcare.surveys import wiring as surveys
from shopcare.surveys.services import SurveyDesk
from shopcare.tracking import wiring as tracking
from shopcare.tracking.services import ShipmentTracker

#: What ``init_app`` wires on every app, in this order: each is a module whose
#: ``init_app(app, state)`` declares that part's settings, blueprint, CLI commands,
#: jobs, home cards, staff pages, API operations and templates on the app's
#: :class:`~shopcare.core.state.State`. A new domain adds its ``wiring`` module here.
FEATURES: tuple[ModuleType, ...] = (
    core,
    orders,
    staff,
    tracking,
    cases,
    feedback,
    surveys,
    insights,
)


class ShopCare:
    """Customer care for a Flask shop.

    ::

        db = SQLAlchemy(app)
        care = ShopCare(app, db=db)   # or: care = ShopCare(); care.init_app(app, db=db)

    :param app: the host app, or ``None`` to call :meth:`init_app` later.
    :param db: the host's Flask-SQLAlchemy object; shopcare's tables use its session.

    The services (``care.orders``, ``care.tracking`` …) are plain objects that work
    on whichever app is current, so one ``ShopCare`` can serve several apps.
    """

    def __init__(self, app: Flask | None = None, *, db: SQLAlchemy | None = None) -> None:
        self.db = db
        self.orders = OrderBook()
        self.tracking = ShipmentTracker()
        self.cases = CaseDesk()
        self.feedback = FeedbackDesk()
        self.surveys = SurveyDesk()
        self.insights = Insights()
        if app is not None:
            self.init_app(app, db=db)

    def init_app(self, app: Flask, *, db: SQLAlchemy | None = None) -> None:
        """Mount shopcare on ``app``.

        :raises RuntimeError: if shopcare is already mounted on ``app``.
        :raises TypeError: if no ``db`` was given here or to the constructor.
        :raises ConfigError: if ``app.config`` has a ``SHOPCARE_*`` key shopcare does not
            know (a typo); the message names the closest known setting.
        """
        if "shopcare" in app.extensions:
            raise RuntimeError(
                "shopcare is already initialised on this app; call init_app once per app"
            )
        db = db or self.db
        if db is None:
            raise TypeError(
                "ShopCare needs the host's Flask-SQLAlchemy object: init_app(app, db=db)"
            )
        state = State(care=self, db=db)
        for feature in FEATURES:
            feature.init_app(app, state)
        core.mount(app, state)
        if app.debug:  # what is wrong or missing, logged at the first request
            from shopcare.core.check import check_at_first_request

            check_at_first_request(app)

    def add_events(self, *names: str, app: Flask | None = None) -> None:
        """Declare the host's own event-log actions on ``app`` (default: the current app),
        so that :func:`~shopcare.core.events.record_event` accepts them::

            care.add_events("order.gift_wrapped", "order.address_checked", app=app)

        :raises ValueError: for a name that is not 1 to 64 characters of text.
        """
        get_state(app).add_events(names)

    def create_all(self, app: Flask | None = None) -> None:
        """Create shopcare's tables (demos and tests; production uses migrations).

        A database with no recorded revision is stamped at the newest one, so that
        ``flask shopcare db upgrade`` later applies only what is new.
        """
        import shopcare.models  # noqa: F401
        from shopcare.core.db import metadata
        from shopcare.core.migrate import stamp_unversioned

        with self._engine(app).begin() as connection:
            metadata.create_all(connection)
            stamp_unversioned(connection)

    def drop_all(self, app: Flask | None = None) -> None:
        """Drop shopcare's tables (and the revision recorded for them)."""
        import shopcare.models  # noqa: F401
        from shopcare.core.db import metadata
        from shopcare.core.migrate import drop_version_table

        with self._engine(app).begin() as connection:
            metadata.drop_all(connection)
            drop_version_table(connection)

    @staticmethod
    def _engine(app: Flask | None) -> Any:
        state = get_state(app)
        if app is not None:
            with app.app_context():
                return state.db.engine
        return state.db.engine
