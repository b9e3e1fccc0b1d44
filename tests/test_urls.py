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


def test_page_url_outside_a_request_is_url_for(app) -> None:
    app.config["SERVER_NAME"] = "shop.example"
    with app.app_context():
        assert page_url("shopcare.cases.case", number="C-1") == url_for(
            "shopcare.cases.case", number="C-1"
        )
