"""The order page's cached tracking fragment: same HTML, one query on a hit, invalidated
by every change, never shared across orders, locales or time zones."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_babel import refresh
from jinja2 import ChoiceLoader, DictLoader

from shopcare.core.cache import LRUCache, page_cache
from shopcare.core.events import events_for
from shopcare.core.state import OrderPanel, get_state
from tests.conftest import login, sample_lines
from tests.host import USERS
from tests.tracking.helpers import T0, make_order, many_lines

PAGE = "/care/tracking/orders/SO-1"


def shipped_order(care: Any, db: Any, **order: Any) -> None:
    make_order(care, user_id="ann", **order)
    care.tracking.add_shipment(
        "SO-1", carrier="dhl", tracking_number="JD1", lines={"MUG-1": 2}, shipped_at=T0
    )
    care.tracking.add_event(
        "SO-1", "in_transit", location="Madrid hub", occurred_at=T0 + timedelta(hours=2)
    )
    db.session.commit()


def page(client: Any, url: str = PAGE, **headers: str) -> str:
    # The test's app context (and so Flask-Babel's per-context locale and zone) is
    # shared by its requests; a real request starts afresh.
    refresh()
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.status_code
    return str(response.get_data(as_text=True))


def fresh_page(app: Any, client: Any, url: str = PAGE) -> str:
    """The page as the cache serves it, checked against a full render."""
    served = page(client, url)
    size = app.config["SHOPCARE_PAGE_CACHE_SIZE"]
    app.config["SHOPCARE_PAGE_CACHE_SIZE"] = 0
    try:
        assert served == page(client, url), "the cache served a stale page"
    finally:
        app.config["SHOPCARE_PAGE_CACHE_SIZE"] = size
    return served


def test_a_hit_serves_the_same_html_as_rendering(app, care, db, client):
    shipped_order(care, db)
    login(client, "ann")
    first = page(client)  # a miss: rendered and stored
    assert len(page_cache() or []) == 1
    second = page(client)  # a hit
    app.config["SHOPCARE_PAGE_CACHE_SIZE"] = 0
    uncached = page(client)
    assert first == second == uncached
    assert "Madrid hub" in first and "Parcel handed to DHL" in first


def test_a_miss_costs_three_statements_and_a_hit_one(care, db, client, count_queries):
    make_order(care, user_id="ann", lines=many_lines(30))
    for number in range(3):
        care.tracking.add_shipment(
            "SO-1",
            carrier="dhl",
            tracking_number=f"T{number}",
            lines={f"SKU-{i}": 1 for i in range(number * 5, number * 5 + 5)},
            shipped_at=T0,
        )
        for hour, status in enumerate(("in_transit", "out_for_delivery", "delivered")):
            care.tracking.add_event(
                "SO-1",
                status,
                carrier="dhl",
                tracking_number=f"T{number}",
                occurred_at=T0 + timedelta(hours=hour * 5 + number),
            )
    db.session.commit()
    db.session.expunge_all()
    login(client, "ann")
    with count_queries() as miss:
        cold = page(client)
    with count_queries() as hit:
        warm = page(client)
    assert cold == warm and warm.count("sc-timeline-entry") == 13
    assert len(miss) <= 4, "\n\n".join(miss)
    # The order (with its version stamp), and the cases panel's one statement.
    assert len(hit) == 2, "\n\n".join(hit)
    print(f"order page: {len(miss)} statements on a miss, {len(hit)} on a hit")


def test_without_a_cache_every_request_renders(app, care, db, client, count_queries, is_postgres):
    app.config["SHOPCARE_PAGE_CACHE_SIZE"] = 0
    shipped_order(care, db)
    login(client, "ann")
    for _ in range(2):
        with count_queries() as statements:
            html = page(client)
        # the tracking part (the order; its parcels and timeline, in one statement on
        # PostgreSQL, two on SQLite), and the cases panel
        assert "Madrid hub" in html and len(statements) == (3 if is_postgres else 4)
    care.tracking.add_event("SO-1", "out_for_delivery", occurred_at=T0 + timedelta(hours=5))
    db.session.commit()
    assert "Out for delivery" in page(client)
    assert page_cache() is None


def test_a_new_event_shows_at_once(app, care, db, client):
    shipped_order(care, db)
    login(client, "ann")
    assert "Valencia depot" not in fresh_page(app, client)
    page(client)  # cached
    care.tracking.add_event(
        "SO-1", "out_for_delivery", location="Valencia depot", occurred_at=T0 + timedelta(hours=9)
    )
    db.session.commit()
    html = fresh_page(app, client)
    assert "Valencia depot" in html and "Out for delivery" in html
    # A late-arriving older event (it never moves the status) shows too.
    care.tracking.add_event(
        "SO-1", "in_transit", location="Zaragoza", occurred_at=T0 + timedelta(hours=1)
    )
    db.session.commit()
    assert "Zaragoza" in fresh_page(app, client)


def test_a_new_or_changed_shipment_shows_at_once(app, care, db, client):
    shipped_order(care, db)
    login(client, "ann")
    html = fresh_page(app, client)
    assert "Still to ship" in html and "GLS" not in html
    care.tracking.add_shipment("SO-1", carrier="gls", tracking_number="G1", shipped_at=T0)
    db.session.commit()
    html = fresh_page(app, client)
    assert "Parcel 2 of 2" in html and "GLS" in html and "Still to ship" not in html

    # Changing what a parcel carries records an event, so the page moves on.
    care.tracking.add_shipment("SO-1", carrier="dhl", tracking_number="JD1", lines={"MUG-1": 1})
    db.session.commit()
    order_id = care.orders.get("SO-1").id
    updated = [e for e in events_for("order", order_id) if e.action == "shipment.updated"]
    assert updated and updated[-1].data["changed"] == ["lines"] and not updated[-1].public
    html = fresh_page(app, client)
    assert "1 \u00d7 Blue mug" in html and "Still to ship" in html


def test_an_unchanged_add_shipment_records_nothing(care, db):
    shipped_order(care, db)
    order_id = care.orders.get("SO-1").id
    before = len(events_for("order", order_id))
    care.tracking.add_shipment("SO-1", carrier="dhl", tracking_number="JD1", lines={"MUG-1": 2})
    care.tracking.add_shipment("SO-1", carrier="dhl", tracking_number="JD1", shipped_at=T0)
    db.session.commit()
    assert len(events_for("order", order_id)) == before


def test_a_new_shipping_time_re_estimates_and_shows(app, care, db, client):
    shipped_order(care, db)
    login(client, "ann")
    before = fresh_page(app, client)
    shipment = care.tracking.add_shipment(
        "SO-1", carrier="dhl", tracking_number="JD1", shipped_at=T0 + timedelta(days=9)
    )
    db.session.commit()
    updated = [e for e in events_for("order", shipment.order_id) if e.action == "shipment.updated"]
    assert updated[-1].data["changed"] == ["shipped_at"]
    assert fresh_page(app, client) != before  # a new delivery window


def test_an_order_update_shows_at_once(app, care, db, client):
    shipped_order(care, db)
    login(client, "ann")
    assert "Teapot" not in fresh_page(app, client)
    lines = [*sample_lines(), {"sku": "POT-3", "name": "Teapot", "quantity": 1, "unit_price": "30"}]
    care.orders.record("SO-1", "ann@example.com", T0 - timedelta(days=1), lines, user_id="ann")
    db.session.commit()
    html = fresh_page(app, client)
    assert "Teapot" in html and "4 items" in html


def test_locales_and_time_zones_do_not_share_entries(care, db, client, monkeypatch):
    shipped_order(care, db)
    login(client, "ann")
    english = page(client, **{"Accept-Language": "en"})
    spanish = page(client, **{"Accept-Language": "es-ES,es;q=0.9"})
    assert "History" in english and "Historial" in spanish and "History" not in spanish
    assert "11:00\u202fAM" in english  # T0 + 2 h, in UTC
    monkeypatch.setattr(USERS["ann"], "timezone", "Asia/Tokyo", raising=False)
    tokyo = page(client, **{"Accept-Language": "en"})
    assert "8:00\u202fPM" in tokyo and "11:00\u202fAM" not in tokyo
    monkeypatch.delattr(USERS["ann"], "timezone")
    assert page(client, **{"Accept-Language": "en"}) == english


def test_a_guest_link_never_opens_another_orders_fragment(care, db, client):
    make_order(care, "SO-A", email="ann@example.com")
    make_order(care, "SO-B", email="bob@example.com", lines=many_lines(2))
    care.tracking.add_event("SO-B", "in_transit", carrier="ups", tracking_number="B1")
    db.session.commit()
    key_a = care.tracking.guest_token(care.orders.get("SO-A"))
    key_b = care.tracking.guest_token(care.orders.get("SO-B"))
    page(client, f"/care/tracking/orders/SO-B?key={key_b}")  # B's fragment is cached
    page(client, f"/care/tracking/orders/SO-A?key={key_a}")  # and A's
    refresh()
    assert client.get(f"/care/tracking/orders/SO-B?key={key_a}").status_code == 404
    assert client.get("/care/tracking/orders/SO-B").status_code == 302  # no key: look-up
    html_a = page(client, f"/care/tracking/orders/SO-A?key={key_a}")
    assert "Order SO-A" in html_a and "SO-B" not in html_a and "Thing 0" not in html_a
    html_b = page(client, f"/care/tracking/orders/SO-B?key={key_b}")
    assert "Order SO-B" in html_b and "UPS" in html_b
    # Another shopper, logged in, gets 404 even though the fragment is cached.
    login(client, "bob")
    refresh()
    assert client.get("/care/tracking/orders/SO-A").status_code == 404


def test_the_entry_lives_until_a_delivery_window_closes(app, care, db, client, monkeypatch):
    shipped_order(care, db)
    (shipment,) = care.tracking.shipments(care.orders.get("SO-1"))
    closes = T0 + timedelta(days=2)
    shipment.estimated_earliest, shipment.estimated_latest = T0 + timedelta(days=1), closes
    db.session.commit()  # before anything is cached
    clock = {"monotonic": 0.0, "now": closes - timedelta(seconds=60)}
    cache: LRUCache[object] = LRUCache(1000, 300, clock=lambda: clock["monotonic"])
    get_state(app).page_cache = cache
    monkeypatch.setattr("shopcare.tracking.views.utcnow", lambda: clock["now"])
    login(client, "ann")
    assert "Arrives" in page(client) and "Running late" not in page(client)
    clock["monotonic"] += 61
    clock["now"] += timedelta(seconds=61)
    assert "Running late" in page(client)


def test_panels_render_on_every_request_outside_the_fragment(app, care, db, client, monkeypatch):
    shipped_order(care, db)
    calls: list[int] = []

    def questions(order: Any) -> OrderPanel:
        calls.append(len(order.lines))  # the lines are loaded: no query
        return OrderPanel("test/panel.html", {"call": len(calls)})

    get_state(app).add_order_panel("questions", questions)
    loader = ChoiceLoader(
        [DictLoader({"test/panel.html": "<p>panel {{ context.call }}</p>"}), app.jinja_env.loader]
    )
    monkeypatch.setattr(app.jinja_env, "loader", loader)
    login(client, "ann")
    assert "panel 1" in page(client)
    assert "panel 2" in page(client)  # the fragment was a hit; the panel is fresh
    assert calls == [2, 2]


def test_a_one_entry_cache_still_serves_every_order_right(app, care, db, client):
    app.config["SHOPCARE_PAGE_CACHE_SIZE"] = 1
    for reference, email in (("SO-A", "ann@example.com"), ("SO-B", "bob@example.com")):
        make_order(care, reference, email=email, user_id="ann")
    db.session.commit()
    login(client, "ann")
    for _ in range(2):
        for reference in ("SO-A", "SO-B"):
            assert f"Order {reference}" in page(client, f"/care/tracking/orders/{reference}")
    assert len(page_cache() or []) == 1
