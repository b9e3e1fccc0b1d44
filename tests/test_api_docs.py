"""The API reference page: Redoc, vendored in shopcare's static files, renders the
OpenAPI document; nothing is loaded from anywhere else."""

from __future__ import annotations

import hashlib

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import ROOT
from tests.fixtures_api import API

VENDOR = ROOT / "shopcare" / "static" / "shopcare" / "vendor"
REDOC = "/care/static/shopcare/vendor/redoc/redoc.standalone.js"


def test_the_page_points_redoc_at_the_document(client: FlaskClient) -> None:
    response = client.get(f"{API}/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert f'<redoc spec-url="{API}/openapi.json">' in html
    assert f'<script src="{REDOC}"></script>' in html
    assert "https://" not in html and "//cdn" not in html
    assert "img-src 'self' data:" in response.headers["Content-Security-Policy"]


def test_the_page_is_in_the_shoppers_language(client: FlaskClient) -> None:
    html = client.get(f"{API}/docs", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "<title>Referencia de la API" in html


def test_the_vendored_renderer_is_served_with_its_licence(client: FlaskClient) -> None:
    response = client.get(REDOC)
    assert response.status_code == 200 and "javascript" in response.mimetype
    recorded = (VENDOR / "README.md").read_text()
    assert hashlib.sha256(response.data).hexdigest() in recorded  # as shipped by npm
    response.close()
    licence = (VENDOR / "redoc" / "LICENSE").read_text()
    assert "MIT License" in licence and "Rebilly" in licence
    assert (VENDOR / "redoc" / "redoc.standalone.js.LICENSE.txt").exists()


@pytest.mark.browser
def test_redoc_renders_the_reference_from_shopcare_alone(app: Flask, live_server, page) -> None:
    url = live_server(app)

    def local(address: str) -> bool:
        return address.startswith((url, "data:", "blob:"))

    left: list[str] = []  # requests that reached another server
    page.on("requestfinished", lambda r: None if local(r.url) else left.append(r.url))
    page.on(
        "requestfailed",
        # the page's Content-Security-Policy stops Redoc's CDN logo in the browser
        lambda r: None if local(r.url) or r.failure == "csp" else left.append(r.url),
    )
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{url}{API}/docs")
    heading = page.locator("h2", has_text="Record an order, or update it by its reference")
    heading.first.wait_for()
    assert page.locator("h1", has_text="customer care API").first.is_visible()
    page.wait_for_load_state("networkidle")
    assert left == [] and errors == []
