"""The suggestion box's JSON API: shoppers' integrations (a session) and staff actions
for keys with ``feedback:write``."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import login
from tests.feedback.helpers import CONFIG, order

API = "/care/api/v1/feedback"


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(CONFIG)


def test_submit_read_reply_and_act_with_a_key(
    care: Any, db: Any, client: FlaskClient, api_key: Any
) -> None:
    order(care)
    db.session.commit()
    headers = api_key("feedback:read", "feedback:write")
    created = client.post(API, json={"kind": "complaint", "subject": "Broken", "message": "In pieces",
                                     "order": "SO-1", "remedy": "refund", "channel": "phone"}, headers=headers)  # fmt: skip
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    ref = body["reference"]
    assert (body["status"], body["channel"], body["order"]) == ("acknowledged", "phone", "SO-1")
    note = client.post(
        f"{API}/{ref}/reply", json={"body": "Call the carrier", "internal": True}, headers=headers
    )
    assert note.status_code == 200 and note.get_json()["messages"][-1]["internal"] is True
    client.post(f"{API}/{ref}/reply", json={"body": "Refund on its way"}, headers=headers)
    assert (
        client.post(f"{API}/{ref}/assign", json={"assignee_id": "sam"}, headers=headers).get_json()[
            "assignee_id"
        ]
        == "sam"
    )
    assert (
        client.post(f"{API}/{ref}/priority", json={"priority": "high"}, headers=headers).get_json()[
            "priority"
        ]
        == "high"
    )
    version = client.get(f"{API}/{ref}", headers=headers).get_json()["version"]
    stale = client.post(f"{API}/{ref}/resolve", json={"version": version - 1}, headers=headers)
    assert stale.status_code == 409
    done = client.post(f"{API}/{ref}/resolve", json={"version": version}, headers=headers)
    assert done.get_json()["status"] == "resolved"
    again = client.post(f"{API}/{ref}/resolve", json={}, headers=headers)
    assert again.status_code == 409
    assert (
        client.post(f"{API}/{ref}/close", json={}, headers=headers).get_json()["status"] == "closed"
    )


def test_scopes(care: Any, db: Any, client: FlaskClient, api_key: Any) -> None:
    ticket = care.feedback.submit("question", "Q", "M", email="g@example.com")
    db.session.commit()
    read_only = api_key("feedback:read")
    assert client.get(f"{API}/{ticket.reference}", headers=read_only).status_code == 200
    assert (
        client.post(
            f"{API}/{ticket.reference}/reply", json={"body": "x"}, headers=read_only
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"{API}/{ticket.reference}/close", json={}, headers=api_key("cases:write")
        ).status_code
        == 403
    )


def test_a_shoppers_session(care: Any, db: Any, client: FlaskClient) -> None:
    order(care, "SO-1", user_id="ann")
    order(care, "SO-2", email="bob@example.com", user_id="bob")
    other = care.feedback.submit("question", "Bob's", "M", reference="SO-2")
    db.session.commit()
    login(client, "ann")
    mine = client.post(API, json={"kind": "question", "subject": "Q", "message": "M", "order": "SO-1"},
                       headers=_csrf(client))  # fmt: skip
    assert mine.status_code == 201, mine.get_json()
    ref = mine.get_json()["reference"]
    assert client.get(f"{API}/{ref}").status_code == 200
    assert client.get(f"{API}/{other.reference}").status_code == 404
    refused = client.post(API, json={"kind": "question", "subject": "Q", "message": "M", "order": "SO-2"},
                          headers=_csrf(client))  # fmt: skip
    assert refused.status_code == 422
    reply = client.post(
        f"{API}/{ref}/reply", json={"body": "More", "internal": True}, headers=_csrf(client)
    )
    assert reply.status_code == 200
    assert [m["author"] for m in reply.get_json()["messages"]] == ["shopper", "shopper"]
    assert all(not m["internal"] for m in reply.get_json()["messages"])
    closing = client.post(f"{API}/{ref}/close", json={}, headers=_csrf(client))
    assert closing.status_code == 401  # staff actions need a key, a shopper's session is not one


def _csrf(client: FlaskClient) -> dict[str, str]:
    import re

    from flask import g

    g.pop("csrf_token", None)
    page = client.get("/care/feedback/new").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    return {"X-CSRFToken": token.group(1)}


def test_a_staff_note_is_shown_to_keys_only(
    care: Any, db: Any, client: FlaskClient, api_key: Any
) -> None:
    order(care, "SO-1", user_id="ann")
    ticket = care.feedback.submit("question", "Q", "M", reference="SO-1", user_id="ann")
    db.session.commit()
    headers = api_key("feedback:read", "feedback:write")
    url = f"{API}/{ticket.reference}"
    client.post(f"{url}/reply", json={"body": "Ask the carrier", "internal": True}, headers=headers)
    client.post(f"{url}/reply", json={"body": "We are on it"}, headers=headers)
    as_staff = client.get(url, headers=headers).get_json()["messages"]
    assert [(m["body"], m["internal"]) for m in as_staff] == [
        ("M", False), ("Ask the carrier", True), ("We are on it", False)
    ]  # fmt: skip
    login(client, "ann")
    as_shopper = client.get(url).get_json()["messages"]
    assert [m["body"] for m in as_shopper] == ["M", "We are on it"]
