"""The order page's timeline entries made in Python (``State.add_timeline_entry``) are
their templates' HTML byte for byte: every one of shopcare's entry templates, rendered
both ways over the data its events carry (and lack), hostile text included, in English
and Spanish; and a host's own template of one of those names is rendered as a template."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, NamedTuple

import pytest
from flask import render_template_string
from flask_babel import force_locale, refresh
from jinja2 import ChoiceLoader, DictLoader

import shopcare.tracking.views as tracking_views
from shopcare.core import web
from shopcare.core.events import record_event
from shopcare.core.i18n import Catalog
from shopcare.core.state import get_state
from tests.conftest import login
from tests.tracking.helpers import T0, make_order, many_lines

HOSTILE = "<script>alert(\"x\")</script> & 'quoted'"


class Event(NamedTuple):
    action: str
    data: Any
    occurred_at: Any = T0


class Numbers:
    """``tracking`` as the entry templates read it: shipment 7 is the order's parcel 2."""

    def shipment_number(self, event: Any) -> int | None:
        return {7: 2}.get(event.data.get("shipment_id"))


def cases() -> list[tuple[str, Event]]:
    events: list[tuple[str, Event]] = [("order.recorded", Event("order.recorded", {}))]
    for carrier in ("dhl", "nobody-knows", HOSTILE, None):
        for shipment_id in (7, 8, None):
            data: dict[str, Any] = {"shipment_id": shipment_id}
            if carrier is not None:
                data["carrier"] = carrier
            events.append(("shipment.added", Event("shipment.added", data)))
    for status in ("in_transit", "delivered", "exception", "made_up", HOSTILE, "", None):
        for extra in (
            {},
            {"location": "Hub <1> & co"},
            {"message": HOSTILE, "carrier": "dhl"},
            {"message": "Left at the door", "carrier": HOSTILE, "location": 5},
            {"message": "No carrier"},
        ):
            for shipment_id in (7, None):
                data = {"shipment_id": shipment_id, **extra}
                if status is not None:
                    data["status"] = status
                events.append(("shipment", Event(f"shipment.{status or 'x'}", data)))
    for resolution in ("delivered", "reshipped", "refunded", "lost", "other", None):
        for shipment_id in (7, None):
            data = {"shipment_id": shipment_id}
            if resolution is not None:
                data["resolution"] = resolution
            events.append(("shipment.resolved", Event("shipment.resolved", data)))
    verbs = ("opened", "approved", "rejected", "received", "resolved", "closed", "cancelled")
    for verb in (*verbs, "noted", "made_up"):
        for data in (
            {"number": "R-1", "kind": "return"},
            {"number": HOSTILE, "kind": "withdrawal", "reason": HOSTILE, "text": HOSTILE},
            {"kind": "nonsense <k>", "reason": "", "text": ""},
            {"number": None, "kind": "guarantee", "reason": "Too late", "text": "Called back"},
            {},
        ):
            events.append(("case", Event(f"case.{verb}", data)))
    events.append(("case", Event("case", {"number": "R-2"})))
    for summary in ("Gift wrapped <b>", "", 5, None):
        data = {} if summary is None else {"summary": summary}
        events.append(("_default", Event("made.up", data)))
    return events


@pytest.mark.parametrize("locale", ["en", "es"])
def test_each_entry_in_python_is_its_template_byte_for_byte(app, locale):
    renderers = get_state(app).timeline_entries
    assert set(renderers) == {
        f"shopcare/timeline/{name}.html"
        for name in (
            "order.recorded",
            "shipment.added",
            "shipment",
            "shipment.resolved",
            "case",
            "_default",
        )
    }
    with app.test_request_context("/"), force_locale(locale):
        catalog = Catalog()
        names = {
            "_sc": catalog.gettext,
            "tracking": Numbers(),
            "shopcare_status_label": tracking_views._label_lookup(tracking_views.status_labels()),
            "shopcare_carrier_name": tracking_views.carrier_name,
        }
        checked = 0
        for name, event in cases():
            template = f"shopcare/timeline/{name}.html"
            in_python = renderers[template](event, names)
            included = render_template_string(
                "{% include template %}", template=template, event=event, **names
            )
            assert str(in_python) == included, (template, event)
            checked += 1
        assert checked > 140
    if locale == "es":
        with app.test_request_context("/"), force_locale("es"):
            names["_sc"] = Catalog().gettext
            headline = renderers["shopcare/timeline/case.html"](
                Event("case.opened", {"number": "R-1", "kind": "return"}), names
            )
        assert "R-1" in headline and "Request" not in headline  # translated


