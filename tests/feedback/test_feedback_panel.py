"""The order page's "questions" panel written in Python is its template's output, byte
for byte, with and without a guest key, in English and Spanish; a host's template of
that name is what the page shows."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from flask import render_template
from flask_babel import force_locale
from jinja2 import ChoiceLoader, DictLoader

from shopcare.core.i18n import Catalog
from shopcare.feedback import views
from tests.conftest import login
from tests.tracking.helpers import make_order


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("key", [None, 'k&y="<1>"'])
def test_the_panel_is_the_template_byte_for_byte(app: Any, language: str, key: str | None) -> None:
    order = SimpleNamespace(reference="SO-1 <&>")
    query = "" if key is None else "?key=" + key.replace("&", "%26")
    with app.test_request_context("/care/tracking/orders/SO-1" + query), force_locale(language):
        panel = views.order_panel(order)  # type: ignore[arg-type]
        assert panel is not None and panel.html is not None
        expected = render_template(
            views.PANEL, context=panel.context, order=order, _sc=Catalog.current().gettext
        )
        assert str(panel.html) == expected
        if language == "es":
            assert "Escr" in expected or "escr" in expected


def test_a_host_template_of_that_name_is_what_the_page_shows(
    app: Any, care: Any, db: Any, client: Any, monkeypatch: Any
) -> None:
    loader = ChoiceLoader(
        [
            DictLoader({views.PANEL: "<p>host questions {{ context.order.reference }}</p>"}),
            app.jinja_env.loader,  # type: ignore[list-item]
        ]
    )
    monkeypatch.setattr(app.jinja_env, "loader", loader)
    make_order(care, user_id="ann")
    db.session.commit()
    login(client, "ann")
    html = client.get("/care/tracking/orders/SO-1").get_data(as_text=True)
    assert "<p>host questions SO-1</p>" in html and "sc-feedback-panel" not in html
