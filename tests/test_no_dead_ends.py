"""No dead ends: every shopcare page, errors included, renders in the host's layout,
translated, phone-ready and with a way back; expired form tokens re-show the form;
hosts without Flask-Login send visitors to the guest look-up; every order page offers
help; the care home promises only what exists."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from shopcare import ShopCare
from shopcare.core.db import utcnow
from tests.conftest import login
from tests.tracking.helpers import csrf_token, make_order

CONTACT = {"email": "care@shop.example", "phone": "+34 960 000 000", "hours": "Mon-Fri 9-18"}


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"SHOPCARE_CONTACT": CONTACT}


def assert_friendly(html: str, *, lang: str = "en") -> None:
    """In the layout, phone-ready, with a way back."""
    assert f'<html lang="{lang}">' in html
    assert 'name="viewport"' in html and '<div class="shopcare' in html
    assert 'href="/care/"' in html


def test_a_shopper_opening_a_staff_page_gets_a_kind_403(client):
    login(client, "ann")
    response = client.get("/care/staff/late-shipments")
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert_friendly(html)
    assert "This page is not available to you" in html and "Forbidden" not in html


def test_the_403_page_speaks_spanish(client):
    login(client, "ann")
    html = client.get("/care/staff/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert_friendly(html, lang="es")
    assert "Esta página no está disponible para ti" in html


def test_a_404_order_page_offers_the_look_up(client):
    login(client, "ann")
    response = client.get("/care/tracking/orders/NOPE-1")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert_friendly(html)
    assert 'href="/care/tracking/"' in html and "care@shop.example" in html


def test_a_missing_form_token_shows_the_form_again_filled(client):
    response = client.post("/care/tracking/", data={"reference": "SO-77", "email": "a@b.example"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "data-form-expired" in html and "please send it again" in html
    assert 'value="SO-77"' in html and 'value="a@b.example"' in html


def test_every_order_page_offers_help_with_the_shops_contact(care, db, client):
    make_order(care, user_id="ann")
    db.session.commit()
    login(client, "ann")
    html = client.get("/care/tracking/orders/SO-1").get_data(as_text=True)
    assert "Need help with this order?" in html
    assert "mailto:care@shop.example?subject=Order%20SO-1" in html and "tel:+34960000000" in html
    assert "sc-help-urgent" not in html


def test_help_is_prominent_on_a_late_parcel(care, db, client):
    make_order(care, user_id="ann")
    care.tracking.add_shipment(
        "SO-1", carrier="dhl", tracking_number="A", shipped_at=utcnow() - timedelta(days=30)
    )
    db.session.commit()
    login(client, "ann")
    html = client.get("/care/tracking/orders/SO-1").get_data(as_text=True)
    assert "sc-help-urgent" in html
    # Before the parcels, right under the header.
    assert html.index("Need help with this order?") < html.index("sc-shipment-head")


def test_the_guest_order_page_offers_another_look_up(care, db, client):
    make_order(care)
    db.session.commit()
    token = csrf_token(client, "/care/tracking/")
    link = client.post(
        "/care/tracking/",
        data={"reference": "SO-1", "email": "ann@example.com", "csrf_token": token},
    ).headers["Location"]
    html = client.get(link).get_data(as_text=True)
    assert "Track another order" in html and 'href="/care/tracking/"' in html


def test_the_care_home_promises_only_what_exists(client):
    html = client.get("/care/").get_data(as_text=True).lower()
    for promise in ("return", "survey", "what you think", "guarantee"):
        assert promise not in html, promise
    assert "care@shop.example" in html
    assert "/care/feedback/new" in html  # the suggestion box exists, and is reachable


# -- a host without Flask-Login -----------------------------------------------------------


@pytest.fixture
def loginless(database_url: str) -> Iterator[Flask]:
    app = Flask("loginless")
    app.config.update(SECRET_KEY="x", SQLALCHEMY_DATABASE_URI=database_url, TESTING=True)
    db = SQLAlchemy(app)
    ShopCare(app, db=db)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_without_flask_login_pages_needing_a_login_lead_to_the_look_up(loginless):
    client = loginless.test_client()
    response = client.get("/care/tracking/orders")
    assert response.status_code == 302 and response.headers["Location"] == "/care/tracking/"
    staff = client.get("/care/staff/late-shipments")
    assert staff.status_code == 401
    html = staff.get_data(as_text=True)
    assert "Please log in" in html and 'href="/care/tracking/"' in html
    assert re.search(r"<title>[^<]*Please log in", html)


def test_an_unexpected_error_gets_the_friendly_500_page(app, client, monkeypatch):
    """A bug in a shopcare view: the shopper gets the 500 page in the layout, in their
    language, with a way back, not the server's bare English one."""
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production

    def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("a bug")

    monkeypatch.setitem(app.view_functions, "shopcare.index", broken)
    response = client.get("/care/", headers={"Accept-Language": "es"})
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert_friendly(html, lang="es")
    assert "Algo ha fallado por nuestra parte" in html
