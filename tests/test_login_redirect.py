"""The login redirect keeps the whole address, the mount prefix included, and no
``next`` that leaves the site is followed."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix

from shopcare.core.access import safe_next


def next_of(response) -> list[str]:
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path.endswith("/login")
    return parse_qs(location.query)["next"]


def test_next_keeps_the_whole_query_string(client):
    response = client.get("/care/tracking/orders?page=2&sort=new")
    assert next_of(response) == ["/care/tracking/orders?page=2&sort=new"]


def test_a_second_next_cannot_be_smuggled_in(client):
    response = client.get("/care/tracking/orders?page=2&next=//evil.example")
    assert next_of(response) == ["/care/tracking/orders?page=2&next=//evil.example"]


def test_next_keeps_the_mount_prefix(client):
    response = client.get("/care/tracking/orders?page=2", base_url="http://shop.example/tienda")
    assert response.headers["Location"].startswith("/tienda/login?")
    assert next_of(response) == ["/tienda/care/tracking/orders?page=2"]


def test_next_keeps_a_proxy_prefix(app, client):
    app.wsgi_app = ProxyFix(app.wsgi_app, x_prefix=1)  # type: ignore[method-assign]
    response = client.get("/care/staff/", headers={"X-Forwarded-Prefix": "/tienda"})
    assert next_of(response) == ["/tienda/care/staff/"]


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        " /x",
        "javascript:alert(1)",
        "evil.example",
        "",
        None,
    ],
)
def test_off_site_next_is_refused(target):
    assert safe_next(target, "/home") == "/home"


@pytest.mark.parametrize("target", ["/care/tracking/orders?page=2&sort=new", "/tienda/care/", "/"])
def test_on_site_next_is_kept(target):
    assert safe_next(target, "/home") == target
