"""The order page's tracking part made in Python (``shopcare.tracking.fragment``) is
what ``_order_tracking.html`` (with ``_progress.html`` and ``_help.html``) renders, byte
for byte: over many orders (every parcel status, late and early, one and several
parcels, discounts, taxes, payments, contacts, hostile shopper and carrier text), in
English and Spanish; whole pages both ways; and a host's template of one of the three
names renders the page through the templates."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from flask import current_app
from flask_babel import force_locale
from jinja2 import ChoiceLoader, DictLoader
from markupsafe import Markup

import shopcare.tracking.views as tracking_views
from shopcare.core import web
from shopcare.core.i18n import Catalog, formats
from shopcare.core.state import get_state
from shopcare.tracking.fragment import order_tracking_html
from shopcare.tracking.queries import ShipmentView
from shopcare.tracking.summary import OrderStatus
from tests.conftest import login
from tests.tracking.helpers import T0, make_order, many_lines
from tests.tracking.test_tracking_timeline_entries import HOSTILE, add_everything, page

STATUSES = (
    "pending",
    "info_received",
    "in_transit",
    "out_for_delivery",
    "failed_attempt",
    "available_for_pickup",
    "delivered",
    "exception",
    "expired",
    "made_up",
)


@dataclass
class Line:
    name: str
    quantity: int
    unit_price_minor: int
    discount_minor: int = 0


@dataclass
class Shipment:
    id: int
    status: str
    carrier_name: str = "DHL"
    tracking_number: str | None = None
    tracking_url: str | None = None
    delivered_at: Any = None
    estimated_earliest: Any = None
    estimated_latest: Any = None


@dataclass
class Order:
    reference: str
    lines: list[Line]
    currency: str = "EUR"
    placed_at: Any = T0
    discount_minor: int = 0
    shipping_minor: int = 0
    tax_minor: int = 0
    tax_included: bool = True
    paid_minor: int | None = None
    total_minor: int = 0

    def __post_init__(self) -> None:
        gross = sum(line.unit_price_minor * line.quantity for line in self.lines)
        self.subtotal = Decimal(gross) / 100
        self.lines_discount = Decimal(sum(line.discount_minor for line in self.lines)) / 100
        self.total_minor = (
            gross
            - sum(line.discount_minor for line in self.lines)
            - self.discount_minor
            + self.shipping_minor
            + (0 if self.tax_included else self.tax_minor)
        )
        for name in ("discount", "shipping", "tax", "total", "paid"):
            minor = getattr(self, f"{name}_minor")
            setattr(self, name, None if minor is None else Decimal(minor) / 100)


@dataclass
class Tracking:
    summary: OrderStatus
    shipments: list[ShipmentView]
    unshipped: list[tuple[Line, int]] = field(default_factory=list)


def lines() -> list[Line]:
    return [
        Line("Fern <b>big</b>", 2, 1250),
        Line(HOSTILE, 1, 999, discount_minor=200),
        Line("Pot & saucer", 3, 0),
    ]


def shipments(now: Any) -> list[Shipment]:
    """One parcel of each status, with each kind of date, number and link."""
    parcels = []
    for index, status in enumerate(STATUSES):
        for dates in range(4):
            shipment = Shipment(id=100 + 10 * index + dates, status=status)
            if dates == 1:
                shipment.delivered_at = now - timedelta(days=1)
            if dates in (2, 3):
                shipment.estimated_earliest = now + timedelta(days=1 - 4 * (dates == 3))
                shipment.estimated_latest = now + timedelta(days=3 - 6 * (dates == 3))
            shipment.carrier_name = (HOSTILE, "Correos", "", "DHL")[dates]
            shipment.tracking_number = (None, "JD<0>14", HOSTILE, "")[dates]
            shipment.tracking_url = (None, "https://t.example/?a=1&b=<2>", None, "x")[dates]
            parcels.append(shipment)
    return parcels


def summaries() -> list[OrderStatus]:
    codes = ("preparing", "partly_shipped", "in_transit", "partly_delivered", "delivered")
    found = []
    for code, (late, problem) in itertools.product(
        codes, ((False, None), (True, None), (True, "exception"), (False, "failed_attempt"))
    ):
        found.append(OrderStatus(code, 3, 1, 6, 2, late, problem, "in_transit"))
    return found


CONTACTS: list[dict[str, str]] = [
    {},
    {"email": "care@example.com"},
    {"email": HOSTILE, "phone": "+34 96 <1> 23", "hours": HOSTILE, "url": "javascript:<x>"},
    {"phone": "900 100 200"},
    {"phone": "900 100 200", "hours": "9-17 h", "url": "https://shop.example/contact?a=1&b=2"},
]


def contexts(now: Any) -> list[dict[str, Any]]:
    """Contexts as the order page builds them, over many orders."""
    fmt = formats()
    catalog = Catalog()
    names = {
        "timeline_html": Markup('\n    <li class="sc-timeline-entry">x</li>'),
        "steps": tracking_views.step_labels(),
        "shopcare_status_label": tracking_views._label_lookup(tracking_views.status_labels()),
        "shopcare_status_badge": tracking_views.status_badge,
        "date_window": tracking_views.date_window,
        "when": fmt.when,
        "day": partial(fmt.day, now=now),
        "money": fmt.money,
        "money_minor": fmt.money_minor,
        "_sc": catalog.gettext,
        "_scn": catalog.ngettext,
    }
    parcels = shipments(now)
    orders = [
        Order("SO-1", lines()),
        Order("SO-<2>&", lines(), discount_minor=500, shipping_minor=495, tax_minor=210),
        Order("SO-3", lines()[:1], tax_minor=300, tax_included=False, paid_minor=100),
        Order("SO-4", [Line("Only one", 1, 100)], currency="USD", shipping_minor=1, paid_minor=0),
    ]
    found = []
    for number, summary in enumerate(summaries()):
        order = orders[number % len(orders)]
        contact = CONTACTS[number % len(CONTACTS)]
        # none, one, or several parcels, each with its step and lateness
        chosen = (
            [],
            parcels[number % len(parcels) : number % len(parcels) + 1],
            parcels[number::3],
        )[number % 3]
        views = [
            ShipmentView(
                shipment=shipment,  # type: ignore[arg-type]
                number=index,
                lines=[(line, count + 1) for count, line in enumerate(order.lines[: index % 3])],
                step=(index + number) % 5,
                late=bool((index + number) % 2),
            )
            for index, shipment in enumerate(chosen, start=1)
        ]
        unshipped = [(line, 1) for line in order.lines[: number % 3]]
        tracking = Tracking(summary, views, unshipped)
        found.append({**names, "order": order, "tracking": tracking, "contact": contact})
    return found


@pytest.mark.parametrize("locale", ["en", "es"])
def test_the_fragment_in_python_is_its_template_byte_for_byte(app, locale):
    now = T0
    with app.test_request_context("/"), force_locale(locale):
        template = current_app.jinja_env.get_template("shopcare/tracking/_order_tracking.html")
        checked = 0
        for context in contexts(now):
            in_python = order_tracking_html(context)
            assert isinstance(in_python, Markup)
            rendered = template.render(context)
            assert str(in_python) == rendered, (context["order"], context["tracking"])
            checked += 1
            # Nothing a shopper or a carrier wrote is markup.
            assert "<script>" not in in_python and "<b>big" not in in_python
        assert checked == 20
        history = "Historial" if locale == "es" else "History"
        assert f"<h2>{history}</h2>" in in_python  # in the page's language


def test_every_parcel_status_and_text_is_covered(app):
    """The cases above reach every branch the template has (a check on the test)."""
    with app.test_request_context("/"):
        html = "".join(order_tracking_html(context) for context in contexts(T0))
    for needle in (
        "sc-eta sc-eta-ok",
        "sc-eta sc-eta-bad",
        "sc-eta sc-eta-warn",
        '<p class="sc-eta">',
        "sc-progress-trouble",
        'aria-current="step"',
        "sc-step-todo",
        'target="_blank"',
        "sc-item-discount",
        "sc-help-urgent",
        'class="sc-button"',
        "tel:+3496&lt;1&gt;23",
        "We are preparing your order",
        "Still to ship",
        "Parcel 2 of",
        "Your parcel",
        "data-order-flag",
        "Including tax",
        "Paid",
        "Shipping",
        "Discount",
        "Reply to any e-mail",
        "&lt;script&gt;",
    ):
        assert needle in html, needle


def test_the_page_with_the_fragment_in_python_is_the_page_with_templates(
    app, care, db, client, monkeypatch
):
    app.config["SHOPCARE_PAGE_CACHE_SIZE"] = 0
    app.config["SHOPCARE_CONTACT"] = {"email": "care@example.com", "phone": "+34 96 123"}
    add_everything(care, db)
    care.tracking.add_event(
        "SO-1",
        "exception",
        carrier="dhl",
        tracking_number="T1",
        occurred_at=T0 + timedelta(hours=5),
    )
    make_order(care, "SO-2", user_id="ann", lines=many_lines(2))
    db.session.commit()
    login(client, "ann")
    pages = {}
    for reference in ("SO-1", "SO-2"):
        pages[reference] = client.get(f"/care/tracking/orders/{reference}").get_data(as_text=True)
    rendered = {}

    def through_template(context: dict[str, Any]) -> Markup:
        rendered["yes"] = True
        template = current_app.jinja_env.get_template("shopcare/tracking/_order_tracking.html")
        return Markup(template.render(context))

    monkeypatch.setattr(tracking_views, "order_tracking_html", through_template)
    for reference in ("SO-1", "SO-2"):
        with_template = client.get(f"/care/tracking/orders/{reference}").get_data(as_text=True)
        assert pages[reference] == with_template
    assert rendered
    assert "Parcel 2 of 2" in pages["SO-1"] and "sc-help-urgent" in pages["SO-1"]
    assert "We are preparing your order" in pages["SO-2"]
    assert "&lt;script&gt;" in pages["SO-1"] and "<script>alert" not in pages["SO-1"]


def test_the_spanish_page_is_the_same_both_ways(app, care, db, client, monkeypatch):
    app.config["SHOPCARE_PAGE_CACHE_SIZE"] = 0
    add_everything(care, db)
    login(client, "ann")
    in_python = client.get(
        "/care/tracking/orders/SO-1", headers={"Accept-Language": "es"}
    ).get_data(as_text=True)
    monkeypatch.setattr(web, "own_templates", lambda names: False)
    with_templates = client.get(
        "/care/tracking/orders/SO-1", headers={"Accept-Language": "es"}
    ).get_data(as_text=True)
    assert in_python == with_templates
    assert "<h2>Historial</h2>" in in_python and "Tu paquete" not in in_python  # two parcels


@pytest.mark.parametrize(
    "name",
    [
        "shopcare/tracking/_order_tracking.html",
        "shopcare/tracking/_progress.html",
        "shopcare/tracking/_help.html",
    ],
)
def test_a_host_template_of_one_name_renders_the_fragment_through_templates(
    app, care, db, client, monkeypatch, name
):
    app.config["SHOPCARE_PAGE_CACHE_SIZE"] = 0
    add_everything(care, db)
    ours = app.jinja_env.loader.get_source(app.jinja_env, name)[0]  # type: ignore[union-attr]
    loader = ChoiceLoader([DictLoader({name: "<!-- the host's -->" + ours}), app.jinja_env.loader])
    monkeypatch.setattr(app.jinja_env, "loader", loader)
    monkeypatch.setattr(
        tracking_views,
        "order_tracking_html",
        lambda context: pytest.fail("rendered in Python despite a host template"),
    )
    login(client, "ann")
    html = page(client)
    assert "<!-- the host's -->" in html
    assert "Hub &lt;1&gt; &amp; co" in html


def test_parcels_as_rows_read_what_the_orm_shipments_read(app, care, db):
    """The order page's light parcel rows hold each column, the carrier's name, the
    tracking link and the lines of the ORM ``Shipment`` they stand for."""
    from shopcare.tracking.models import Shipment as ShipmentModel
    from shopcare.tracking.queries import _parcel_rows, shipments

    app.config["SHOPCARE_CARRIERS"] = {
        "dhl": {"name": "DHL <Express>", "tracking_url": "https://dhl.example/t/{tracking_number}"}
    }
    add_everything(care, db)
    care.tracking.add_shipment("SO-1", carrier="gls", tracking_number=HOSTILE, shipped_at=T0)
    db.session.commit()
    with app.test_request_context("/"):
        order = care.orders.get("SO-1")
        models = shipments(order)
        rows = _parcel_rows(order.id)
        assert len(models) == len(rows) == 3
        for model, row in zip(models, rows, strict=True):
            for column in ShipmentModel.__table__.columns:
                assert getattr(row, column.key) == getattr(model, column.key), column.key
            assert row.carrier_name == model.carrier_name
            assert row.tracking_url == model.tracking_url
            assert [(line.order_line_id, line.quantity) for line in row.lines] == [
                (line.order_line_id, line.quantity) for line in model.lines
            ]
        assert rows[0].tracking_url == "https://dhl.example/t/T0"
        assert rows[2].tracking_url.endswith(
            "/%3Cscript%3Ealert%28%22x%22%29%3C%2Fscript%3E%20%26%20%27quoted%27"
        )


def test_the_page_with_parcels_as_rows_is_the_page_with_orm_shipments(
    app, care, db, client, monkeypatch
):
    app.config["SHOPCARE_PAGE_CACHE_SIZE"] = 0
    add_everything(care, db)
    login(client, "ann")
    asked: list[bool] = []
    order_tracking = tracking_views.ShipmentTracker.order_tracking

    def spy(order: Any, **options: Any) -> Any:
        asked.append(options.get("rows", False))
        return order_tracking(order, **options)

    monkeypatch.setattr(tracking_views.ShipmentTracker, "order_tracking", staticmethod(spy))
    as_rows = page(client)
    monkeypatch.setattr(tracking_views, "_own_timeline_templates", lambda: False)
    as_models = page(client)
    assert asked == [True, False]
    assert as_rows == as_models and "Parcel 2 of 2" in as_rows


def test_a_host_timeline_template_gets_orm_shipments(app, care, db, client, monkeypatch):
    """A host's entry template may read anything of a parcel: the page loads them as
    ORM objects then (the loader lists a template of the host's under shopcare/timeline/)."""
    app.config["SHOPCARE_PAGE_CACHE_SIZE"] = 0
    add_everything(care, db)
    loader = ChoiceLoader(
        [
            DictLoader(
                {
                    "shopcare/timeline/gift.wrapped.html": (
                        "Wrapped; first parcel's first SKU: "
                        "{{ tracking.shipments[0].shipment.lines[0].order_line.sku }}"
                    )
                }
            ),
            app.jinja_env.loader,
        ]
    )
    monkeypatch.setattr(app.jinja_env, "loader", loader)
    login(client, "ann")
    html = page(client)
    assert "Wrapped; first parcel&#39;s first SKU: SKU-0" in html or (
        "Wrapped; first parcel's first SKU: SKU-0" in html
    )
    assert get_state(app).memo["tracking.own_timeline_templates"] is False
