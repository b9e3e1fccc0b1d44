"""The orders' JSON: the ``Order`` shapes and ``POST /care/api/v1/orders``.

Money is a decimal string in the order's currency (``"12.50"``), never a float;
datetimes are ISO 8601 in UTC with their offset. A feature that shows more of an
order builds on :func:`order_json` and :data:`ORDER_SCHEMA` in its own endpoint (as
tracking's ``GET /care/api/v1/orders/<reference>`` does).
"""

from __future__ import annotations

from typing import Any

from flask import jsonify

from shopcare.core.api.auth import api_auth
from shopcare.core.api.openapi import Schema, Schemas, operation
from shopcare.core.api.parsing import json_body, parse_datetime
from shopcare.core.api.schemas import DATETIME, MONEY, iso
from shopcare.core.db import session
from shopcare.core.state import Routes, get_state
from shopcare.orders.models import Order, OrderLine

#: The orders' endpoints and component schemas (``state.add_api`` in the wiring).
routes = Routes()
schemas = Schemas()

ORDER_LINE = schemas.add(
    "OrderLine",
    {
        "type": "object",
        "required": [
            "sku",
            "name",
            "category",
            "quantity",
            "unit_price",
            "total",
            "discount",
            "paid",
        ],
        "properties": {
            "sku": {"type": "string"},
            "name": {"type": "string"},
            "category": {"type": ["string", "null"]},
            "quantity": {"type": "integer", "minimum": 1},
            "unit_price": MONEY,
            "total": {**MONEY, "description": "unit_price times quantity, before discounts"},
            "discount": {**MONEY, "description": "the line's own discount"},
            "paid": {
                **MONEY,
                "description": "what the line actually cost: total less its discount and its "
                "share of the order's discount, plus its share of tax added on top",
            },
        },
    },
)

#: The Order schema; extend ``ORDER_SCHEMA["properties"]`` when extending the JSON.
ORDER_SCHEMA: Schema = {
    "type": "object",
    "required": [
        "reference",
        "email",
        "user_id",
        "currency",
        "locale",
        "placed_at",
        "delivered_at",
        "created_at",
        "updated_at",
        "subtotal",
        "discount",
        "shipping",
        "tax",
        "tax_included",
        "total",
        "paid",
        "lines",
    ],
    "properties": {
        "reference": {"type": "string"},
        "email": {"type": "string"},
        "user_id": {"type": ["string", "null"]},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "locale": {"type": ["string", "null"]},
        "placed_at": DATETIME,
        "delivered_at": {"type": ["string", "null"], "format": "date-time"},
        "created_at": DATETIME,
        "updated_at": DATETIME,
        "subtotal": {**MONEY, "description": "the lines at their prices, before discounts"},
        "discount": {**MONEY, "description": "the order-level discount"},
        "shipping": MONEY,
        "tax": MONEY,
        "tax_included": {"type": "boolean", "description": "the prices already include tax"},
        "total": {
            **MONEY,
            "description": "lines less their discounts, less the order's discount, plus "
            "shipping, plus tax unless the prices include it",
        },
        "paid": {
            "type": ["string", "null"],
            "pattern": MONEY["pattern"],
            "description": "what the shopper actually paid, when the shop said",
        },
        "lines": {"type": "array", "items": ORDER_LINE},
    },
}
ORDER = schemas.add("Order", ORDER_SCHEMA)

#: A price as a decimal string or a JSON number, at most the currency's decimals.
PRICE_INPUT: Schema = {
    "oneOf": [
        {"type": "string", "pattern": r"^\s*[0-9]{1,12}(\.[0-9]{1,4})?\s*$"},
        {"type": "number", "minimum": 0, "maximum": 999999999999},
    ],
    "description": 'A decimal string ("12.50") or a JSON number (12.5), read exactly as '
    "written; more decimals than the currency has is refused, never rounded.",
}

