"""The shopping cart, kept in the signed session cookie as ``[[sku, quantity], …]``.

A list rather than a dict: Flask's session serializer sorts dict keys, and a cart
should keep the order things were put in it.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from shopcare.demo.extensions import db
from shopcare.demo.models import Product

MAX_QUANTITY = 20
SESSION_KEY = "cart"


@dataclass(frozen=True)
class CartLine:
    product: Product
    quantity: int

    @property
    def total(self) -> Decimal:
        return self.product.price * self.quantity


class Cart:
    """A view over the session's cart. Unknown SKUs (a product withdrawn) are dropped."""

    def __init__(self, session: MutableMapping[str, Any]) -> None:
        self._session = session

    @property
    def _items(self) -> dict[str, int]:
        raw = self._session.get(SESSION_KEY)
        if not isinstance(raw, list):
            return {}
        return {
            str(pair[0]): pair[1]
            for pair in raw
            if isinstance(pair, list)
            and len(pair) == 2
            and isinstance(pair[1], int)
            and pair[1] > 0
        }

    def _save(self, items: dict[str, int]) -> None:
        self._session[SESSION_KEY] = [[sku, quantity] for sku, quantity in items.items()]

    def add(self, sku: str, quantity: int = 1) -> int:
        """Add ``quantity`` of ``sku``; returns the new quantity (capped at MAX_QUANTITY)."""
        items = self._items
        items[sku] = min(items.get(sku, 0) + quantity, MAX_QUANTITY)
        self._save(items)
        return items[sku]

    def set(self, sku: str, quantity: int) -> None:
        """Set the quantity of ``sku``; 0 removes it."""
        items = self._items
        if quantity <= 0:
            items.pop(sku, None)
        else:
            items[sku] = min(quantity, MAX_QUANTITY)
        self._save(items)

    def clear(self) -> None:
        self._session.pop(SESSION_KEY, None)

    @property
    def count(self) -> int:
        """How many items (not lines) are in the cart."""
        return sum(self._items.values())

    def lines(self) -> list[CartLine]:
        """The cart's lines with their products, in the order they were added."""
        items = self._items
        if not items:
            return []
        products = {
            product.sku: product
            for product in db.session.scalars(select(Product).where(Product.sku.in_(items)))
        }
        return [
            CartLine(products[sku], quantity) for sku, quantity in items.items() if sku in products
        ]

    @staticmethod
    def total(lines: list[CartLine]) -> Decimal:
        return sum((line.total for line in lines), Decimal(0))
