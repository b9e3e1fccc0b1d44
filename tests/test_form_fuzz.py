"""Hypothesis over every form shopcare shows: each page of the sweep's world is opened by
who may use it, every ``<form method="post">`` on it is read from the HTML, and its
fields are filled with generated text (control characters, markup, huge values, numbers
out of range, the field's own choices) and posted with the form's real CSRF token.

Whatever is typed: never a 5xx, and nothing typed comes back as live markup. (The JSON
endpoints get the same from schemathesis in ``tests/test_api_openapi.py``.)
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopcare.core.access import OWNER, PUBLIC, SHOPPER, STAFF, access_rule
from tests.cases.helpers import CONFIG
from tests.fixtures_sweep import Visitor, methods, shopcare_rules, url
from tests.test_escaping import live_markup

MARKUP = "<script>alert(1)</script><img src=x onerror=alert(2)>"
TRICKY = [
    MARKUP,
    "",
    " ",
    "\x00",
    "a\x07b",
    "x" * 5000,
    "-1",
    "0",
    "99999999999999999999",
    "1e309",
    "NaN",
    "ann@example.com",
    "é" * 300,
    "\ud7ff\ue000",
    "../../etc/passwd",
    "' OR 1=1 --",
]


@pytest.fixture
def app_config(tmp_path: Any) -> dict[str, Any]:
    return {
        **CONFIG,
        "SHOPCARE_CASE_PHOTO_DIR": str(tmp_path / "photos"),
        "SHOPCARE_FEEDBACK_BOARD": True,
    }


class Forms(HTMLParser):
    """The POST forms of a page: ``[(action, {name: [choices or current value]})]``."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, list[str]]]] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        if tag == "form" and found.get("method", "get").lower() == "post":
            self.forms.append((found.get("action", ""), {}))
        elif not self.forms:
            return
        elif tag in ("input", "textarea") and found.get("name"):
            if found.get("type") in ("submit", "file", "button"):
                return
            self.forms[-1][1].setdefault(found["name"], []).append(found.get("value", ""))
        elif tag == "select" and found.get("name"):
            self._select = found["name"]
            self.forms[-1][1].setdefault(self._select, [])
        elif tag == "option" and self._select is not None:
            self.forms[-1][1][self._select].append(found.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


#: Fields whose real value the fuzz keeps (the token that lets the POST in at all, the
#: guest link that lets a guest in, the idempotency key of the withdrawal's second step).
KEPT = {"csrf_token", "key"}


def field_values(fields: dict[str, list[str]]) -> st.SearchStrategy[dict[str, str]]:
    strategies = {}
    for name, known in fields.items():
        if name.rsplit("-", 1)[-1] in KEPT:
            strategies[name] = st.just(known[0] if known else "")
        else:
            strategies[name] = st.one_of(
                st.sampled_from(TRICKY),
                st.sampled_from([value for value in known if value] or [""]),
                st.text(max_size=60),
            )
    return st.fixed_dictionaries(strategies)


def fuzz(visitor: Visitor, db: Any, page: str, action: str, fields: dict[str, list[str]]) -> int:
    """Post generated values to one form (12 examples, the same on every run); how many
    got past the CSRF check (so that the fuzz reaches the form's own validation)."""
    past_token = 0

    @settings(
        max_examples=12,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=field_values(fields))
    def post(data: dict[str, str]) -> None:
        nonlocal past_token
        response = visitor.open(action, method="POST", data=data)
        db.session.rollback()
        flashed = (
            b"This form had expired" in visitor.get(page).data
            if response.status_code == 302
            else False
        )
        if (
            response.status_code != 400
            and b"data-form-expired" not in response.data
            and not flashed
        ):
            past_token += 1
        assert response.status_code < 500, (page, action, data)
        if response.mimetype == "text/html":
            body = response.get_data(as_text=True)
            assert live_markup(body) == [], (page, action, data)
            assert "<script>alert(1)" not in body, (page, action, data)

    post()
    return past_token


def test_every_form_takes_any_input_without_a_5xx_or_live_markup(
    app: Flask, db: Any, world: dict[str, Any]
) -> None:
    values = world["values"]
    pages = []
    for rule in shopcare_rules(app):
        declared = access_rule(app.view_functions[rule.endpoint])
        if declared is None or "GET" not in methods(rule) or rule.endpoint.endswith(".static"):
            continue
        kind = declared[0]
        if kind not in (PUBLIC, SHOPPER, OWNER, STAFF):
            continue
        pages.append((url(rule, values), "sam" if kind == STAFF else "ann"))
    fuzzed = 0
    for page, who in pages:
        visitor = Visitor(app, who)
        shown = visitor.get(page)
        if shown.mimetype != "text/html":
            continue  # a photo
        parser = Forms()
        parser.feed(shown.get_data(as_text=True))
        for action, fields in parser.forms:
            if not action or not any(name.endswith("csrf_token") for name in fields):
                continue
            fuzzed += 1
            reached = fuzz(visitor, db, page, action, fields)
            assert reached > 0, f"{action} (on {page}): every post was refused for its token"
    # Every kind of form was reached: the look-up, a case, a withdrawal, the staff's.
    assert fuzzed >= 8, fuzzed
