"""One time zone per page: the shopper's, else the shop's, for every date shown; a date
shown in another zone (the shop's delivery window) names it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask_babel import Babel
from flask_login import LoginManager, login_user
from flask_sqlalchemy import SQLAlchemy

from shopcare import ShopCare
from shopcare.core.db import utcnow
from shopcare.core.i18n import page_zone
from tests.conftest import login
from tests.host import USERS
from tests.tracking.helpers import make_order

MADRID = "Europe/Madrid"


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"SHOPCARE_DEFAULT_TIMEZONE": MADRID}


def _order_with_late_evening_event(care: Any, db: Any) -> None:
    """An event at 23:30 UTC: 00:30 the next day in Madrid, 18:30 in New York."""
    make_order(care, user_id="ann")
    shipped = utcnow().replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=1)
    care.tracking.add_shipment("SO-1", carrier="dhl", tracking_number="A", shipped_at=shipped)
    care.tracking.add_event(
        "SO-1", "in_transit", shipment=None, occurred_at=shipped.replace(hour=23, minute=30)
    )
    db.session.commit()


def _times(html: str) -> list[str]:
    return re.findall(r"<time datetime=\"[^\"]+\">([^<]+)</time>", html)


def test_a_guest_sees_the_shops_zone_and_the_window_unnamed(care, db, client):
    _order_with_late_evening_event(care, db)
    login(client, "ann")
    html = client.get("/care/tracking/orders/SO-1").get_data(as_text=True)
    assert any("12:30\u202fAM" in t or "12:30 AM" in t for t in _times(html)), _times(html)
    assert "Arrives" in html and "Madrid time" not in html


def test_a_shopper_with_a_zone_sees_it_and_the_window_names_the_shops(
    care, db, client, monkeypatch
):
    monkeypatch.setattr(USERS["ann"], "timezone", "America/New_York", raising=False)
    _order_with_late_evening_event(care, db)
    login(client, "ann")
    html = client.get("/care/tracking/orders/SO-1").get_data(as_text=True)
    assert any("6:30\u202fPM" in t or "6:30 PM" in t for t in _times(html)), _times(html)
    assert re.search(r"Arrives [^<]+ \(Madrid time\)", html)


# -- a host with its own Flask-Babel -------------------------------------------------------


def babel_host(database_url: str, selector: Any = None) -> tuple[Flask, SQLAlchemy]:
    app = Flask("babelhost")
    app.config.update(
        SECRET_KEY="test",
        SQLALCHEMY_DATABASE_URI=database_url,
        TESTING=True,
        BABEL_DEFAULT_TIMEZONE="UTC",
        SHOPCARE_DEFAULT_TIMEZONE=MADRID,
    )
    Babel(app, timezone_selector=selector)
    db = SQLAlchemy(app)
    manager = LoginManager(app)
    manager.user_loader(USERS.get)

    @app.post("/login/<name>")
    def test_login(name: str) -> str:
        login_user(USERS[name])
        return "ok"

    ShopCare(app, db=db)
    return app, db


@pytest.fixture
def host_babel(database_url: str) -> Iterator[Any]:
    made: list[tuple[Flask, SQLAlchemy]] = []

    def make(selector: Any = None) -> Flask:
        made.append(babel_host(database_url, selector))
        return made[-1][0]

    yield make
    for app, db in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_host_babel_without_selector_does_not_mix_two_zones(app, care, db, host_babel):
    """Before: dates in Babel's UTC, the window in Madrid, on one page."""
    _order_with_late_evening_event(care, db)
    host = host_babel()
    client = host.test_client()
    client.post("/login/ann")
    html = client.get("/care/tracking/orders/SO-1").get_data(as_text=True)
    times = _times(html)
    assert any("12:30\u202fAM" in t or "12:30 AM" in t for t in times), times
    assert not any("11:30" in t for t in times), times
    assert "Madrid time" not in html


def test_a_host_babel_selector_is_the_shoppers_zone(app, care, db, host_babel):
    _order_with_late_evening_event(care, db)
    host = host_babel(lambda: "Asia/Tokyo")
    client = host.test_client()
    client.post("/login/ann")
    html = client.get("/care/tracking/orders/SO-1").get_data(as_text=True)
    assert any("8:30\u202fAM" in t or "8:30 AM" in t for t in _times(html)), _times(html)
    assert re.search(r"Arrives [^<]+ \(Madrid time\)", html)


def test_page_zone_outside_a_request_is_the_shops(app):
    assert str(page_zone()) == MADRID
    assert datetime(2026, 1, 1, tzinfo=UTC).astimezone(page_zone()).hour == 1
