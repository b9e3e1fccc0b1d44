"""What the route sweep and the form fuzzing share: a world with one object of every kind
(Ann's order and case, Bob's order), a value for every URL part, and a visitor per role."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask, g
from sqlalchemy import func, select
from werkzeug.routing import Rule

from shopcare.cases.models import CasePhoto
from shopcare.core.db import Base
from shopcare.core.outbox import OutboxItem
from shopcare.tracking.views import guest_key
from tests.cases.helpers import delivered_order, image_bytes

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


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
    ticket = care.feedback.submit(
        "complaint", "Broken", "It broke", reference="SO-1", user_id="ann", email="ann@example.com"
    )
    from datetime import UTC, datetime, timedelta

    from shopcare.surveys.services import unsubscribe_token

    delivered_order(
        care, "SO-9", email="cy@example.com", user_id=None,
        delivered=datetime.now(UTC) - timedelta(days=8),
    )  # fmt: skip
    [invitation] = care.surveys.invite_due()
    response = care.surveys.answer(invitation.token, {"nps": 9}, final=False)
    canned = care.feedback.save_canned_reply(
        key="thanks", locale="en", title="Thanks", body="Thank you for writing."
    )
    db.session.commit()
    return {
        "values": {
            "invitation": invitation.token,
            "signature": unsubscribe_token("cy@example.com"),
            "survey": "post_purchase",
            "response_id": response.id,
            "reference": "SO-1",
            "number": case.number,
            "token": db.session.scalars(select(CasePhoto.token)).one(),
            "kind": "return",
            "shipment_id": shipment.id,
            "item_id": db.session.scalars(select(OutboxItem.id)).first(),
            "action": "approve",
            "filename": "shopcare/shopcare.css",
            "ticket": ticket.reference,
            "table": "returns_trend",
            "sku": "MUG-1",
            "reply_id": canned.id,
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
    """A test client whose requests leave nothing on ``g``: the tests run in one app
    context, which every request of every client shares (Flask-Login caches the user
    there, shopcare the refused-form flag)."""

    def __init__(self, app: Flask, name: str | None = None) -> None:
        self.client = app.test_client()
        if name is not None:
            self.open(f"/login/{name}", method="POST")

    def open(self, target: str, **kwargs: Any) -> Any:
        before = set(g)
        g.pop("_login_user", None)
        try:
            return self.client.open(target, **kwargs)
        finally:
            for name in set(g) - before:
                g.pop(name, None)
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
