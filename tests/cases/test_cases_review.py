"""What a new user broke: double submits of the return form, untranslated and technical
messages on the shopper's pages, the withdrawal's hidden lines tampered with, an
off-site ``next`` in bulk approval, refunds above a case's worth before its parcel came
back, an expired guest link on a case page, and the dates in refusals."""

from __future__ import annotations

import html as html_lib
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from flask_babel import refresh

from shopcare import ValidationError
from shopcare.cases.models import Case
from tests.cases.helpers import CONFIG, delivered_order, madrid
from tests.conftest import login

ES = {"Accept-Language": "es"}


@pytest.fixture
def app_config(tmp_path: Any) -> dict[str, Any]:
    return {**CONFIG, "SHOPCARE_CASE_PHOTO_DIR": str(tmp_path / "photos")}


def token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def errors(html: str) -> list[str]:
    return re.findall(r'<p class="sc-error"[^>]*>([^<]*)<', html)


def flashes(html: str) -> list[str]:
    return [
        html_lib.unescape(m.strip())
        for m in re.findall(r'class="[^"]*flash[^"]*"[^>]*>([^<]*)<', html)
    ]


def test_the_return_form_sent_twice_opens_one_case(care: Any, db: Any, client: FlaskClient) -> None:
    delivered_order(care)
    db.session.commit()
    login(client, "ann")
    url = "/care/cases/orders/SO-1/return"
    page = client.get(url).get_data(as_text=True)
    key = re.search(r'name="request_key" type="hidden" value="([^"]+)"', page)
    assert key, "the form carries a one-time key"
    data = {
        "csrf_token": token(page),
        "request_key": key.group(1),
        "qty-MUG-1": "1",
        "reason": "too_small",
        "remedy": "refund",
    }
    first = client.post(url, data=data)
    again = client.post(url, data=data)
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert db.session.query(Case).count() == 1


@pytest.mark.parametrize(
    ("fields", "english"),
    [
        ({}, "give the lines"),
        ({"qty-MUG-1": "lots"}, "whole number"),
        ({"qty-MUG-1": "1", "description": "bad\x01text"}, "control characters"),
    ],
)
def test_form_errors_are_in_the_shoppers_language(
    care: Any, db: Any, client: FlaskClient, fields: dict[str, str], english: str
) -> None:
    delivered_order(care)
    db.session.commit()
    login(client, "ann")
    url = "/care/cases/orders/SO-1/return"
    page = client.get(url, headers=ES).get_data(as_text=True)
    response = client.post(
        url,
        data={"csrf_token": token(page), "reason": "too_small", "remedy": "refund", **fields},
        headers=ES,
    )
    shown = errors(response.get_data(as_text=True))
    assert shown, response.get_data(as_text=True)
    assert not any(english in message for message in shown), shown
    assert db.session.query(Case).count() == 0


def _confirm_step(client: FlaskClient) -> dict[str, str]:
    page = client.get("/care/cases/orders/SO-1/withdraw", headers=ES).get_data(as_text=True)
    step2 = client.post(
        "/care/cases/orders/SO-1/withdraw",
        data={"csrf_token": token(page), "name": "Ann", "email": "ann@example.com"},
        headers=ES,
    ).get_data(as_text=True)
    form = dict(re.findall(r'name="([a-z_]+)"[^>]*value="([^"]*)"', step2))
    return {
        "csrf_token": token(step2),
        "name": "Ann",
        "email": "ann@example.com",
        "lines": html_lib.unescape(form["lines"]),
        "request_key": form["request_key"],
    }


def test_a_refused_withdrawal_says_why_without_field_codes(
    care: Any, db: Any, client: FlaskClient
) -> None:
    delivered_order(care)
    db.session.commit()
    login(client, "ann")
    data = _confirm_step(client)
    # Another tab withdrew one mug in between: the second confirmation asks for too many.
    care.cases.open("SO-1", "withdrawal", {"MUG-1": 1})
    db.session.commit()
    response = client.post(
        "/care/cases/orders/SO-1/withdraw/confirm", data=data, headers=ES, follow_redirects=True
    )
    shown = flashes(response.get_data(as_text=True))
    assert shown and not any("lines." in m or "MUG-1:" in m for m in shown), shown
    assert any("como máximo 2" in m for m in shown), shown


