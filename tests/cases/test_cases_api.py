"""The cases JSON API: shoppers' integrations and staff actions for API keys."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.cases.helpers import CONFIG, delivered_order
from tests.conftest import login

API = "/care/api/v1/cases"


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(CONFIG)


def test_open_read_list_and_act_with_a_key(
    care: Any, db: Any, client: FlaskClient, api_key: Any
) -> None:
    delivered_order(care)
    db.session.commit()
    headers = api_key("cases:read", "cases:write")
    response = client.post(
        API,
        json={"order": "SO-1", "kind": "return", "lines": {"MUG-1": 1}, "reason": "too_small"},
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    number = response.get_json()["number"]
    assert client.get(f"{API}/{number}", headers=headers).get_json()["status"] == "requested"
    assert [
        c["number"] for c in client.get(f"{API}?kind=return", headers=headers).get_json()["items"]
    ] == [number]
    version = client.get(f"{API}/{number}", headers=headers).get_json()["version"]
    assert (
        client.post(
            f"{API}/{number}/approve", json={"version": version}, headers=headers
        ).status_code
        == 200
    )
    stale = client.post(
        f"{API}/{number}/reject", json={"version": version, "reason": "no"}, headers=headers
    )
    assert stale.status_code == 409
    assert (
        client.post(f"{API}/{number}/receive", json={}, headers=headers).get_json()["due"]
        == "89.99"
    )
    done = client.post(
        f"{API}/{number}/resolve", json={"outcome": "refunded", "amount": "89.99"}, headers=headers
    )
    assert done.get_json()["status"] == "resolved" and done.get_json()["paid"] == "89.99"
    again = client.post(
        f"{API}/{number}/resolve", json={"outcome": "refunded", "amount": "89.99"}, headers=headers
    )
    assert again.status_code == 409


def test_an_exchange_through_the_api(care: Any, db: Any, client: FlaskClient, api_key: Any) -> None:
    delivered_order(care)
    db.session.commit()
    headers = api_key("cases:read", "cases:write")
    body = {
        "order": "SO-1",
        "kind": "return",
        "lines": {"MUG-1": 1},
        "reason": "too_small",
        "remedy": "exchange",
    }
    missing = client.post(API, json=body, headers=headers)
    assert missing.status_code == 422
    assert "exchange_for" in missing.get_json()["error"]["fields"]
    made = client.post(API, json={**body, "exchange_for": "MUG-2"}, headers=headers)
    assert made.status_code == 201 and made.get_json()["exchange_for"] == "MUG-2"


def test_validation_names_the_line(care: Any, db: Any, client: FlaskClient, api_key: Any) -> None:
    delivered_order(care)
    db.session.commit()
    response = client.post(
        API,
        json={"order": "SO-1", "kind": "return", "lines": {"MUG-1": 9}, "reason": "too_small"},
        headers=api_key("cases:write"),
    )
    assert response.status_code == 422 and "lines.MUG-1" in response.get_json()["error"]["fields"]


def test_scopes(care: Any, db: Any, client: FlaskClient, api_key: Any) -> None:
    delivered_order(care)
    case = care.cases.open("SO-1", "return", {"MUG-1": 1}, reason="too_small")
    db.session.commit()
    reader = api_key("cases:read")
    assert client.get(f"{API}/{case.number}", headers=reader).status_code == 200
    assert client.post(f"{API}/{case.number}/approve", json={}, headers=reader).status_code == 403
    assert client.get(API, headers=api_key("orders:read")).status_code == 403


def test_a_shopper_session_sees_only_their_cases(care: Any, db: Any, client: FlaskClient) -> None:
    delivered_order(care)
    delivered_order(care, "SO-2", email="bob@example.com", user_id="bob")
    mine = care.cases.open("SO-1", "return", {"MUG-1": 1}, reason="too_small")
    other = care.cases.open("SO-2", "return", {"MUG-1": 1}, reason="too_small")
    db.session.commit()
    login(client, "ann")
    assert [c["number"] for c in client.get(API).get_json()["items"]] == [mine.number]
    assert client.get(f"{API}/{other.number}").status_code == 404
    assert client.get(f"{API}/{mine.number}").status_code == 200
    # Staff actions need a key.
    assert client.post(f"{API}/{mine.number}/approve", json={}).status_code == 401


def test_a_page_in_other_digits_is_a_bad_request(
    care: Any, db: Any, client: FlaskClient, api_key: Any
) -> None:
    """``"²".isdigit()`` is true but ``int("²")`` raises: a 400 with its code, not a 500."""
    reader = api_key("cases:read")
    for odd in ("²", "①", "1²"):
        reply = client.get(f"{API}?page={odd}", headers=reader)
        assert reply.status_code == 400, odd
        assert reply.get_json()["error"]["code"] == "bad_request"
