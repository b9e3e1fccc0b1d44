"""Tracking's ``SHOPCARE_*`` settings and their defaults (the README's "Order tracking")."""

from __future__ import annotations

from typing import Any

from shopcare.tracking.carriers import CARRIERS, STATUS_WORDS

#: Each setting tracking reads, with its default (read with ``shopcare.core.config.setting``).
SETTINGS: dict[str, Any] = {
    # -- tracking (shopcare.tracking; README "Order tracking")
    # Carriers by key: display name, tracking page ("{tracking_number}" is filled in,
    # URL-quoted) and the transit time in days (low, high) used until the shop has
    # its own delivery history. A host's entries are added to these (same key: replaced).
    "SHOPCARE_CARRIERS": CARRIERS,
    # Carrier words -> one of the nine statuses; matched ignoring case, accents,
    # CamelCase, "_", "-" and repeated spaces. A host's entries are added to these.
    "SHOPCARE_CARRIER_STATUS_MAP": STATUS_WORDS,
    "SHOPCARE_WEBHOOK_SECRET": None,  # str, or a list of str while rotating; None refuses every call
    "SHOPCARE_WEBHOOK_TOLERANCE": 300,  # seconds a signature timestamp may be off (replays)
    "SHOPCARE_GUEST_LINK_MAX_AGE": 7 * 24 * 3600,  # seconds a guest's order link stays valid
    "SHOPCARE_ESTIMATE_WINDOW_DAYS": 90,  # deliveries this recent feed the estimates
    "SHOPCARE_ESTIMATE_MIN_SAMPLE": 10,  # fewer deliveries: the carrier's default days
    "SHOPCARE_ESTIMATE_PERCENTILES": (0.2, 0.8),  # the window's ends, as transit-time quantiles
    "SHOPCARE_TRACKING_CLOCK_SKEW_SECONDS": 900,  # how far a carrier's clock may be off: events later than now, or earlier than the order, by more are refused
    # Status changes that e-mail the shopper (through the outbox, in the order's locale).
    "SHOPCARE_TRACKING_NOTIFY_STATUSES": (
        "out_for_delivery",
        "delivered",
        "exception",
        "available_for_pickup",
    ),
}
