"""The shopper's pages: guest look-up, signed links, the order list, the order page."""

from __future__ import annotations

import hmac
import re
import sys
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from shopcare.core.db import utcnow
from tests.conftest import login
from tests.tracking.helpers import T0, csrf_token, make_order, many_lines, without_csrf

LOOKUP = "/care/tracking/"


def post_lookup(client, reference, email, **extra):
    token = csrf_token(client, LOOKUP)
    return client.post(
        LOOKUP, data={"reference": reference, "email": email, "csrf_token": token}, **extra
    )


def guest_link(client, reference="SO-1", email="ann@example.com") -> str:
    response = post_lookup(client, reference, email)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def test_lookup_form_renders_with_csrf(client):
    response = client.get(LOOKUP)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="csrf_token"' in html and 'name="reference"' in html and 'name="email"' in html


def test_lookup_without_csrf_is_refused_kindly(care, db, client):
    make_order(care)
    db.session.commit()
    response = client.post(LOOKUP, data={"reference": "SO-1", "email": "ann@example.com"})
    assert response.status_code == 200
    assert "Location" not in response.headers


def test_a_match_redirects_through_a_signed_link_without_the_email(care, db, client):
    make_order(care, email="Ann@Example.com")
    db.session.commit()
    link = guest_link(client, " #so-1 ", "ANN@example.com")
    parts = urlsplit(link)
    assert parts.path == "/care/tracking/orders/SO-1"
    key = parse_qs(parts.query)["key"][0]
    assert "ann" not in key.lower() and "example" not in key.lower()
    page = client.get(link)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in page.headers["Cache-Control"]
    assert "Order SO-1" in page.get_data(as_text=True)


def test_unknown_order_and_wrong_email_get_the_same_answer(care, db, client, monkeypatch):
    make_order(care)
    db.session.commit()
    compared = []
    real = hmac.compare_digest

    def spy(a, b):
        if sys._getframe(1).f_code.co_name == "find_for_guest":
            compared.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr("shopcare.tracking.guests.hmac.compare_digest", spy)
    unknown = post_lookup(client, "SO-404", "bob@example.com")
    wrong = post_lookup(client, "SO-1", "bob@example.com")
    assert unknown.status_code == wrong.status_code == 200
    assert without_csrf(unknown.get_data(as_text=True)) == without_csrf(
        wrong.get_data(as_text=True).replace("SO-1", "SO-404")
    )
    assert "could not find an order" in wrong.get_data(as_text=True)
    # Both branches compared two digests of the same length: no branch skips the work.
    assert compared == [(32, 32), (32, 32)]


def test_lookup_one_query_either_way(care, db, client, count_queries):
    make_order(care, lines=many_lines(30))
    db.session.commit()
    for reference in ("SO-1", "SO-404"):
        token = csrf_token(client, LOOKUP)
        with count_queries() as statements:
            client.post(
                LOOKUP,
                data={"reference": reference, "email": "bob@example.com", "csrf_token": token},
            )
        assert len(statements) == 1, statements


def test_malformed_input_is_a_message_never_a_500(care, db, client):
    response = post_lookup(client, "SO-1", "not-an-email")
    assert response.status_code == 200
    assert "Enter a valid e-mail address." in response.get_data(as_text=True)
    response = post_lookup(client, "x" * 80, "ann@example.com")
    assert response.status_code == 200
    assert "at most 64 characters" in response.get_data(as_text=True)
    response = post_lookup(client, "", "")
    assert "Enter your order number." in response.get_data(as_text=True)


def test_lookup_is_rate_limited_per_reference(app, care, db, client):
    app.config["SHOPCARE_RATELIMIT_GUEST_LOOKUP"] = "3/minute"
    make_order(care)
    db.session.commit()
    statuses = []
    for number in range(4):
        # a different client address each time: only the per-reference limit applies
        environ = {"REMOTE_ADDR": f"10.0.0.{number}"}
        token = csrf_token(client, LOOKUP)
        response = client.post(
            LOOKUP,
            data={"reference": "SO-1", "email": "x@example.com", "csrf_token": token},
            environ_base=environ,
        )
        statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 429]
    other = post_lookup(client, "SO-2", "x@example.com", environ_base={"REMOTE_ADDR": "10.0.1.1"})
    assert other.status_code == 200


