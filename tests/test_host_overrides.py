"""The customisation story, proven by a host of its own (``tests/host_templates/``): its
base layout (``SHOPCARE_BASE_TEMPLATE``) wraps every shopcare page, and a file at the
path of a shopcare template replaces that template."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from tests.conftest import ROOT
from tests.host import make_app

HOST_TEMPLATES = ROOT / "tests" / "host_templates"


@pytest.fixture
def host(database_url: str) -> Iterator[FlaskClient]:
    app, db, _care = make_app(
        database_url,
        template_folder=str(HOST_TEMPLATES),
        SHOPCARE_BASE_TEMPLATE="host/layout.html",
    )
    yield app.test_client()
    with app.app_context():
        db.engine.dispose()


def test_the_hosts_page_replaces_shopcares(host: FlaskClient) -> None:
    html = host.get("/care/tracking/").get_data(as_text=True)
    assert 'id="host-lookup"' in html and "Where is my tea?" in html
    assert "Find my order" not in html  # shopcare's own lookup page is not used


def test_every_page_renders_in_the_hosts_layout(host: FlaskClient) -> None:
    html = host.get("/care/").get_data(as_text=True)  # a page the host does not override
    assert 'id="host-header"' in html and 'class="host-shop"' in html
    assert "How can we help?" in html  # shopcare's own care home, inside it
    assert "sc-topbar" not in html  # shopcare's default layout is not used


def test_the_override_still_works_as_a_form(host: FlaskClient) -> None:
    response = host.post("/care/tracking/", data={"reference": "NOPE-1", "email": "a@b.example"})
    assert response.status_code == 200
    assert 'id="host-lookup"' in response.get_data(as_text=True)
