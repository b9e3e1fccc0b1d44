"""The staff queue and case page: rights, filters, paging, actions, bulk approval,
two staff members acting at once."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import g
from flask.testing import FlaskClient

from tests.cases.helpers import CONFIG, delivered_order
from tests.conftest import login


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(CONFIG)


def token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def test_staff_rights(care: Any, db: Any, client: FlaskClient) -> None:
    delivered_order(care)
    case = care.cases.open("SO-1", "return", {"MUG-1": 1}, reason="too_small")
    db.session.commit()
    assert client.get("/care/staff/cases").status_code == 302  # to the host's login page
    login(client, "ann")  # the case's own shopper is not staff
    assert client.get("/care/staff/cases").status_code == 403
    assert client.get(f"/care/staff/cases/{case.number}").status_code == 403
    assert client.post(f"/care/staff/cases/{case.number}/approve").status_code == 403
    assert client.post("/care/staff/cases/approve").status_code == 403


def test_queue_lists_filters_and_pages(care: Any, db: Any, client: FlaskClient) -> None:
    delivered_order(care)
    delivered_order(care, "SO-2", email="bob@example.com", user_id="bob")
    a = care.cases.open("SO-1", "return", {"MUG-1": 1}, reason="too_small")
    b = care.cases.open("SO-2", "guarantee", {"TEA-9": 1}, reason="defective")
    db.session.commit()
    login(client, "sam")
    html = client.get("/care/staff/cases").get_data(as_text=True)
    assert a.number in html and b.number in html and "Defect without photos" in html
    html = client.get("/care/staff/cases?kind=guarantee").get_data(as_text=True)
    assert b.number in html and a.number not in html
    html = client.get("/care/staff/cases?q=bob@example.com").get_data(as_text=True)
    assert b.number in html and a.number not in html
    html = client.get("/care/staff/cases?per_page=25&kind=&status=requested&sort=oldest").get_data(
        as_text=True
    )
    assert html.index(a.number) < html.index(b.number)
    assert client.get("/care/staff/cases?page=9").status_code == 404


def test_queue_page_costs_at_most_four_statements(
    care: Any, db: Any, client: FlaskClient, count_queries: Any
) -> None:
    delivered_order(care)
    for _ in range(3):
        care.cases.open("SO-1", "guarantee", {"MUG-1": 1}, reason="defective")
    db.session.commit()
    db.session.expunge_all()
    login(client, "sam")
    with count_queries() as statements:
        response = client.get("/care/staff/cases?flag=no_photos&q=MUG-1")
    assert response.status_code == 200 and len(statements) <= 4, statements
    with count_queries() as statements:
        response = client.get("/care/staff/cases")
    assert response.get_data(as_text=True).count("R-20") >= 3 and len(statements) <= 4


def test_case_page_and_actions(
    care: Any, db: Any, client: FlaskClient, signals_recorder: Any
) -> None:
    delivered_order(care)
    case = care.cases.open(
        "SO-1", "return", {"MUG-1": 2}, reason="too_small", description="<b>x</b>"
    )
    db.session.commit()
    login(client, "sam")
    url = f"/care/staff/cases/{case.number}"
    html = client.get(url).get_data(as_text=True)
    assert "<b>x</b>" not in html and "Approve" in html
    csrf = token(html)
    assert (
        client.post(
            f"{url}/approve", data={"csrf_token": csrf, "version": case.version}
        ).status_code
        == 302
    )
    db.session.expire_all()
    case = care.cases.get(case.number)
    assert case.status == "approved"
    with signals_recorder("refund-due") as received:
        client.post(
            f"{url}/receive",
            data={
                "csrf_token": csrf,
                "version": case.version,
                "received-MUG-1": "1",
                "damaged-MUG-1": "0",
            },
        )
    assert received[0][2]["amount"] == 8999
    db.session.expire_all()
    case = care.cases.get(case.number)
    client.post(
        f"{url}/resolve",
        data={
            "csrf_token": csrf,
            "version": case.version,
            "outcome": "refunded",
            "amount": "89.99",
        },
    )
    client.post(f"{url}/note", data={"csrf_token": csrf, "text": "Refunded by card"})
    db.session.expire_all()
    case = care.cases.get(case.number)
    assert case.status == "resolved" and case.paid_minor == 8999
    html = client.get(url).get_data(as_text=True)
    assert "Refunded by card" in html and "Request" in html


def test_two_staff_at_once_one_wins_the_other_is_told(care: Any, db: Any, app: Any) -> None:
    delivered_order(care)
    case = care.cases.open("SO-1", "return", {"MUG-1": 1}, reason="too_small")
    db.session.commit()
    first, second = app.test_client(), app.test_client()
    login(first, "sam")
    login(second, "sam")
    url = f"/care/staff/cases/{case.number}"
    # The tests' app context outlives requests, and Flask-WTF keeps the CSRF token in
    # ``g``: forget it between the two staff members' pages.
    page_one = first.get(url).get_data(as_text=True)
    g.pop("csrf_token", None)
    page_two = second.get(url).get_data(as_text=True)
    g.pop("csrf_token", None)
    version = re.search(r'name="version" value="(\d+)"', page_one).group(1)
    one = first.post(
        f"{url}/approve",
        data={"csrf_token": token(page_one), "version": version},
        follow_redirects=True,
    )
    two = second.post(
        f"{url}/reject",
        data={"csrf_token": token(page_two), "version": version, "reason": "No"},
        follow_redirects=True,
    )
    assert "Done." in one.get_data(as_text=True)
    assert "Someone else changed this case" in two.get_data(as_text=True), re.findall(
        r"sc-flash[^<]*", two.get_data(as_text=True)
    )
    db.session.expire_all()
    assert care.cases.get(case.number).status == "approved"


def test_bulk_approve(care: Any, db: Any, client: FlaskClient) -> None:
    delivered_order(care)
    a = care.cases.open("SO-1", "return", {"MUG-1": 1}, reason="too_small")
    b = care.cases.open("SO-1", "return", {"MUG-1": 1}, reason="too_small")
    db.session.commit()
    login(client, "sam")
    html = client.get("/care/staff/cases").get_data(as_text=True)
    response = client.post(
        "/care/staff/cases/approve",
        data={"csrf_token": token(html), "number": [a.number, b.number]},
        follow_redirects=True,
    )
    assert "Approved 2; 0 skipped" in response.get_data(as_text=True)
    db.session.expire_all()
    assert {care.cases.get(n).status for n in (a.number, b.number)} == {"approved"}


@pytest.mark.parametrize(
    ("next_", "where"),
    [
        ("/care/staff/cases?status=requested", "/care/staff/cases?status=requested"),
        ("https://evil.example/", "/care/staff/cases"),
        ("//evil.example/", "/care/staff/cases"),
        ("/care/staff/cases\r\nSet-Cookie: x=1", "/care/staff/cases"),
    ],
)
def test_bulk_approve_goes_back_only_on_this_site(
    care: Any, db: Any, client: FlaskClient, next_: str, where: str
) -> None:
    delivered_order(care)
    care.cases.open("SO-1", "return", {"MUG-1": 1}, reason="too_small")
    db.session.commit()
    login(client, "sam")
    html = client.get("/care/staff/cases").get_data(as_text=True)
    response = client.post(
        "/care/staff/cases/approve", data={"csrf_token": token(html), "next": next_}
    )
    assert response.status_code == 302 and response.headers["Location"] == where


def test_bulk_approve_without_its_token_says_so(care: Any, db: Any, client: FlaskClient) -> None:
    delivered_order(care)
    case = care.cases.open("SO-1", "return", {"MUG-1": 1}, reason="too_small")
    db.session.commit()
    login(client, "sam")
    response = client.post(
        "/care/staff/cases/approve", data={"number": case.number}, follow_redirects=True
    )
    assert "This form had expired" in response.get_data(as_text=True)
    db.session.expire_all()
    assert care.cases.get(case.number).status == "requested"


def test_staff_see_the_exchange_wish_as_text(care: Any, db: Any, client: FlaskClient) -> None:
    delivered_order(care)
    case = care.cases.open(
        "SO-1",
        "return",
        {"MUG-1": 1},
        reason="too_small",
        remedy="exchange",
        exchange_for="<i>Size L</i>",
    )
    db.session.commit()
    login(client, "sam")
    html = client.get(f"/care/staff/cases/{case.number}").get_data(as_text=True)
    assert '<strong class="sc-exchange-wish">&lt;i&gt;Size L&lt;/i&gt;</strong>' in html
