"""The security sweep: every shopcare route in ``app.url_map``, by the access rule its view
declares (``shopcare.core.access``):

- a route without a declared rule fails the sweep (a page added later must say who may
  use it);
- staff routes refuse a shopper (403) and send a visitor to log in;
- routes of one object (an order, a case) refuse another shopper and a guest without
  the object's signed link with the same 404 as for no such object, and serve the owner;
- a shopper's own lists send a visitor to log in;
- every state-changing form refuses a POST without its CSRF token and changes nothing;
- API routes refuse a call without credentials (401), and the signed webhook an unsigned
  body; neither changes anything.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask, g
from sqlalchemy import func, select
from werkzeug.routing import Rule

from shopcare.cases.models import CasePhoto
from shopcare.core.access import API, OWNER, PUBLIC, SHOPPER, SIGNED, STAFF, access_rule
from shopcare.core.db import Base
from shopcare.core.outbox import OutboxItem
from shopcare.tracking.views import guest_key
from tests.cases.helpers import CONFIG, delivered_order, image_bytes

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def app_config(tmp_path: Any) -> dict[str, Any]:
    return {**CONFIG, "SHOPCARE_CASE_PHOTO_DIR": str(tmp_path / "photos")}


@pytest.fixture
def world(care: Any, db: Any) -> dict[str, Any]:
    """Ann's order SO-1 with an approved return (with a photo) and a shipment; Bob's SO-2."""
    ann = delivered_order(care, "SO-1")
    bob = delivered_order(care, "SO-2", email="bob@example.com", user_id="bob")
    case = care.cases.open(
        "SO-1", "return", {"MUG-1": 1}, reason="too_small", photos=[image_bytes()]
    )
    care.cases.approve(case.number)
    shipment = care.tracking.add_shipment("SO-2", carrier="dhl", tracking_number="JD1")
    db.session.commit()
    return {
        "values": {
            "reference": "SO-1",
            "number": case.number,
            "token": db.session.scalars(select(CasePhoto.token)).one(),
            "kind": "return",
            "shipment_id": shipment.id,
            "item_id": db.session.scalars(select(OutboxItem.id)).first(),
            "action": "approve",
            "filename": "shopcare/shopcare.css",
        },
        "ann_key": guest_key(ann.id, ann.reference),
        "bob_key": guest_key(bob.id, bob.reference),
    }


def shopcare_rules(app: Flask) -> list[Rule]:
    return sorted(
        (rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("shopcare.")),
        key=lambda rule: (rule.rule, rule.endpoint),
    )


def url(rule: Rule, values: dict[str, Any], **query: str) -> str:
    missing = [name for name in rule.arguments if name not in values]
    assert not missing, f"{rule.rule}: give the sweep a value for {missing}"
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(rf"<(?:[^:<>]+:)?{name}>", str(values[name]), path)
    if query:
        path += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return path


class Visitor:
    """A test client that forgets the user Flask-Login cached on ``g``: the tests run in
    one app context, which every request of every client shares."""

    def __init__(self, app: Flask, name: str | None = None) -> None:
        self.client = app.test_client()
        if name is not None:
            self.open(f"/login/{name}", method="POST")

    def open(self, target: str, **kwargs: Any) -> Any:
        g.pop("_login_user", None)
        try:
            return self.client.open(target, **kwargs)
        finally:
            g.pop("_login_user", None)

    def get(self, target: str) -> Any:
        return self.open(target, method="GET")


def methods(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


def row_counts(db: Any) -> dict[str, int]:
    """How many rows each shopcare table has: what a refused request must leave alone."""
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
        if table.name.startswith("shopcare_")
    }


def test_every_route_declares_who_may_use_it(app: Flask) -> None:
    undeclared = [
        f"{rule.rule} ({rule.endpoint})"
        for rule in shopcare_rules(app)
        if not rule.endpoint.endswith(".static")
        and access_rule(app.view_functions[rule.endpoint]) is None
    ]
    assert undeclared == [], (
        "declare an access rule (shopcare.core.access: public, owner_of(...), "
        "login_required, staff_required, api_auth, signed) on " + ", ".join(undeclared)
    )


def test_the_sweep(app: Flask, db: Any, world: dict[str, Any]) -> None:
    values = world["values"]
    problems: list[str] = []
    seen: set[str] = set()

    def check(condition: bool, what: str) -> None:
        if not condition:
            problems.append(what)

    for rule in shopcare_rules(app):
        if rule.endpoint.endswith(".static"):
            continue
        declared = access_rule(app.view_functions[rule.endpoint])
        assert declared is not None, rule.rule
        kind, subject = declared
        seen.add(kind)
        target = url(rule, values)
        for method in methods(rule):
            where = f"{method} {target} [{kind}{':' + subject if subject else ''}]"
            before = row_counts(db) if method in WRITES else None
            anonymous, ann, bob, sam = (Visitor(app, name) for name in (None, "ann", "bob", "sam"))
            if kind == STAFF:
                check(ann.open(target, method=method).status_code == 403, f"{where}: shopper")
                status = anonymous.open(target, method=method).status_code
                check(status in (302, 401), f"{where}: visitor got {status}")
            elif kind == OWNER:
                for who, client, query in (
                    ("another shopper", bob, {}),
                    ("a visitor without the link", anonymous, {}),
                    ("a visitor with another order's link", anonymous, {"key": world["bob_key"]}),
                ):
                    status = client.open(url(rule, values, **query), method=method).status_code
                    check(status in (302, 401, 404), f"{where}: {who} got {status}")
                if method == "GET":
                    mine = ann.get(target).status_code
                    check(mine == 200, f"{where}: the owner got {mine}")
                    linked = anonymous.get(url(rule, values, key=world["ann_key"])).status_code
                    check(linked == 200, f"{where}: the owner's signed link got {linked}")
            elif kind == SHOPPER:
                status = anonymous.open(target, method=method).status_code
                check(status in (302, 401), f"{where}: visitor got {status}")
                check(ann.get(target).status_code == 200, f"{where}: the shopper")
            elif kind == API:
                response = anonymous.open(target, method=method, json={})
                check(
                    response.status_code == 401,
                    f"{where}: no credentials got {response.status_code}",
                )
            elif kind == SIGNED:
                response = anonymous.open(target, method=method, json={"event": "delivered"})
                check(
                    response.status_code in (401, 403),
                    f"{where}: unsigned got {response.status_code}",
                )
            else:
                check(kind == PUBLIC, f"{where}: unknown rule {kind}")
                if method == "GET":
                    check(anonymous.get(target).status_code == 200, f"{where}: public page")
            if method in WRITES and kind in (PUBLIC, SHOPPER, OWNER, STAFF):
                # Who may use it, without the form's CSRF token: refused, nothing written.
                allowed = sam if kind == STAFF else ann
                response = allowed.open(target, method=method, data={"key": world["ann_key"]})
                check(
                    response.status_code in (302, 400, 403, 422) or b"expired" in response.data,
                    f"{where}: no CSRF token got {response.status_code}",
                )
            if before is not None:
                db.session.rollback()
                after = row_counts(db)
                changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
                check(not changed, f"{where}: a refused request wrote {changed}")
    assert problems == [], "\n".join(problems)
    assert {PUBLIC, SHOPPER, OWNER, STAFF, API, SIGNED} <= seen
