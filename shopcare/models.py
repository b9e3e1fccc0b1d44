"""Imports every domain's models so that ``shopcare.db.metadata`` knows all tables.

Migrations, ``create_all`` and the autogenerate comparison read the metadata after
importing this module.
"""

from __future__ import annotations

from shopcare.orders.models import Order, OrderLine

__all__ = ["Order", "OrderLine"]
