"""The API's own endpoints: the OpenAPI document and recording orders.

Other features add theirs on the same ``api`` blueprint (see the README, "Adding an endpoint").
"""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify
from werkzeug.wrappers import Response

from shopcare import signals
from shopcare.api.auth import api_auth
from shopcare.api.blueprint import api
from shopcare.api.openapi import document, operation
from shopcare.api.parsing import json_body, parse_datetime
from shopcare.api.schemas import ORDER, ORDER_INPUT, order_json
from shopcare.db import session


@api.get("/openapi.json")
@operation(
    "This API's OpenAPI 3.1 document",
    responses={200: ("The document", {"type": "object", "required": ["openapi", "paths"]})},
    tags=("meta",),
    security=(),
)
def openapi() -> Response:
    return jsonify(document())


@api.post("/orders")
@operation(
    "Record an order, or update it by its reference",
    description="Idempotent by `reference`: sending the same order again updates it "
    "(lines are matched by SKU). Needs the scope `orders:write`.",
    request_body=ORDER_INPUT,
    responses={
        201: ("The order was recorded", ORDER),
        200: ("The order existed and was updated", ORDER),
    },
    tags=("orders",),
)
@api_auth(scopes=("orders:write",))
def record_order() -> tuple[Any, int]:
    data = json_body()
    care = current_app.extensions["shopcare"].care
    outcome: dict[str, bool] = {}

    def note(sender: Any, *, created: bool, **kwargs: Any) -> None:
        outcome["created"] = created

    with signals.order_recorded.connected_to(note, current_app._get_current_object()):  # type: ignore[attr-defined]
        order = care.orders.record(
            data["reference"],
            data["email"],
            parse_datetime(data["placed_at"], "placed_at"),
            data["lines"],
            user_id=data.get("user_id"),
            currency=data.get("currency") or "EUR",
            delivered_at=parse_datetime(data.get("delivered_at"), "delivered_at", required=False),
            locale=data.get("locale"),
            shipping=data.get("shipping"),
            discount=data.get("discount"),
            tax=data.get("tax"),
            tax_included=bool(data.get("tax_included", False)),
            paid=data.get("paid"),
        )
    session().commit()
    return jsonify(order_json(order)), 201 if outcome.get("created") else 200
