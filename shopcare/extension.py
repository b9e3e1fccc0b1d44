"""The ``ShopCare`` Flask extension: what ``init_app`` sets up on a host app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from shopcare.cases.services import CaseDesk
from shopcare.cases.settings import SETTINGS as CASES_SETTINGS
from shopcare.core.config import DEFAULTS as CORE_SETTINGS
from shopcare.orders.services import OrderBook
from shopcare.tracking.services import ShipmentTracker
from shopcare.tracking.settings import SETTINGS as TRACKING_SETTINGS

#: Every ``SHOPCARE_*`` setting with its default: the core's, then each domain's.
DEFAULTS: dict[str, Any] = {**CORE_SETTINGS, **TRACKING_SETTINGS, **CASES_SETTINGS}


@dataclass(frozen=True)
class AppState:
    """What shopcare keeps per app, in ``app.extensions["shopcare"]``."""

    care: ShopCare
    db: SQLAlchemy
    #: every setting shopcare knows on this app, with its default
    settings: dict[str, Any]


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
        if app is not None:
            self.init_app(app, db=db)

    def init_app(self, app: Flask, *, db: SQLAlchemy | None = None) -> None:
        """Mount shopcare on ``app``.

        :raises RuntimeError: if shopcare is already mounted on ``app``.
        :raises TypeError: if no ``db`` was given here or to the constructor.
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
        for key, value in DEFAULTS.items():
            app.config.setdefault(key, value)
        app.extensions["shopcare"] = AppState(care=self, db=db, settings=DEFAULTS)

        from shopcare import blueprints
        from shopcare.core import api, cli, i18n, ratelimit
        from shopcare.core.outbox import mail as outbox_mail

        i18n.install(app)
        outbox_mail.install(app)
        app.register_blueprint(blueprints.register(), url_prefix=app.config["SHOPCARE_URL_PREFIX"])
        app.cli.add_command(cli.group)
        ratelimit.init_app(app)
        api.init_app(app)
        if app.debug:  # what is wrong or missing, logged at the first request
            from shopcare.core.check import check_at_first_request

            check_at_first_request(app)

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
        from flask import current_app

        state: AppState = (app or current_app).extensions["shopcare"]
        if app is not None:
            with app.app_context():
                return state.db.engine
        return state.db.engine
