"""Limits cannot be dodged or turned on a shopper: the per-order look-up limit reads its
key from the parsed input however it was sent; junk posts do not count against the
owner's order; bodies over the size limit are a 413 however they are sent."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.tracking.helpers import SECRET, csrf_token, make_order, signature

LOOKUP = "/care/tracking/"


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"SHOPCARE_RATELIMIT_GUEST_LOOKUP": "3/minute"}


def address(number: int) -> dict[str, Any]:
    return {"environ_base": {"REMOTE_ADDR": f"10.0.0.{number}"}}


def test_the_per_order_limit_counts_json_look_ups_too(care, db, client):
    make_order(care)
    db.session.commit()
    token = csrf_token(client, LOOKUP)
    statuses = []
    for number in range(5):  # a new address each time: only the per-order limit applies
        body = {"reference": "so-1", "email": "x@example.com", "csrf_token": token}
        if number % 2:
            response = client.post(LOOKUP, json=body, **address(number))
        else:
            response = client.post(LOOKUP, data=body, **address(number))
        statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 429, 429]


def test_junk_posts_do_not_lock_the_owner_out(care, db, client, app):
    make_order(care)
    db.session.commit()
    token = csrf_token(client, LOOKUP)  # the owner's form, opened first
    stranger = app.test_client()
    for number in range(20):  # no form token: junk, whatever it names
        stranger.post(
            LOOKUP, data={"reference": "SO-1", "email": "x@example.com"}, **address(number)
        )
        stranger.post(
            LOOKUP, json={"reference": "SO-1", "email": "x@example.com"}, **address(number)
        )
    response = client.post(
        LOOKUP,
        data={"reference": "SO-1", "email": "ann@example.com", "csrf_token": token},
        **address(99),
    )
    assert response.status_code == 302  # the owner still gets in


def test_the_address_limit_still_counts_every_post(care, db, client):
    statuses = [
        client.post(LOOKUP, data={"reference": f"X-{n}", "email": "x@example.com"}).status_code
        for n in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


def test_an_api_body_over_the_limit_is_a_413_with_or_without_a_length(app, client, api_key):
    app.config["SHOPCARE_API_MAX_CONTENT_LENGTH"] = 1000
    headers = {"Content-Type": "application/json", **api_key("orders:write")}
    big = json.dumps({"reference": "x" * 2000}).encode()
    assert client.post("/care/api/v1/orders", data=big, headers=headers).status_code == 413


def chunks(body: bytes) -> Any:
    return iter([body[i : i + 500] for i in range(0, len(body), 500)])


def test_chunked_bodies_over_the_limit_are_a_413_under_gunicorn(app, db, gunicorn_server):
    """gunicorn ends a chunked body itself, and werkzeug then cut it silently at the
    limit: the webhook answered "invalid signature", the API "malformed JSON"."""
    server = gunicorn_server(
        workers=1,
        config={
            "SHOPCARE_WEBHOOK_SECRET": SECRET,
            "SHOPCARE_API_MAX_CONTENT_LENGTH": 2000,
            "MAX_CONTENT_LENGTH": 4000,
            "WTF_CSRF_ENABLED": False,
        },
    )
    big = json.dumps(
        [{"reference": "SO-1", "status": "in_transit", "occurred_at": "x" * 3000}]
    ).encode()
    headers = {"Content-Type": "application/json", "Shopcare-Signature": signature(big)}
    for chunked in (False, True):
        body = chunks(big) if chunked else big
        status, answer = server.request(
            "POST", "/care/api/v1/tracking/events", body=body, headers=headers, chunked=chunked
        )
        assert status == 413, (chunked, answer)
        assert json.loads(answer)["error"]["code"] == "payload_too_large"
        status, answer = server.request(
            "POST", "/care/api/v1/orders", body=chunks(big) if chunked else big,
            headers={"Content-Type": "application/json"}, chunked=chunked,
        )  # fmt: skip
        assert status == 413, (chunked, answer)
        form = b"reference=SO-1&email=" + b"x" * 5000
        status, _ = server.request(
            "POST", LOOKUP, body=chunks(form) if chunked else form,
            headers={"Content-Type": "application/x-www-form-urlencoded"}, chunked=chunked,
        )  # fmt: skip
        assert status == 413, chunked
    # and a chunked body within the limit still works
    small = json.dumps(
        {"reference": "NOPE", "status": "in_transit", "occurred_at": "2026-03-02T10:00:00Z"}
    ).encode()
    status, answer = server.request(
        "POST", "/care/api/v1/tracking/events", body=chunks(small),
        headers={"Content-Type": "application/json", "Shopcare-Signature": signature(small)}, chunked=True,
    )  # fmt: skip
    assert status == 422 and "reference" in json.loads(answer)["error"]["fields"], answer