def test_lookup_is_rate_limited_per_client(app, care, db, client):
    app.config["SHOPCARE_RATELIMIT_GUEST_LOOKUP"] = "3/minute"
    statuses = [post_lookup(client, f"SO-{n}", "x@example.com").status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_guest_link_tampered_or_expired(app, care, db, client):
    make_order(care)
    make_order(care, "SO-2", email="bob@example.com")
    db.session.commit()
    link = guest_link(client)
    key = parse_qs(urlsplit(link).query)["key"][0]
    assert client.get(link).status_code == 200
    # Tampered key, a key for another order, a key in another order's URL: 404.
    assert client.get(f"/care/tracking/orders/SO-1?key={key[:-2]}xx").status_code == 404
    assert client.get(f"/care/tracking/orders/SO-2?key={key}").status_code == 404
    assert client.get("/care/tracking/orders/SO-1?key=nonsense").status_code == 404
    # A key signed with another secret opens nothing.
    app.secret_key = "another-secret"
    assert client.get(link).status_code == 404
    app.secret_key = "test-secret"
    # Expired: back to the look-up form with a message.
    app.config["SHOPCARE_GUEST_LINK_MAX_AGE"] = -1
    response = client.get(link)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/care/tracking/?reference=SO-1")
    assert "expired" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_no_key_and_no_session_goes_to_the_lookup(care, db, client):
    make_order(care, user_id="ann")
    db.session.commit()
    for reference in ("SO-1", "SO-404"):
        response = client.get(f"/care/tracking/orders/{reference}")
        assert response.status_code == 302
        assert response.headers["Location"] == f"/care/tracking/?reference={reference}"


def test_a_shopper_never_opens_another_shoppers_order(care, db, client):
    make_order(care, "SO-ANN", user_id="ann")
    make_order(care, "SO-BOB", email="bob@example.com", user_id="bob")
    make_order(care, "SO-GUEST", email="guest@example.com")
    db.session.commit()
    login(client, "ann")
    assert client.get("/care/tracking/orders/SO-ANN").status_code == 200
    for reference in ("SO-BOB", "SO-GUEST", "SO-404"):
        response = client.get(f"/care/tracking/orders/{reference}")
        assert response.status_code == 404, reference
    api = client.get("/care/api/v1/orders/SO-BOB")
    assert api.status_code == 404 and api.get_json()["error"]["code"] == "not_found"
    # Ann's guest link to her own guest order still works while logged in.
    guest = guest_link(client, "SO-GUEST", "guest@example.com")
    assert client.get(guest).status_code == 200


def test_staff_may_open_any_order(care, db, client):
    make_order(care, "SO-BOB", email="bob@example.com", user_id="bob")
    db.session.commit()
    login(client, "sam")
    assert client.get("/care/tracking/orders/SO-BOB").status_code == 200


def test_order_list_newest_first_paginated(care, db, client):
    for number in range(23):
        make_order(care, f"A-{number:02d}", user_id="ann", placed_at=T0 + timedelta(hours=number))
    make_order(care, "B-1", email="bob@example.com", user_id="bob")
    care.tracking.add_event(
        "A-22",
        "out_for_delivery",
        carrier="dhl",
        tracking_number="1",
        occurred_at=T0 + timedelta(hours=23),
    )
    db.session.commit()
    assert client.get("/care/tracking/orders").status_code == 302  # log in first
    login(client, "ann")
    first = client.get("/care/tracking/orders").get_data(as_text=True)
    references = re.findall(r"<strong>(A-\d+|B-\d+)</strong>", first)
    assert references == [f"A-{n:02d}" for n in range(22, 2, -1)]
    assert "Out for delivery" in first and "Page 1 of 2" in first
    second = client.get("/care/tracking/orders?page=2").get_data(as_text=True)
    assert re.findall(r"<strong>(A-\d+|B-\d+)</strong>", second) == ["A-02", "A-01", "A-00"]
    assert client.get("/care/tracking/orders?page=9").status_code == 404
    assert client.get("/care/tracking/orders?page=x").status_code == 200


def test_order_page_shows_shipments_progress_estimate_and_timeline(care, db, client):
    make_order(care, user_id="ann")
    shipped = utcnow() - timedelta(hours=3)
    care.tracking.add_shipment(
        "SO-1", carrier="dhl", tracking_number="JD1", lines={"MUG-1": 2}, shipped_at=shipped
    )
    care.tracking.add_event(
        "SO-1", "In Transit", location="Madrid hub", occurred_at=shipped + timedelta(hours=1)
    )
    db.session.commit()
    login(client, "ann")
    html = client.get("/care/tracking/orders/SO-1").get_data(as_text=True)
    assert "Parcel 1 of 1" not in html and "Your parcel" in html
    assert 'aria-current="step"' in html
    assert re.search(
        r'sc-step-current[^>]*aria-current="step">\s*<span[^>]*></span>\s*'
        r'<span class="sc-step-label">Shipped',
        html,
    )
    assert "https://www.dhl.com/" in html and "JD1" in html
    assert "Arrives" in html
    assert "Madrid hub" in html and "Order placed" in html and "Parcel handed to DHL" in html
    assert "Still to ship" in html and "1 \u00d7 Green tea" in html
    assert "2 \u00d7 Blue mug" in html


def test_order_page_in_spanish(care, db, client):
    make_order(care, user_id="ann")
    care.tracking.add_event(
        "SO-1", "delivered", carrier="correos", tracking_number="PQ1", occurred_at=T0
    )
    db.session.commit()
    login(client, "ann")
    response = client.get(
        "/care/tracking/orders/SO-1", headers={"Accept-Language": "es-ES,es;q=0.9"}
    )
    html = response.get_data(as_text=True)
    assert 'lang="es"' in html
    assert "Pedido SO-1" in html
    assert "Entregado" in html and "Historial" in html and "Pedido realizado" in html
    assert "mar 2026" in html  # dates in Spanish
    assert "Delivered" not in html and "History" not in html


def test_order_page_statements_are_bounded(care, db, client, count_queries):
    make_order(care, user_id="ann", lines=many_lines(40))
    for number in range(6):
        care.tracking.add_shipment(
            "SO-1",
            carrier=("dhl", "ups", "gls")[number % 3],
            tracking_number=f"T{number}",
            lines={f"SKU-{i}": 1 for i in range(number * 5, number * 5 + 5)},
            shipped_at=T0,
        )
        for hour, status in enumerate(
            ("info_received", "in_transit", "in_transit", "out_for_delivery", "delivered")
        ):
            care.tracking.add_event(
                "SO-1",
                status,
                carrier=("dhl", "ups", "gls")[number % 3],
                tracking_number=f"T{number}",
                occurred_at=T0 + timedelta(hours=hour * 7 + number),
                location=f"Place {hour}",
            )
    db.session.commit()
    db.session.expunge_all()
    login(client, "ann")
    with count_queries() as statements:
        response = client.get("/care/tracking/orders/SO-1")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count('sc-shipment"') == 6 and html.count("sc-timeline-entry") >= 36
    assert len(statements) <= 4, "\n\n".join(statements)
    print(f"order page: {len(statements)} statements")


def test_home_card_links_to_tracking(client):
    html = client.get("/care/").get_data(as_text=True)
    assert "Track an order" in html and 'href="/care/tracking/"' in html
    login(client, "ann")
    assert 'href="/care/tracking/orders"' in client.get("/care/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/care/tracking/orders", 200),  # an empty list
        ("/care/tracking/orders/SO-1", 404),  # no such order
    ],
)
def test_pages_answer_for_hosts_without_orders(client, path, status):
    login(client, "ann")
    assert client.get(path).status_code == status