ORDER_INPUT = schemas.add(
    "OrderInput",
    {
        "type": "object",
        "examples": [
            {
                "reference": "SO-1042",
                "email": "ann@example.com",
                "placed_at": "2024-05-01T10:00:00+02:00",
                "currency": "EUR",
                "user_id": "42",
                "lines": [
                    {
                        "sku": "MUG-1",
                        "name": "Blue mug",
                        "quantity": 2,
                        "unit_price": "12.50",
                        "discount": "2.50",
                    },
                    {"sku": "TEA-9", "name": "Green tea", "quantity": 1, "unit_price": 4.9},
                ],
                "shipping": "3.95",
                "discount": "1.00",
                "tax": "4.12",
                "tax_included": True,
                "paid": "30.25",
            }
        ],
        "additionalProperties": False,
        "required": ["reference", "email", "placed_at", "lines"],
        "properties": {
            "reference": {"type": "string", "maxLength": 64, "pattern": r"\S"},
            "email": {
                "type": "string",
                "maxLength": 254,
                "pattern": r"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$",
                "description": "normalised to lower case; must be a deliverable-looking address",
            },
            "placed_at": {
                "type": "string",
                "format": "date-time",
                "description": "ISO 8601 with its UTC offset (Z or ±hh:mm)",
            },
            "delivered_at": {"type": ["string", "null"], "format": "date-time"},
            "currency": {
                "type": "string",
                "pattern": "^[A-Za-z]{3}$",
                "default": "EUR",
                "description": "ISO 4217 code",
            },
            "user_id": {
                "type": ["string", "integer", "null"],
                "maxLength": 64,
                "pattern": r"\S",
                "minimum": -(10**18),
                "maximum": 10**18,
            },
            "locale": {"type": ["string", "null"], "maxLength": 16},
            "shipping": {**PRICE_INPUT, "description": "what the shopper paid for delivery"},
            "discount": {
                **PRICE_INPUT,
                "description": "a discount on the whole order, at most the lines' net price; "
                "shared out over the lines",
            },
            "tax": {
                **PRICE_INPUT,
                "description": "the order's tax: added on top, or already in the prices when "
                "tax_included",
            },
            "tax_included": {"type": "boolean", "default": False},
            "paid": {**PRICE_INPUT, "description": "what the shopper actually paid"},
            "lines": {
                "type": "array",
                "minItems": 1,
                "maxItems": 500,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["sku", "name", "quantity", "unit_price"],
                    "properties": {
                        "sku": {"type": "string", "maxLength": 64, "pattern": r"\S"},
                        "name": {"type": "string", "maxLength": 255, "pattern": r"\S"},
                        "category": {"type": ["string", "null"], "maxLength": 100},
                        "quantity": {"type": "integer", "minimum": 1, "maximum": 1000000},
                        "unit_price": PRICE_INPUT,
                        "discount": {
                            **PRICE_INPUT,
                            "description": "the line's own discount, for all its units; "
                            "at most its price times quantity",
                        },
                    },
                },
            },
        },
    },
)


def order_line_json(line: OrderLine) -> dict[str, Any]:
    return {
        "sku": line.sku,
        "name": line.name,
        "category": line.category,
        "quantity": line.quantity,
        "unit_price": str(line.unit_price),
        "total": str(line.total),
        "discount": str(line.discount),
        "paid": str(line.paid),
    }


def order_json(order: Order) -> dict[str, Any]:
    """An order as the API shows it (the ``Order`` schema)."""
    return {
        "reference": order.reference,
        "email": order.email,
        "user_id": order.user_id,
        "currency": order.currency,
        "locale": order.locale,
        "placed_at": iso(order.placed_at),
        "delivered_at": iso(order.delivered_at),
        "created_at": iso(order.created_at),
        "updated_at": iso(order.updated_at),
        "subtotal": str(order.subtotal),
        "discount": str(order.discount),
        "shipping": str(order.shipping),
        "tax": str(order.tax),
        "tax_included": order.tax_included,
        "total": str(order.total),
        "paid": None if order.paid is None else str(order.paid),
        "lines": [order_line_json(line) for line in order.lines],
    }


@routes.post("/orders")
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
    order, created = get_state().care.orders.upsert(
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
    return jsonify(order_json(order)), 201 if created else 200