def add_everything(care: Any, db: Any) -> None:
    """An order whose timeline has every kind of entry the page shows."""
    make_order(care, user_id="ann", lines=many_lines(3))
    for number in range(2):
        care.tracking.add_shipment(
            "SO-1",
            carrier="dhl",
            tracking_number=f"T{number}",
            lines={f"SKU-{number}": 1},
            shipped_at=T0,
        )
        care.tracking.add_event(
            "SO-1",
            "in_transit",
            carrier="dhl",
            tracking_number=f"T{number}",
            location="Hub <1> & co",
            message=HOSTILE,
            occurred_at=T0 + timedelta(hours=number + 1),
        )
    # A host's own public events: one with a summary, one without (it shows no entry).
    care.add_events("gift.wrapped", "gift.noted")
    order = care.orders.get("SO-1")
    record_event("order", order.id, "gift.wrapped", public=True, data={"summary": "Wrapped <b>"})
    record_event("order", order.id, "gift.noted", public=True, data={"note": "not shown"})
    db.session.commit()
    db.session.expunge_all()


def page(client: Any) -> str:
    refresh()
    response = client.get("/care/tracking/orders/SO-1")
    assert response.status_code == 200
    return str(response.get_data(as_text=True))


def test_the_page_with_entries_in_python_is_the_page_with_templates(
    app, care, db, client, monkeypatch
):
    app.config["SHOPCARE_PAGE_CACHE_SIZE"] = 0
    add_everything(care, db)
    login(client, "ann")
    in_python = page(client)
    assert all(get_state(app).memo["tracking.timeline_python"].values())
    monkeypatch.setattr(web, "own_templates", lambda names: False)
    through_flask = page(client)  # render_template, with the context processors
    monkeypatch.setattr(tracking_views, "timeline_html", lambda *args: None)
    with_templates = page(client)
    assert in_python == through_flask == with_templates
    assert in_python.count("sc-timeline-entry") == 6  # the event without a summary shows none
    assert "Wrapped &lt;b&gt;" in in_python and "not shown" not in in_python
    assert "&lt;script&gt;" in in_python and "<script>alert" not in in_python


def test_a_host_template_of_one_name_renders_the_timeline_through_templates(
    app, care, db, client, monkeypatch
):
    app.config["SHOPCARE_PAGE_CACHE_SIZE"] = 0
    add_everything(care, db)
    loader = ChoiceLoader(
        [
            DictLoader({"shopcare/timeline/order.recorded.html": "<em>We have it</em>"}),
            app.jinja_env.loader,
        ]
    )
    monkeypatch.setattr(app.jinja_env, "loader", loader)
    login(client, "ann")
    html = page(client)
    assert "<em>We have it</em>" in html and "Order placed" not in html
    assert (
        get_state(app).memo["tracking.timeline_python"]["shopcare/timeline/order.recorded.html"]
        is None
    )
    assert "Hub &lt;1&gt; &amp; co" in html  # shopcare's own entries still render


def test_a_host_fragment_template_gets_the_context_processors(app, care, db, client, monkeypatch):
    app.config["SHOPCARE_PAGE_CACHE_SIZE"] = 0
    add_everything(care, db)
    loader = ChoiceLoader(
        [
            DictLoader(
                {
                    "shopcare/tracking/_help.html": (
                        "<p>Help for {{ order.reference }}: {{ case_kind_label('return') }}</p>"
                    )
                }
            ),
            app.jinja_env.loader,
        ]
    )
    monkeypatch.setattr(app.jinja_env, "loader", loader)
    login(client, "ann")
    html = page(client)
    assert "<p>Help for SO-1: Return</p>" in html  # a name only a context processor gives
    assert "Hub &lt;1&gt; &amp; co" in html
