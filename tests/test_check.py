"""``flask shopcare check``: what is wrong or missing, with how to fix it; run by the
worker at start and, in debug mode, at the app's first request."""

from __future__ import annotations

import logging
from typing import Any

from click.testing import Result
from jinja2 import DictLoader

from tests.host import make_app

GOOD = {
    "SECRET_KEY": "a0f1c9d2e8b7a6f5c4d3e2f1a0b9c8d7",
    "SHOPCARE_EXTERNAL_URL": "https://shop.example",
    "SHOPCARE_MAIL_SENDER": "Tea & Co care <care@tea.example>",
    "MAIL_SERVER": "smtp.tea.example",
    "SHOPCARE_RATELIMIT_ENABLED": False,
}


def base_templates(app: Any, **templates: str) -> None:
    """Give the host app these templates (as a restart with new files would)."""
    app.jinja_loader = DictLoader(templates)
    if app.jinja_env.cache is not None:
        app.jinja_env.cache.clear()


def check(app: Any, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=["shopcare", "check", *args])


def migrated(url: str, **config: Any) -> Any:
    app, db, _care = make_app(url, **config)
    assert app.test_cli_runner().invoke(args=["shopcare", "db", "upgrade"]).exit_code == 0
    return app, db


def test_a_good_setup_passes(empty_database_url):
    app, db = migrated(empty_database_url, **GOOD)
    result = check(app)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "shopcare check: everything is in order"
    with app.app_context():
        db.engine.dispose()


def test_what_is_missing_is_reported_with_its_fix(database_url):
    # the test database's tables come from create_all without a recorded revision
    app, db, _care = make_app(database_url, SECRET_KEY=None)
    result = check(app)
    assert result.exit_code == 1
    output = result.output
    assert "3 problem(s)" not in output  # counted below, one by one
    for text in (
        "ERROR  secret key: SECRET_KEY is not set",
        "ERROR  mail: SHOPCARE_EXTERNAL_URL is not set",
        'fix: set SHOPCARE_EXTERNAL_URL = "https://shop.example"',
        "ERROR  mail: no sender",
        "fix: set SHOPCARE_MAIL_SENDER",
        "WARNING  mail: MAIL_SERVER is not set",
        "ERROR  migrations: shopcare's tables are not under migration control",
        "fix: if they match this version of shopcare, run flask shopcare db stamp",
        "WARNING  rate limits: SHOPCARE_RATELIMIT_STORAGE_URI is memory://",
        'SHOPCARE_RATELIMIT_STORAGE_URI = "redis://host:6379"',
    ):
        assert text in output, text
    assert output.startswith("shopcare check: 4 problem(s), 2 warning(s)")
    with app.app_context():
        db.engine.dispose()


def test_the_base_templates_blocks(empty_database_url):
    app, db = migrated(empty_database_url, **GOOD, SHOPCARE_BASE_TEMPLATE="shop.html")
    base_templates(app, **{"shop.html": "<main>{% block content %}{% endblock %}</main>"})
    result = check(app)
    assert result.exit_code == 0, result.output  # it works: warnings only
    assert "WARNING  layout: shop.html has no head block" in result.output
    assert "WARNING  layout: shop.html has no scripts block" in result.output
    assert "WARNING  layout: shop.html has no title block" in result.output
    assert "README, 'Your layout'" in result.output
    assert check(app, "--strict").exit_code == 1

    base_templates(app, **{"shop.html": "<main>{% block main %}{% endblock %}</main>"})
    result = check(app)
    assert result.exit_code == 1
    assert "ERROR  layout: shop.html has no content block" in result.output
    app.config["SHOPCARE_BASE_TEMPLATE"] = "nowhere.html"
    assert "ERROR  layout: SHOPCARE_BASE_TEMPLATE = 'nowhere.html' is not found" in (
        check(app).output
    )
    with app.app_context():
        db.engine.dispose()


def test_unapplied_migrations(empty_database_url):
    app, db = migrated(empty_database_url, **GOOD)
    app.test_cli_runner().invoke(args=["shopcare", "db", "downgrade"])
    result = check(app)
    assert result.exit_code == 1
    assert "ERROR  migrations: 1 migration(s) not applied" in result.output
    assert "fix: run flask shopcare db upgrade" in result.output
    with app.app_context():
        db.engine.dispose()


def test_debug_mode_logs_the_findings_at_the_first_request_and_never_raises(database_url, caplog):
    app, db, _care = make_app(
        database_url, DEBUG=True, SHOPCARE_BASE_TEMPLATE="broken.html", SECRET_KEY=None
    )
    base_templates(app, **{"broken.html": "{% block content %}"})
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="shopcare.check"):
        assert client.get("/login").status_code == 200
    messages = [record.getMessage() for record in caplog.records if record.name == "shopcare.check"]
    assert any("SHOPCARE_EXTERNAL_URL is not set" in message for message in messages)
    assert any("layout: broken.html line 1: Unexpected end of template" in m for m in messages)
    assert all(r.levelno <= logging.WARNING for r in caplog.records if "check:" in r.getMessage())
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="shopcare.check"):
        client.get("/login")
    assert not caplog.records  # once per process
    with app.app_context():
        db.engine.dispose()


def test_no_check_outside_debug_mode(app, client, caplog):
    with caplog.at_level(logging.WARNING, logger="shopcare.check"):
        client.get("/login")
    assert not caplog.records


def test_the_worker_logs_the_findings_when_it_starts(database_url, caplog):
    app, db, _care = make_app(database_url)
    with caplog.at_level(logging.WARNING, logger="shopcare.check"):
        result = app.test_cli_runner().invoke(args=["shopcare", "work"])
    assert result.exit_code == 0, result.output
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("mail: SHOPCARE_EXTERNAL_URL is not set" in message for message in errors)
    with app.app_context():
        db.engine.dispose()
