from __future__ import annotations

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from shopcare import ConfigError, ShopCare
from shopcare.core.config import setting
from tests.conftest import login
from tests.host import make_app


def test_init_app_registers_state_and_defaults(app, care):
    assert app.extensions["shopcare"].care is care
    assert app.config["SHOPCARE_URL_PREFIX"] == "/care"
    assert "shopcare" in app.blueprints
    assert not hasattr(care, "app")


def test_init_app_twice_raises(app, care, db):
    with pytest.raises(RuntimeError, match="already initialised"):
        care.init_app(app, db=db)


def test_init_app_without_db_raises():
    with pytest.raises(TypeError, match="SQLAlchemy"):
        ShopCare(Flask("x"))


def test_unknown_setting_raises(app):
    with pytest.raises(ConfigError, match="SHOPCARE_URL_PREFX"):
        setting("SHOPCARE_URL_PREFX")


def test_host_value_wins_over_default(database_url):
    app, _db, _care = make_app(database_url, SHOPCARE_SHOP_NAME="Tea & Co")
    with app.app_context():
        assert setting("SHOPCARE_SHOP_NAME") == "Tea & Co"


def test_two_apps_with_different_settings_in_one_process(database_url):
    care = ShopCare()
    apps = []
    for prefix, name in (("/care", "First"), ("/help", "Second")):
        app = Flask(name)
        app.config.update(
            SQLALCHEMY_DATABASE_URI=database_url,
            SHOPCARE_URL_PREFIX=prefix,
            SHOPCARE_SHOP_NAME=name,
        )
        care.init_app(app, db=SQLAlchemy(app))
        apps.append(app)
    first, second = (app.test_client() for app in apps)
    assert b"First" in first.get("/care/").data
    assert first.get("/help/").status_code == 404
    assert b"Second" in second.get("/help/").data
    assert second.get("/care/").status_code == 404
    for app in apps:
        with app.app_context():
            app.extensions["shopcare"].db.engine.dispose()


def test_care_home_answers_and_static_is_served(client):
    response = client.get("/care/")
    assert response.status_code == 200
    assert b"How can we help?" in response.data
    assert client.get("/care/static/shopcare/shopcare.css").status_code == 200


def test_home_in_spanish_from_accept_language(client):
    response = client.get("/care/", headers={"Accept-Language": "es-ES,es;q=0.9"})
    assert "¿En qué podemos ayudarte?" in response.get_data(as_text=True)
    assert 'lang="es"' in response.get_data(as_text=True)


def test_host_babel_selector_wins(database_url):
    from flask_babel import Babel

    app = Flask("babelhost")
    app.config.update(SQLALCHEMY_DATABASE_URI=database_url)
    Babel(app, locale_selector=lambda: "es")
    ShopCare(app, db=SQLAlchemy(app))
    text = app.test_client().get("/care/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "¿En qué podemos ayudarte?" in text


def test_staff_check_default_and_custom(app, client):
    from shopcare.core.access import is_staff
    from tests.host import USERS

    assert is_staff(USERS["sam"]) and not is_staff(USERS["ann"])
    app.config["SHOPCARE_IS_STAFF"] = lambda user: user.id == "ann"
    assert is_staff(USERS["ann"]) and not is_staff(USERS["sam"])
    login(client, "ann")


def test_each_feature_declares_its_parts_in_one_list():
    from shopcare.cases import wiring as cases
    from shopcare.core import wiring as core
    from shopcare.extension import FEATURES
    from shopcare.feedback import wiring as feedback
    from shopcare.insights import wiring as insights
    from shopcare.orders import wiring as orders
    from shopcare.staff import wiring as staff
    from shopcare.surveys import wiring as surveys
    from shopcare.tracking import wiring as tracking

    assert (core, orders, staff, tracking, cases, feedback, surveys, insights) == FEATURES
    assert all(callable(feature.init_app) for feature in FEATURES)


def test_two_apps_keep_their_own_parts(database_url):
    from shopcare.core.state import HomeCard, get_state

    first, first_db, care = make_app(database_url)
    second, second_db, _care = make_app(database_url)
    one, two = get_state(first), get_state(second)
    assert one is not two and one.care is care
    # Each app gets blueprints of its own, with the same endpoints.
    for name in ("shopcare", "shopcare.api", "shopcare.staff"):
        assert first.blueprints[name] is not second.blueprints[name]
    endpoints = {
        app: {rule.endpoint for rule in app.url_map.iter_rules()} for app in (first, second)
    }
    assert endpoints[first] == endpoints[second]
    assert {"shopcare.api.record_order", "shopcare.staff.late_shipments"} <= endpoints[first]
    # What one app's state gains, the other never sees.
    one.add_home_card(lambda: HomeCard("Only here", "first app only", "/x"))
    assert b"Only here" in first.test_client().get("/care/").data
    assert b"Only here" not in second.test_client().get("/care/").data
    with first.app_context():
        first_db.engine.dispose()
    with second.app_context():
        second_db.engine.dispose()


def test_an_unknown_setting_in_the_config_fails_at_init_app(database_url):
    app = Flask("typo")
    app.config.update(SQLALCHEMY_DATABASE_URI=database_url, SHOPCARE_URL_PREFX="/help")
    with pytest.raises(ConfigError, match=r"SHOPCARE_URL_PREFX.*did you mean SHOPCARE_URL_PREFIX"):
        ShopCare(app, db=SQLAlchemy(app))
    assert "shopcare" not in app.extensions  # nothing was mounted
    assert "shopcare" not in app.blueprints


def test_a_domains_setting_is_known_and_others_are_not(database_url):
    app = Flask("typo")
    app.config.update(SQLALCHEMY_DATABASE_URI=database_url, SHOPCARE_CARRIER="dhl")
    with pytest.raises(ConfigError, match="did you mean SHOPCARE_CARRIERS"):
        ShopCare(app, db=SQLAlchemy(app))
