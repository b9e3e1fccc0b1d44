"""The order page's after-sales panel in Python (shopcare.cases.panel) is the template's
output byte for byte, in every branch, in English and Spanish; a host's template of
that name is still what the page shows."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from flask import render_template
from flask_babel import force_locale
from jinja2 import ChoiceLoader, DictLoader

from shopcare.cases import panel
from shopcare.cases.views import case_words
from shopcare.core import web
from shopcare.core.i18n import Catalog, formats
from tests.conftest import login
from tests.tracking.helpers import make_order

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def _kind(eligible: bool, until: datetime | None = None, lines: list[Any] | None = None) -> Any:
    return SimpleNamespace(eligible=eligible, until=until, lines=lines or [])


def _line(name: str, until: datetime | None, refusal: str | None) -> Any:
    return SimpleNamespace(name=name, until=until, refusal=refusal)


LINES = [
    _line("Terracotta pot <b>&</b>", NOW + timedelta(days=700), None),
    _line("Fern", NOW - timedelta(days=3), "expired"),
    _line("Seeds \"x\" 'y'", None, "not_delivered"),
    _line("Lamp", NOW + timedelta(days=20), "already_covered"),
]
CASES = [("RMA-2", "return", "requested"), ("RMA-<1>", "guarantee", "resolved"), ("W-3", "x", "y")]


def contexts() -> list[dict[str, Any]]:
    found = []
    for withdraw, until, returns, guarantee, lines, cases, key in itertools.product(
        (True, False),
        (NOW + timedelta(days=14), None),
        (True, False),
        (True, False),
        (LINES, []),
        (CASES, []),
        (None, 'k&y="1"'),
    ):
        if not withdraw and until is None:
            continue
        fmt = formats()
        found.append(
            {
                "key": key,
                "withdrawal": _kind(withdraw, until),
                "returns": _kind(returns),
                "guarantee": _kind(guarantee, lines=lines),
                "cases": cases,
                "day": lambda moment, fmt=fmt: fmt.day(moment - timedelta(microseconds=1), now=NOW),
                "desk": None,
            }
        )
    return found


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_branch_is_the_template_byte_for_byte(app: Any, language: str) -> None:
    order = SimpleNamespace(reference="SO-1 <&>")
    with app.test_request_context("/care/"), force_locale(language):
        catalog = Catalog()
        checked = 0
        for context in contexts():
            expected = render_template(
                panel.TEMPLATE, context=context, order=order, _sc=catalog.gettext
            )
            written = panel.order_panel_html(order, context, catalog.gettext, case_words())
            assert written == expected, context
            checked += 1
        assert checked == 96
        if language == "es":
            assert "Devoluciones" in written or "devoluci" in written.lower()


def test_the_page_is_the_same_with_the_template(
    app: Any, care: Any, db: Any, client: Any, monkeypatch: Any
) -> None:
    make_order(care, user_id="ann")
    db.session.commit()
    login(client, "ann")
    in_python = client.get("/care/tracking/orders/SO-1").get_data(as_text=True)
    assert "sc-case-panel" in in_python
    monkeypatch.setattr(web, "own_templates", lambda names: False)
    with_template = client.get("/care/tracking/orders/SO-1").get_data(as_text=True)
    assert in_python == with_template


def test_a_host_template_of_that_name_is_what_the_page_shows(
    app: Any, care: Any, db: Any, client: Any, monkeypatch: Any
) -> None:
    loader = ChoiceLoader(
        [
            DictLoader({panel.TEMPLATE: "<p>host panel {{ order.reference }}</p>"}),
            app.jinja_env.loader,  # type: ignore[list-item]
        ]
    )
    monkeypatch.setattr(app.jinja_env, "loader", loader)
    monkeypatch.setattr(
        panel,
        "order_panel_html",
        lambda *args: pytest.fail("written in Python despite a host template"),
    )
    make_order(care, user_id="ann")
    db.session.commit()
    login(client, "ann")
    html = client.get("/care/tracking/orders/SO-1").get_data(as_text=True)
    assert "<p>host panel SO-1</p>" in html and "sc-case-panel" not in html
