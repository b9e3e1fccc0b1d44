"""The security sweep: every shopcare route in ``app.url_map``, by the access rule its view
declares (``shopcare.core.access``):

- a route without a declared rule fails the sweep (a page added later must say who may
  use it);
- staff routes refuse a shopper (403) and send a visitor to log in; what they show staff
  is kept out of every cache;
- routes of one object (an order, a case) refuse another shopper and a guest without
  the object's signed link with the same 404 as for no such object, and serve the owner;
- a shopper's own lists send a visitor to log in;
- every state-changing form refuses a POST without its CSRF token and changes nothing;
- API routes refuse a call without credentials (401), and the signed webhook an unsigned
  body; neither changes anything.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from shopcare.core.access import API, OWNER, PUBLIC, SHOPPER, SIGNED, STAFF, access_rule
from tests.cases.helpers import CONFIG
from tests.fixtures_sweep import WRITES, Visitor, methods, row_counts, shopcare_rules, url


@pytest.fixture
def app_config(tmp_path: Any) -> dict[str, Any]:
    return {
        **CONFIG,
        "SHOPCARE_CASE_PHOTO_DIR": str(tmp_path / "photos"),
        "SHOPCARE_FEEDBACK_BOARD": True,
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
                    response.status_code == 401,
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


def test_what_staff_read_stays_out_of_every_cache(
    app: Flask, db: Any, world: dict[str, Any]
) -> None:
    """Every staff page and export staff open (customers' addresses, orders, notes)
    says ``Cache-Control: private, no-store``."""
    sam = Visitor(app, "sam")
    opened, problems = 0, []
    for rule in shopcare_rules(app):
        declared = access_rule(app.view_functions[rule.endpoint])
        if rule.endpoint.endswith(".static") or declared is None or declared[0] != STAFF:
            continue
        if "GET" not in methods(rule):
            continue
        target = url(rule, world["values"])
        response = sam.get(target)
        if response.status_code != 200:
            continue
        opened += 1
        if response.headers.get("Cache-Control") != "private, no-store":
            problems.append(f"{target}: {response.headers.get('Cache-Control')}")
    assert problems == []
    assert opened >= 20  # the staff index, the queues, the dashboard and its CSVs, …
