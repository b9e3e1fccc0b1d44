"""The insights domain's ``SHOPCARE_*`` settings and their defaults (README "Insights")."""

from __future__ import annotations

from typing import Any

#: Each setting the insights domain reads, with its default (read with ``setting``).
SETTINGS: dict[str, Any] = {
    # -- the satisfaction dashboard (shopcare.insights; README "Insights")
    "SHOPCARE_INSIGHTS_MIN_N": 30,  # below this many answers a figure is hidden ("too few answers"), never 0
    "SHOPCARE_INSIGHTS_LOST_FACTOR": 2.0,  # lost: no order for this many times the customer's own median gap
    "SHOPCARE_INSIGHTS_LOST_SINGLE_FACTOR": 3.0,  # one order only: this many times the shop's median gap
    "SHOPCARE_INSIGHTS_TOP": 10,  # rows in the "top returned products" and per-product tables
    "SHOPCARE_INSIGHTS_CONNECTIONS": 2,  # PostgreSQL: connections one dashboard computes its independent figures on at once, all reading one snapshot; 1: one after the other
    "SHOPCARE_INSIGHTS_WORK_MEM": "64MB",  # PostgreSQL: work_mem for a dashboard's transactions only (SET LOCAL), so its sorts stay in memory; None keeps the server's
}
