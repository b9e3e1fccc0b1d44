"""The orders' JSON: the ``Order`` shapes and ``POST /care/api/v1/orders``.

Money is a decimal string in the order's currency (``"12.50"``), never a float;
datetimes are ISO 8601 in UTC with their offset. A feature that shows more of an
order builds on :func:`order_json` and the :class:`Order` shape in its own endpoint (as
tracking's ``GET /care/api/v1/orders/<reference>`` does, with ``OrderTracking(Order)``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from flask import jsonify
from pydantic import ConfigDict, Field, WithJsonSchema

from shopcare.core.api.auth import api_auth
from shopcare.core.api.openapi import Schema, operation
from shopcare.core.api.parsing import json_body, parse_datetime
from shopcare.core.api.schemas import DateTime, DateTimeInput, Money
from shopcare.core.api.shapes import InputShape, Shape
from shopcare.core.db import retrying, session
from shopcare.core.state import Routes, get_state
from shopcare.orders.models import Order as OrderRow

#: The orders' endpoints (``state.add_api`` in the wiring); their shapes are below.
routes = Routes()


class OrderLine(Shape):
    sku: str
    name: str
    category: str | None
    quantity: int = Field(ge=1)
    unit_price: Money
    total: Money = Field(description="unit_price times quantity, before discounts")
    discount: Money = Field(description="the line's own discount")
    paid: Money = Field(
        description="what the line actually cost: total less its discount and its "
        "share of the order's discount, plus its share of tax added on top"
    )


class Order(Shape):
    """An order as the API shows it."""

    reference: str
    email: str
    user_id: str | None
    currency: str = Field(pattern="^[A-Z]{3}$")
    locale: str | None
    placed_at: DateTime
    delivered_at: DateTime | None
    created_at: DateTime
    updated_at: DateTime
    subtotal: Money = Field(description="the lines at their prices, before discounts")
    discount: Money = Field(description="the order-level discount")
    shipping: Money
    tax: Money
    tax_included: bool = Field(description="the prices already include tax")
    total: Money = Field(
        description="lines less their discounts, less the order's discount, plus "
        "shipping, plus tax unless the prices include it"
    )
    paid: Money | None = Field(description="what the shopper actually paid, when the shop said")
    lines: list[OrderLine]


#: A price as a decimal string or a JSON number, at most the currency's decimals.
PRICE_INPUT: Schema = {
    "oneOf": [
        {"type": "string", "pattern": r"^\s*[0-9]{1,12}(\.[0-9]{1,4})?\s*$"},
        {"type": "number", "minimum": 0, "maximum": 999999999999},
    ],
    "description": 'A decimal string ("12.50") or a JSON number (12.5), read exactly as '
    "written; more decimals than the currency has is refused, never rounded.",
}
PriceInput = Annotated[str | int | Decimal, WithJsonSchema(PRICE_INPUT)]
#: The same, for a field that may be left out (``null`` is still refused).
OptionalPriceInput = Annotated[str | int | Decimal | None, WithJsonSchema(PRICE_INPUT)]
Text = Annotated[str, Field(max_length=64, pattern=r"\S")]


class OrderLineInput(InputShape):
    sku: Text
    name: Annotated[str, Field(max_length=255, pattern=r"\S")]
    category: Annotated[str, Field(max_length=100)] | None = None
    quantity: int = Field(ge=1, le=1_000_000)
    unit_price: PriceInput
    discount: OptionalPriceInput = Field(
        None,
        description="the line's own discount, for all its units; at most its price times quantity",
    )


class OrderInput(InputShape):
    """An order to record: the same rules as `care.orders.record`."""

    model_config = ConfigDict(
        json_schema_extra={
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
            ]
        }
    )

    reference: Text
    email: str = Field(
        max_length=254,
        pattern=r"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$",
        description="normalised to lower case; must be a deliverable-looking address",
    )
    placed_at: DateTimeInput
    delivered_at: DateTimeInput | None = None
    currency: str = Field("EUR", pattern="^[A-Za-z]{3}$", description="ISO 4217 code")
    user_id: Text | Annotated[int, Field(ge=-(10**18), le=10**18)] | None = None
    locale: Annotated[str, Field(max_length=16)] | None = None
    shipping: OptionalPriceInput = Field(None, description="what the shopper paid for delivery")
    discount: OptionalPriceInput = Field(
        None,
        description="a discount on the whole order, at most the lines' net price; "
        "shared out over the lines",
    )
    tax: OptionalPriceInput = Field(
        None,
        description="the order's tax: added on top, or already in the prices when tax_included",
    )
    tax_included: bool = False
    paid: OptionalPriceInput = Field(None, description="what the shopper actually paid")
    lines: list[OrderLineInput] = Field(min_length=1, max_length=500)


def order_json(order: OrderRow) -> dict[str, Any]:
    """An order as the API shows it (the :class:`Order` shape)."""
    return Order.model_validate(order).model_dump(mode="json")


@routes.post("/orders")
@operation(
    "Record an order, or update it by its reference",
    description="Idempotent by `reference`: sending the same order again updates it "
    "(lines are matched by SKU). Needs the scope `orders:write`.",
    request_body=OrderInput,
    responses={
        201: ("The order was recorded", Order),
        200: ("The order existed and was updated", Order),
    },
    tags=("orders",),
)
@api_auth(scopes=("orders:write",))
def record_order() -> tuple[Any, int]:
    data = json_body(OrderInput)
    placed_at = parse_datetime(data.placed_at, "placed_at")
    delivered_at = parse_datetime(data.delivered_at, "delivered_at", required=False)
    lines = [line.model_dump(exclude_unset=True) for line in data.lines]

    def record() -> tuple[dict[str, Any], bool]:
        # One whole transaction, run again on a serialisation failure or deadlock.
        order, created = get_state().care.orders.upsert(
            data.reference,
            data.email,
            placed_at,
            lines,
            user_id=data.user_id,
            currency=data.currency or "EUR",
            delivered_at=delivered_at,
            locale=data.locale,
            shipping=data.shipping,
            discount=data.discount,
            tax=data.tax,
            tax_included=data.tax_included,
            paid=data.paid,
        )
        answer = order_json(order)  # before the commit expires what was just written
        session().commit()
        return answer, created

    answer, created = retrying(record)
    return jsonify(answer), 201 if created else 200
