"""What the order page costs on a cache miss (issue 8, point 8): a fixed number of
statements whatever the number of parcels and events, and timeline entries rendered
in Python or through their templates' ``entry`` macros, which give the same HTML as
including the templates (a host's own template without the macro is still included)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask_babel import refresh
from jinja2 import ChoiceLoader, DictLoader

import shopcare.tracking.views as tracking_views
from shopcare.core.state import get_state
from tests.conftest import login
from tests.tracking.helpers import T0, make_order, many_lines

PAGE = "/care/tracking/orders/SO-1"


def page(client: Any) -> str:
    refresh()
    response = client.get(PAGE)
    assert response.status_code == 200, response.status_code
    return str(response.get_data(as_text=True))


def add_parcels(care: Any, db: Any, parcels: int, first: int = 0) -> None:
    for number in range(first, first + parcels):
        care.tracking.add_shipment(
            "SO-1",
            carrier="dhl",
            tracking_number=f"T{number}",
            lines={f"SKU-{number}": 1},
            shipped_at=T0,
        )
        for hour, status in enumerate(("in_transit", "out_for_delivery", "delivered")):
            care.tracking.add_event(
                "SO-1",
                status,
                carrier="dhl",
                tracking_number=f"T{number}",
                location=f"Hub {hour}",
                message=f"Scan <{hour}> & more" if hour == 1 else None,
                occurred_at=T0 + timedelta(hours=hour * 5 + number),
            )
    db.session.commit()
    db.session.expunge_all()


def test_a_miss_costs_a_fixed_number_of_statements_whatever_the_parcels_and_events(
    app, care, db, client, count_queries, is_postgres
):
    app.config["SHOPCARE_PAGE_CACHE_SIZE"] = 0
    make_order(care, user_id="ann", lines=many_lines(12))
    login(client, "ann")
    counts = []
    shipped = 0
    for parcels in (0, 1, 4):
        add_parcels(care, db, parcels, first=shipped)
        shipped += parcels
        with count_queries() as statements:
            html = page(client)
        counts.append(len(statements))
        # "Order placed", then each parcel's hand-over and three carrier events
        assert html.count("sc-timeline-entry") == 1 + 4 * shipped
    # The order with its version stamp; its parcels with their lines and its public
    # timeline (one UNION ALL on PostgreSQL, two statements on SQLite); the cases
    # panel's one statement.
    assert counts == ([3, 3, 3] if is_postgres else [4, 4, 4]), counts


def test_a_miss_reads_every_table_by_an_index(app, care, db, client, is_postgres):
    """SQLite's plan of each statement of a miss searches by an index, scanning no
    table: the page's cost does not grow with the shop (the cases panel's statement
    scanned every case line of the shop before ``ix_shopcare_case_lines_case_id``)."""
    if is_postgres:
        pytest.skip("PostgreSQL's plans follow its statistics; SQLite's follow the schema")
    from sqlalchemy import event

    app.config["SHOPCARE_PAGE_CACHE_SIZE"] = 0
    make_order(care, user_id="ann", lines=many_lines(3))
    add_parcels(care, db, 2)
    login(client, "ann")
    page(client)
    seen: list[tuple[str, Any]] = []

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        page(client)
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    assert len(seen) == 4  # SQLite: the parcels and the timeline in two statements
    with db.engine.connect() as connection:
        cursor = connection.connection.dbapi_connection.cursor()
        for statement, parameters in seen:
            plan = [row[3] for row in cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)]
            scans = [step for step in plan if step.startswith("SCAN ")]
            assert not scans, (statement, plan)


def test_entry_macros_render_what_the_templates_include(app, care, db, client, monkeypatch):
    app.config["SHOPCARE_PAGE_CACHE_SIZE"] = 0
    make_order(care, user_id="ann", lines=many_lines(3))
    add_parcels(care, db, 2)
    login(client, "ann")
    in_python = page(client)  # each entry by its Python twin (test_tracking_timeline_entries)
    monkeypatch.setattr(tracking_views, "timeline_html", lambda *args: None)
    with_macros = page(client)
    assert in_python == with_macros
    assert get_state(app).memo["tracking.timeline_macros"] == {
        "shopcare/timeline/order.recorded.html": True,
        "shopcare/timeline/shipment.added.html": True,
        "shopcare/timeline/shipment.html": True,
    }
    monkeypatch.setattr(tracking_views, "entry_macros", lambda: lambda template: None)
    included = page(client)
    assert with_macros == included
    assert "Scan &lt;1&gt; &amp; more" in included and "Parcel 2" in included


def test_a_host_timeline_template_without_the_macro_is_included(app, care, db, client, monkeypatch):
    app.config["SHOPCARE_PAGE_CACHE_SIZE"] = 0
    make_order(care, user_id="ann", lines=many_lines(2))
    add_parcels(care, db, 1)
    loader = ChoiceLoader(
        [
            DictLoader(
                {"shopcare/timeline/shipment.html": "<em>{{ event.data.status }} seen</em>"}
            ),
            app.jinja_env.loader,
        ]
    )
    monkeypatch.setattr(app.jinja_env, "loader", loader)
    login(client, "ann")
    html = page(client)
    assert "<em>in_transit seen</em>" in html and "<em>delivered seen</em>" in html
    assert "Order placed" in html  # shopcare's own templates still render through macros


def test_the_union_reads_what_the_two_statements_read(app, care, db):
    """The parcels and timeline of one ``UNION ALL`` (PostgreSQL's miss) are, row for
    row and in order, what the two statements SQLite's miss runs give."""
    from shopcare.tracking import queries

    make_order(care, user_id="ann", lines=many_lines(5))
    add_parcels(care, db, 3)
    care.tracking.add_shipment("SO-1", carrier="ups", tracking_number="REST", shipped_at=T0)
    db.session.commit()
    order = care.orders.get("SO-1")
    parcels, timeline = queries._parcels_and_timeline(order.id)
    expected = queries._parcel_rows(order.id)
    assert [(p.id, p.status, p.delivered_at, p.lines) for p in parcels] == [
        (p.id, p.status, p.delivered_at, p.lines) for p in expected
    ]
    assert len(parcels) == 4 and all(parcel.lines for parcel in parcels)
    assert [tuple(event) for event in timeline] == [
        tuple(event) for event in queries._public_timeline(order.id)
    ]
    assert len(timeline) == 1 + 4 * 3 + 1 and all(e.occurred_at.tzinfo for e in timeline)


def test_the_after_sales_panel_uses_the_parcels_the_tracking_part_read(
    app, care, db, client, count_queries
):
    """On a miss the cases panel takes the parcel lines the tracking part read
    (core.shared_reads) and reads only its case lines; on a hit it reads both itself.
    The panel is the same either way (a delivered order: its guarantees run from the
    delivery)."""
    import re

    make_order(care, user_id="ann", lines=many_lines(3))
    add_parcels(care, db, 3)  # every line shipped and delivered
    login(client, "ann")

    def panel(html: str) -> str:
        found = re.search(r'<section class="sc-panel sc-case-panel".*?</section>', html, re.S)
        assert found, html
        return found.group(0)

    with count_queries() as miss:
        cold = page(client)
    with count_queries() as hit:
        warm = page(client)
    assert panel(cold) == panel(warm)
    # The guarantee runs from the delivery the parcels tell (else "starts on delivery").
    assert panel(cold).count("Covered until") == 3 and "starts on delivery" not in panel(cold)
    # The tracking part's (the UNION on PostgreSQL, the parcels' statement on SQLite).
    assert sum("shopcare_shipments" in statement for statement in miss) == 1
    cases_statements = [s for s in miss if "shopcare_case_lines" in s]
    assert len(cases_statements) == 1 and "shopcare_shipments" not in cases_statements[0]
    assert [s for s in hit if "shopcare_case_lines" in s and "shopcare_shipments" in s]


def test_the_page_reads_its_order_as_the_sessions_objects(app, care, db, count_queries):
    """The page's order is read with Core and made the session's persistent ``Order``:
    every column as the ORM loads it, its lines in their positions with their ``order``,
    and the event count. It is the session's object (``session.get`` finds it without a
    query, a change to it is flushed); an order the session held before is the one
    returned."""
    from sqlalchemy import inspect

    from shopcare.orders.models import Order, OrderLine
    from shopcare.tracking import queries

    make_order(care, user_id="ann", lines=many_lines(3))
    add_parcels(care, db, 1)
    db.session.commit()
    # Positions that are not the lines' id order.
    for line, position in zip(db.session.scalars(db.select(OrderLine)), (3, 1, 2), strict=True):
        line.position = position
    db.session.commit()
    loaded = db.session.scalars(db.select(Order)).one()
    expected = {attr.key: getattr(loaded, attr.key) for attr in inspect(Order).column_attrs}
    expected_lines = [(line.id, line.position, line.sku, line.paid_minor) for line in loaded.lines]
    assert [line.position for line in loaded.lines] == [1, 2, 3]
    db.session.expunge_all()

    with count_queries() as statements:
        versioned = queries.versioned_order(" so-1 ")
    assert versioned is not None and len(statements) == 1
    order = versioned.order
    assert inspect(order).persistent and inspect(order).identity == (loaded.id,)
    assert {key: getattr(order, key) for key in expected} == expected
    assert order.placed_at.tzinfo is not None and order.updated_at.tzinfo is not None
    assert [(line.id, line.position, line.sku, line.paid_minor) for line in order.lines] == (
        expected_lines
    )
    assert all(line.order is order and inspect(line).persistent for line in order.lines)
    assert order.total == loaded.total
    assert versioned.version.events == db.session.scalar(
        db.select(db.func.count())
        .select_from(queries.Event)
        .where(queries.Event.subject_kind == "order", queries.Event.subject_id == str(order.id))
    )

    with count_queries() as again:
        assert db.session.get(Order, order.id) is order
        assert db.session.get(OrderLine, order.lines[0].id) is order.lines[0]
    assert again == []
    with count_queries() as flushed:
        db.session.flush()  # nothing changed: nothing to write
    assert flushed == []
    order.locale = "es"
    db.session.commit()
    db.session.expunge_all()
    assert db.session.scalars(db.select(Order.locale)).one() == "es"

    # Held by the session before the page read it: that object, lines and all.
    held = db.session.scalars(db.select(Order)).one()
    with count_queries() as statements:
        versioned = queries.versioned_order("SO-1")
    assert versioned is not None and versioned.order is held and len(statements) == 1
    assert [line.position for line in held.lines] == [1, 2, 3]
    assert queries.versioned_order("SO-404") is None
