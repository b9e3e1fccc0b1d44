"""``shopcare.core.urls.page_url`` gives what ``url_for`` gives, for every value."""

from __future__ import annotations

from typing import Any

import pytest
from flask import url_for

from shopcare.core.urls import MAX_PATTERNS, page_url

VALUES = [
    "SO-1",
    "CV-100117",
    "a b/é?&=#%+'\"<>",
    "ñandú·€",
    "%2F..%00",
    "eyJvIjoxMTcsInIiOiJDVi0xMDAxMTcifQ.aw9pIg.lU75ZFpfLq1SsAIMjtzbEAmQXJs",
    "x" * 300,
]

CALLS: list[tuple[str, tuple[str, ...]]] = [
    ("shopcare.cases.new", ("reference", "kind", "key")),
    ("shopcare.cases.withdraw", ("reference", "key")),
    ("shopcare.cases.case", ("number", "key")),
    ("shopcare.feedback.new", ("order", "key")),
    ("shopcare.tracking.order", ("reference", "key")),
    ("shopcare.tracking.order", ("key", "reference")),
]


@pytest.mark.parametrize(("endpoint", "names"), CALLS)
@pytest.mark.parametrize("script_root", ["", "/shop"])
def test_page_url_is_url_for(app, endpoint: str, names: tuple[str, ...], script_root: str) -> None:
    with app.test_request_context("/", base_url=f"http://shop.example{script_root}"):
        for value in VALUES:
            values: dict[str, Any] = {name: value for name in names}
            if "kind" in values:
                values["kind"] = "return"
            assert page_url(endpoint, **values) == url_for(endpoint, **values)
            # A value of None is left out, as url_for leaves it out.
            values["key"] = None
            assert page_url(endpoint, **values) == url_for(endpoint, **values)
        patterns = app.extensions["shopcare.url_patterns"]
        assert any(key[2] == endpoint and pattern is not None for key, pattern in patterns.items())


def test_page_url_keeps_url_for_when_the_host_adds_url_defaults(app) -> None:
    @app.url_defaults
    def language(endpoint: str, values: dict[str, Any]) -> None:
        values.setdefault("lang", "es")

    with app.test_request_context("/"):
        got = page_url("shopcare.cases.case", number="C-1", key="k")
        assert got == url_for("shopcare.cases.case", number="C-1", key="k")
        assert "lang=es" in got
    assert "shopcare.url_patterns" not in app.extensions


def test_page_url_stops_remembering_patterns_past_its_bound(app) -> None:
    patterns = app.extensions.setdefault("shopcare.url_patterns", {})
    for index in range(MAX_PATTERNS):
        patterns[("", f"h{index}", "x")] = None
    with app.test_request_context("/", base_url="http://another.example"):
        got = page_url("shopcare.cases.case", number="C 1", key="k&")
        assert got == url_for("shopcare.cases.case", number="C 1", key="k&")
    assert len(patterns) == MAX_PATTERNS


def test_one_app_under_two_mount_points_and_hosts_gets_each_its_own_links(app) -> None:
    for base in ("http://shop.example", "http://shop.example/shop", "http://other.example/x"):
        with app.test_request_context("/", base_url=base):
            got = page_url("shopcare.cases.case", number="C 1", key="k")
            assert got == url_for("shopcare.cases.case", number="C 1", key="k")
            assert got.startswith(base.split("example", 1)[1] + "/care/")
    assert len(app.extensions["shopcare.url_patterns"]) == 3


def test_page_url_keeps_url_for_when_a_subclass_puts_the_request_in_its_urls(app) -> None:
    from flask import Flask, g

    class Shop(Flask):
        def inject_url_defaults(self, endpoint: str, values: dict[str, Any]) -> None:
            super().inject_url_defaults(endpoint, values)
            values.setdefault("lang", g.get("lang", "en"))

    app.__class__ = Shop
    for lang in ("en", "es"):
        with app.test_request_context("/"):
            g.lang = lang
            got = page_url("shopcare.cases.case", number="C-1", key="k")
            assert got == url_for("shopcare.cases.case", number="C-1", key="k")
            assert f"lang={lang}" in got


def test_page_url_keeps_url_for_for_an_endpoint_with_several_rules(app) -> None:
    view = app.view_functions["shopcare.cases.new"]
    app.add_url_rule(
        "/returns/<reference>",
        endpoint="shopcare.cases.new",
        view_func=view,
        defaults={"kind": "return"},
    )
    with app.test_request_context("/"):
        for kind in ("return", "guarantee"):
            got = page_url("shopcare.cases.new", reference="SO-1", kind=kind, key="k")
            assert got == url_for("shopcare.cases.new", reference="SO-1", kind=kind, key="k")
        assert page_url("shopcare.cases.new", reference="SO-1", kind="return").startswith(
            "/returns/"
        )


def test_page_url_outside_a_request_builds_no_pattern(app) -> None:
    app.config["SERVER_NAME"] = "shop.example"
    with app.app_context():
        assert page_url("shopcare.cases.case", number="C-1") == "http://shop.example/care/cases/C-1"
    assert "shopcare.url_patterns" not in app.extensions
