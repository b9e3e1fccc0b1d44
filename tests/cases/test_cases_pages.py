"""The shopper's pages: the order page's panel, the withdrawal function (guests too),
returns with photos, the case page, photos and slip access, the shopper's list."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from shopcare.cases.models import Case
from shopcare.core.outbox.worker import work
from tests.cases.helpers import CONFIG, delivered_order, image_bytes
from tests.conftest import login


@pytest.fixture
def app_config(smtp_server: Any, tmp_path: Any) -> dict[str, Any]:
    return {
        **CONFIG,
        **smtp_server.config,
        "SHOPCARE_EXTERNAL_URL": "https://shop.example",
        "SHOPCARE_CASE_PHOTO_DIR": str(tmp_path / "photos"),
        "SHOPCARE_RETURN_ADDRESS": "Shop returns\nCalle Mayor 1\n28001 Madrid",
    }


def guest_link(care: Any, reference: str = "SO-1") -> str:
    order = care.orders.get(reference)
    return care.tracking.guest_token(order)


def token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, html
    return match.group(1)


def test_order_page_shows_the_buttons_and_coverage(care: Any, db: Any, client: FlaskClient) -> None:
    delivered_order(care, delivered=datetime.now(UTC) - timedelta(days=3))
    db.session.commit()
    login(client, "ann")
    html = client.get("/care/tracking/orders/SO-1").get_data(as_text=True)
    assert "Withdraw from contract here" in html
    assert "Return or exchange" in html and "Claim guarantee" in html
    assert html.count("Covered until") == 2


def test_order_page_panel_follows_settings_changed_at_runtime(
    app: Any, care: Any, db: Any, client: FlaskClient
) -> None:
    # The panel's rules read their settings once a page: a change shows on the next page.
    delivered_order(care, delivered=datetime.now(UTC) - timedelta(days=3))
    db.session.commit()
    login(client, "ann")

    def page() -> str:
        return client.get("/care/tracking/orders/SO-1").get_data(as_text=True)

    assert "Return or exchange" in page()
    app.config["SHOPCARE_FINAL_SALE"] = ["kitchen", "TEA-9"]
    assert "Return or exchange" not in page()
    app.config["SHOPCARE_FINAL_SALE"] = ()
    app.config["SHOPCARE_GUARANTEE_MONTHS"] = 0
    html = page()
    assert "Claim guarantee" not in html and "Guarantee expired on" in html
    app.config["SHOPCARE_GUARANTEE_MONTHS"] = 36
    assert "Claim guarantee" in page()


def test_withdrawal_button_gone_after_the_period_and_expired_guarantee_shown(
    care: Any, db: Any, client: FlaskClient
) -> None:
    delivered_order(care, delivered=datetime.now(UTC) - timedelta(days=4 * 365))
    db.session.commit()
    login(client, "ann")
    html = client.get("/care/tracking/orders/SO-1").get_data(as_text=True)
    assert "Withdraw from contract here" not in html
    assert "Guarantee expired on" in html


def test_spanish_button(care: Any, db: Any, client: FlaskClient) -> None:
    delivered_order(care)
    db.session.commit()
    login(client, "ann")
    html = client.get("/care/tracking/orders/SO-1", headers={"Accept-Language": "es"}).get_data(
        as_text=True
    )
    assert "Desistir del contrato aquí" in html


def test_guest_withdrawal_end_to_end_with_the_acknowledgement(
    care: Any, db: Any, client: FlaskClient, smtp_server: Any
) -> None:
    delivered_order(care, user_id=None, email="guest@example.com")
    db.session.commit()
    key = guest_link(care)
    page = client.get(f"/care/cases/orders/SO-1/withdraw?key={key}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'value="guest@example.com"' in html  # prefilled
    assert "reason" not in html.lower().split("<form")[1].split("</form>")[0].replace(
        "no reason", ""
    )
    step2 = client.post(
        f"/care/cases/orders/SO-1/withdraw?key={key}",
        data={
            "csrf_token": token(html),
            "name": "Guest Shopper",
            "email": "guest@example.com",
            "qty-MUG-1": "1",
        },
    )
    assert step2.status_code == 200
    confirm = step2.get_data(as_text=True)
    assert "Confirm withdrawal" in confirm
    assert db.session.query(Case).count() == 0  # nothing yet: the second step withdraws
    form = dict(re.findall(r'name="([a-z_]+)"[^>]*value="([^"]*)"', confirm))
    data = {
        "csrf_token": token(confirm),
        "name": "Guest Shopper",
        "email": "guest@example.com",
        "lines": form["lines"].replace("&#34;", '"'),
        "request_key": form["request_key"],
    }
    first = client.post(f"/care/cases/orders/SO-1/withdraw/confirm?key={key}", data=data)
    again = client.post(f"/care/cases/orders/SO-1/withdraw/confirm?key={key}", data=data)
    assert first.status_code == again.status_code == 302
    db.session.expire_all()
    (case,) = db.session.query(Case).all()
    assert case.status == "approved" and case.kind == "withdrawal" and case.name == "Guest Shopper"
    assert first.headers["Location"] == again.headers["Location"]
    assert client.get(first.headers["Location"]).status_code == 200
    work()
    (message,) = smtp_server.wait_for(1)
    assert message["To"] == "guest@example.com"
    assert "We received your withdrawal" in message["Subject"]
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert case.number in body and "1 \u00d7 Blue mug" in body
    assert re.search(r"\d{1,2}:\d{2}:\d{2}", body), body  # to the second
    assert "Europe/Madrid" in body and "approved" not in body.lower()


def test_withdrawal_recorded_even_when_mail_is_down(care: Any, db: Any, smtp_server: Any) -> None:
    smtp_server.stop()
    delivered_order(care)
    case = care.cases.open("SO-1", "withdrawal", {"MUG-1": 1})
    db.session.commit()
    work()
    assert care.cases.get(case.number).status == "approved"
    smtp_server.start()


def test_return_with_a_photo_then_case_page(care: Any, db: Any, client: FlaskClient) -> None:
    delivered_order(care)
    db.session.commit()
    login(client, "ann")
    url = "/care/cases/orders/SO-1/return"
    html = client.get(url).get_data(as_text=True)
    response = client.post(
        url,
        data={
            "csrf_token": token(html),
            "qty-MUG-1": "2",
            "reason": "too_small",
            "remedy": "refund",
            "description": "<script>alert(1)</script>",
            "photos": [(io.BytesIO(image_bytes()), "me.jpg")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    case = db.session.query(Case).one()
    assert case.quantity == 2 and len(case.photos) == 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert case.number in page and "Requested" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    photo = client.get(f"/care/cases/{case.number}/photos/{case.photos[0].token}")
    assert photo.status_code == 200
    assert photo.headers["X-Content-Type-Options"] == "nosniff"
    assert photo.headers["Content-Disposition"].startswith("attachment")
    assert photo.headers["Content-Type"] == "image/jpeg"


def test_the_return_form_sent_twice_opens_one_case(care: Any, db: Any, client: FlaskClient) -> None:
    """A double click: the second answer is the first case, not "already covered"
    (which the browser would show, though the return was recorded)."""
    delivered_order(care)
    db.session.commit()
    login(client, "ann")
    url = "/care/cases/orders/SO-1/return"
    html = client.get(url).get_data(as_text=True)
    key = re.search(r'name="request_key" type="hidden" value="([^"]+)"', html)
    assert key, html
    data = {
        "csrf_token": token(html),
        "request_key": key.group(1),
        "qty-MUG-1": "2",
        "reason": "too_small",
        "remedy": "refund",
    }
    first = client.post(url, data=data)
    again = client.post(url, data=data)
    assert first.status_code == again.status_code == 302, again.get_data(as_text=True)
    assert first.headers["Location"] == again.headers["Location"]
    (case,) = db.session.query(Case).all()
    assert case.quantity == 2
    fresh = client.get(url).get_data(as_text=True)  # a new form is another request
    assert key.group(1) not in fresh


def test_refusals_shown_beside_the_field(care: Any, db: Any, client: FlaskClient) -> None:
    delivered_order(care)
    db.session.commit()
    login(client, "ann")
    url = "/care/cases/orders/SO-1/guarantee"
    html = client.get(url).get_data(as_text=True)
    response = client.post(
        url,
        data={
            "csrf_token": token(html),
            "qty-MUG-1": "1",
            "reason": "defective",
            "remedy": "repair",
            "photos": [(io.BytesIO(b"<?php system($_GET['c']); ?>"), "photo.jpg")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert re.search(r'<p class="sc-error" id="photos-error">Only JPEG, PNG or WebP', page)
    response = client.post(
        url,
        data={
            "csrf_token": token(html),
            "qty-MUG-1": "9",
            "reason": "defective",
            "remedy": "repair",
        },
    )
    assert 'id="qty-MUG-1-error">At most 3' in response.get_data(as_text=True)
    assert db.session.query(Case).count() == 0


def test_another_shopper_cannot_open_a_case_or_photo_by_url(
    care: Any, db: Any, client: FlaskClient
) -> None:
    delivered_order(care)
    case = care.cases.open(
        "SO-1", "guarantee", {"MUG-1": 1}, reason="defective", photos=[image_bytes()]
    )
    db.session.commit()
    login(client, "bob")
    assert client.get(f"/care/cases/{case.number}").status_code == 404
    assert client.get(f"/care/cases/{case.number}/photos/{case.photos[0].token}").status_code == 404
    assert client.get(f"/care/cases/{case.number}/slip").status_code == 404
    assert client.get("/care/cases/orders/SO-1/return").status_code == 404
    assert client.post(f"/care/cases/{case.number}/cancel").status_code == 404
    # A guest link to another order does not open it either.
    delivered_order(care, "SO-2", email="bob@example.com", user_id="bob")
    db.session.commit()
    other = guest_link(care, "SO-2")
    client.post("/logout")
    assert client.get(f"/care/cases/{case.number}?key={other}").status_code == 404
    assert client.get(f"/care/cases/{case.number}").status_code == 404
    # Staff may.
    login(client, "sam")
    assert client.get(f"/care/cases/{case.number}/photos/{case.photos[0].token}").status_code == 200


def test_shopper_cancels_and_lists_cases(care: Any, db: Any, client: FlaskClient) -> None:
    delivered_order(care)
    case = care.cases.open("SO-1", "return", {"MUG-1": 1}, reason="too_small")
    db.session.commit()
    login(client, "ann")
    listing = client.get("/care/cases/").get_data(as_text=True)
    assert case.number in listing
    page = client.get(f"/care/cases/{case.number}").get_data(as_text=True)
    response = client.post(f"/care/cases/{case.number}/cancel", data={"csrf_token": token(page)})
    assert response.status_code == 302
    db.session.expire_all()
    assert care.cases.get(case.number).status == "cancelled"


def test_an_exchange_asks_which_variant_beside_the_field(
    care: Any, db: Any, client: FlaskClient
) -> None:
    delivered_order(care)
    db.session.commit()
    login(client, "ann")
    url = "/care/cases/orders/SO-1/return"
    html = client.get(url).get_data(as_text=True)
    assert 'class="sc-field sc-exchange-for"' in html and 'name="exchange_for"' in html
    data = {
        "csrf_token": token(html),
        "qty-MUG-1": "1",
        "reason": "too_small",
        "remedy": "exchange",
    }
    refused = client.post(url, data=data)
    assert refused.status_code == 200
    assert re.search(
        r'<p class="sc-error" id="exchange_for-error">Tell us which size',
        refused.get_data(as_text=True),
    )
    assert db.session.query(Case).count() == 0
    response = client.post(url, data={**data, "exchange_for": "Size M <b>blue</b>"})
    assert response.status_code == 302
    case = db.session.query(Case).one()
    assert case.exchange_for == "Size M <b>blue</b>"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Size M &lt;b&gt;blue&lt;/b&gt;" in page and "<b>blue</b>" not in page


def test_guarantee_form_has_no_exchange_field(care: Any, db: Any, client: FlaskClient) -> None:
    delivered_order(care)
    db.session.commit()
    login(client, "ann")
    html = client.get("/care/cases/orders/SO-1/guarantee").get_data(as_text=True)
    assert 'name="exchange_for"' not in html


def test_return_slip_has_a_readable_qr(care: Any, db: Any, client: FlaskClient) -> None:
    delivered_order(care)
    case = care.cases.open("SO-1", "withdrawal", {"MUG-1": 1})
    db.session.commit()
    login(client, "ann")
    html = client.get(f"/care/cases/{case.number}/slip").get_data(as_text=True)
    assert "<svg" in html and "sc-slip" in html and "Calle Mayor 1" in html
    payload = f"https://shop.example/care/staff/cases/{case.number}"
    assert payload in html and payload.isascii()
    import segno

    qr = segno.make(payload, error="m")
    assert qr.svg_inline(scale=4, title=case.number, omitsize=True) in html
    assert qr.mode == "byte" and qr.designator  # encoded as bytes of the ASCII URL


def test_order_timeline_shows_the_case(care: Any, db: Any, client: FlaskClient) -> None:
    delivered_order(care)
    case = care.cases.open("SO-1", "return", {"MUG-1": 1}, reason="too_small")
    care.cases.approve(case.number)
    db.session.commit()
    login(client, "ann")
    html = client.get("/care/tracking/orders/SO-1").get_data(as_text=True)
    assert f"Request {case.number} approved" in html