@pytest.mark.parametrize("lines", ["[" * 100_000, '{"MUG-1": [1]}', "[1, 2]", "null"])
def test_tampered_withdrawal_lines_are_refused_not_a_server_error(
    care: Any, db: Any, client: FlaskClient, lines: str
) -> None:
    delivered_order(care)
    db.session.commit()
    login(client, "ann")
    data = {**_confirm_step(client), "lines": lines}
    response = client.post("/care/cases/orders/SO-1/withdraw/confirm", data=data, headers=ES)
    assert response.status_code == 302
    page = client.get(response.headers["Location"], headers=ES).get_data(as_text=True)
    assert not any("lines" in m for m in flashes(page)), flashes(page)
    assert db.session.query(Case).count() == 0


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"]
)
def test_bulk_approve_never_sends_staff_off_site(
    care: Any, db: Any, client: FlaskClient, target: str
) -> None:
    delivered_order(care)
    case = care.cases.open("SO-1", "return", {"MUG-1": 1}, reason="too_small")
    db.session.commit()
    login(client, "sam")
    page = client.get("/care/staff/cases").get_data(as_text=True)
    response = client.post(
        "/care/staff/cases/approve",
        data={"csrf_token": token(page), "number": case.number, "next": target},
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/care/staff/cases"), response.headers


def test_bulk_approve_keeps_the_queue_filters(care: Any, db: Any, client: FlaskClient) -> None:
    delivered_order(care)
    care.cases.open("SO-1", "return", {"MUG-1": 1}, reason="too_small")
    db.session.commit()
    login(client, "sam")
    page = client.get("/care/staff/cases").get_data(as_text=True)
    response = client.post(
        "/care/staff/cases/approve",
        data={"csrf_token": token(page), "next": "/care/staff/cases?kind=return&page=2"},
    )
    assert response.headers["Location"] == "/care/staff/cases?kind=return&page=2"


def test_a_case_not_received_cannot_be_paid_more_than_it_is_worth(care: Any, db: Any) -> None:
    delivered_order(care)  # MUG-1: 3 x 89.99
    case = care.cases.open("SO-1", "guarantee", {"MUG-1": 1}, reason="defective", remedy="refund")
    care.cases.approve(case.number)
    for amount in ("1e9", "90.00", "1000000"):
        with pytest.raises(ValidationError) as refused:
            care.cases.mark_refunded(case.number, amount)
        assert refused.value.field == "amount"
    assert care.cases.get(case.number).status == "approved"
    care.cases.mark_refunded(case.number, "89.99")
    assert care.cases.get(case.number).paid_minor == 8999


def test_a_withdrawal_not_received_may_also_refund_the_delivery(care: Any, db: Any) -> None:
    delivered_order(
        care,
        order_lines=[
            {"sku": "MUG-1", "name": "Blue mug", "quantity": 1, "unit_price": "10.00"},
            {"sku": "SHIPPING", "name": "Delivery", "quantity": 1, "unit_price": "4.95"},
        ],
    )
    case = care.cases.open("SO-1", "withdrawal", {"MUG-1": 1})
    with pytest.raises(ValidationError):
        care.cases.mark_refunded(case.number, "15.00")
    care.cases.mark_refunded(case.number, "14.95")


def test_an_expired_guest_link_to_a_case_says_so_and_leads_on(
    app: Any, care: Any, db: Any, client: FlaskClient
) -> None:
    delivered_order(care, user_id=None, email="guest@example.com")
    case = care.cases.open("SO-1", "return", {"MUG-1": 1}, reason="too_small")
    db.session.commit()
    refresh()  # the tests' app context outlives requests: forget the locale open() read
    key = care.tracking.guest_token(care.orders.get("SO-1"))
    assert client.get(f"/care/cases/{case.number}?key={key}", headers=ES).status_code == 200
    app.config["SHOPCARE_GUEST_LINK_MAX_AGE"] = -1  # every link is now too old
    for url in (
        f"/care/cases/{case.number}?key={key}",
        f"/care/cases/{case.number}/slip?key={key}",
        f"/care/cases/orders/SO-1/return?key={key}",
        f"/care/cases/orders/SO-1/withdraw?key={key}",
    ):
        response = client.get(url, headers=ES)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/care/tracking/"), response.headers
        page = client.get(response.headers["Location"], headers=ES).get_data(as_text=True)
        assert any("caducado" in m for m in flashes(page)), flashes(page)
    # A forged or foreign key is still a plain 404, and so is an unknown case.
    assert client.get(f"/care/cases/{case.number}?key=forged").status_code == 404
    assert client.get(f"/care/cases/R-2026-999999?key={key}").status_code == 404


def test_refusal_dates_read_well_in_spanish_and_carry_an_old_year(care: Any) -> None:
    from flask_babel import force_locale

    delivered_order(care, delivered=madrid(2026, 10, 14, 12, 0))
    with force_locale("es"):
        line = care.cases.eligibility("SO-1", "withdrawal", now=madrid(2026, 11, 2, 12, 0)).lines[0]
    assert "28 de octubre" in (line.message or ""), line.message
    now = datetime.now(UTC)
    delivered_order(care, "SO-2", delivered=now - timedelta(days=4 * 365))
    line = care.cases.eligibility("SO-2", "guarantee").lines[0]
    expired = (now - timedelta(days=4 * 365)).year + 3
    assert str(expired) in (line.message or ""), line.message
    assert json.dumps(line.message)  # plain text


def test_api_refusals_use_the_documented_error_code(
    care: Any, db: Any, client: FlaskClient, api_key: Any
) -> None:
    delivered_order(care)
    case = care.cases.open("SO-1", "withdrawal", {"MUG-1": 1})
    db.session.commit()
    headers = api_key("cases:read", "cases:write")
    no_order = client.post(
        "/care/api/v1/cases",
        json={"order": "NOPE-1", "kind": "return", "lines": {"MUG-1": 1}},
        headers=headers,
    )
    no_outcome = client.post(f"/care/api/v1/cases/{case.number}/resolve", json={}, headers=headers)
    for response, field in ((no_order, "order"), (no_outcome, "outcome")):
        assert response.status_code == 422
        error = response.get_json()["error"]
        assert error["code"] == "validation_failed", error  # README "Errors"
        assert field in error["fields"]


@pytest.mark.parametrize("protect", [False, True], ids=["form", "CSRFProtect"])
def test_an_expired_form_token_keeps_what_the_shopper_typed(
    app: Any, care: Any, db: Any, client: FlaskClient, protect: bool
) -> None:
    if protect:
        from flask_wtf.csrf import CSRFProtect

        CSRFProtect(app).exempt(app.view_functions["test_login"])
    delivered_order(care)
    db.session.commit()
    login(client, "ann")
    returned = client.post(
        "/care/cases/orders/SO-1/return",
        data={
            "csrf_token": "stale",
            "qty-MUG-1": "1",
            "reason": "too_small",
            "remedy": "refund",
            "description": "The handle came loose after two days",
        },
        headers={**ES, "Referer": "http://localhost/care/cases/orders/SO-1/return"},
    )
    html = returned.get_data(as_text=True)
    assert returned.status_code == 200
    assert "data-form-expired" in html and "The handle came loose after two days" in html
    assert 'value="1"' in html  # the quantity
    withdrawn = client.post(
        "/care/cases/orders/SO-1/withdraw",
        data={"csrf_token": "stale", "name": "Ann Example", "email": "ann@example.com"},
        headers={**ES, "Referer": "http://localhost/care/cases/orders/SO-1/withdraw"},
    )
    html = withdrawn.get_data(as_text=True)
    assert withdrawn.status_code == 200
    assert "data-form-expired" in html and 'value="Ann Example"' in html
    assert db.session.query(Case).count() == 0


def test_the_return_slip_leads_back_to_its_case(care: Any, db: Any, client: FlaskClient) -> None:
    delivered_order(care, user_id=None, email="guest@example.com")
    case = care.cases.open("SO-1", "return", {"MUG-1": 1}, reason="too_small")
    care.cases.approve(case.number)
    db.session.commit()
    key = care.tracking.guest_token(care.orders.get("SO-1"))
    html = client.get(f"/care/cases/{case.number}/slip?key={key}").get_data(as_text=True)
    back = re.search(r'<p class="sc-back[^"]*"><a href="([^"]+)"', html)
    assert back, "a way back from the slip"
    assert html_lib.unescape(back.group(1)) == f"/care/cases/{case.number}?key={key}"


@pytest.mark.parametrize(
    "query",
    ["age=999999999", "age=-5", "reason=%00", "q=%00", "q=R-2026%00", "reason=too_small%00"],
)
def test_hostile_queue_filters_are_not_a_server_error(
    care: Any, db: Any, client: FlaskClient, api_key: Any, query: str
) -> None:
    delivered_order(care)
    care.cases.open("SO-1", "return", {"MUG-1": 1}, reason="too_small")
    db.session.commit()
    login(client, "sam")
    assert client.get(f"/care/staff/cases?{query}").status_code == 200
    if query.startswith("q="):
        response = client.get(f"/care/api/v1/cases?{query}", headers=api_key("cases:read"))
        assert response.status_code == 200 and response.get_json()["items"] == []
