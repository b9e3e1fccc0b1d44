"""Every ``SHOPCARE_*`` setting, its default, and the one accessor that reads them."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app

from shopcare.errors import ConfigError

#: Each setting shopcare reads, with its default. ``init_app`` applies these with
#: ``setdefault``, so a host's own value always wins. The README's configuration
#: table documents each one.
DEFAULTS: dict[str, Any] = {
    # -- foundation
    "SHOPCARE_URL_PREFIX": "/care",  # where shopcare's pages and API are mounted
    "SHOPCARE_BASE_TEMPLATE": "shopcare/base.html",  # the layout every page extends: a content block, and title, head, scripts if it has them
    "SHOPCARE_IS_STAFF": None,  # callable(user) -> bool; None reads ``user.is_admin``
    "SHOPCARE_SHOP_NAME": "Our shop",  # shown in page titles and e-mails
    "SHOPCARE_LANGUAGES": ("en", "es"),  # languages offered to shoppers
    "SHOPCARE_DEFAULT_LOCALE": "en",  # when neither the user nor the browser picks one
    "SHOPCARE_DEFAULT_TIMEZONE": "UTC",  # the shop's zone: dates shown, delivery windows; a user's ``timezone`` wins
    "SHOPCARE_CURRENCIES": None,  # None accepts every ISO 4217 code Babel knows
    "SHOPCARE_LOGIN_URL": None,  # where anonymous shoppers are sent; None tries ``login_manager.login_view``
    "SHOPCARE_NAIVE_DATETIMES": "utc",  # what a naive datetime from the host means: "utc", or "refuse" (ValidationError)
    # -- outbox, worker and e-mail (shopcare.outbox)
    "SHOPCARE_EXTERNAL_URL": None,  # e.g. "https://shop.example": links in e-mails; None uses SERVER_NAME
    "SHOPCARE_MAIL_SENDER": None,  # "Shop care <care@shop.example>"; None uses MAIL_DEFAULT_SENDER
    "SHOPCARE_MAIL_TIMEOUT_SECONDS": 30,  # SMTP socket timeout, so a silent server cannot hang a worker
    "SHOPCARE_OUTBOX_MAX_ATTEMPTS": 10,  # then the item is kept as failed until retried
    "SHOPCARE_OUTBOX_BACKOFF_SECONDS": 30,  # first retry delay; doubles each attempt
    "SHOPCARE_OUTBOX_BACKOFF_MAX_SECONDS": 3600,  # the longest delay between two attempts
    "SHOPCARE_OUTBOX_LEASE_SECONDS": 300,  # a claimed item is claimed again after this (crashed worker)
    "SHOPCARE_OUTBOX_BATCH_SIZE": 20,  # items one worker claims at a time
    "SHOPCARE_OUTBOX_KEEP_DONE_DAYS": 90,  # done items are purged after this; None keeps them
    # -- rate limits (shopcare.ratelimit): "N/second|minute|hour|day", several joined by ";"
    "SHOPCARE_RATELIMIT_ENABLED": True,  # False turns every shopcare limit off (as does RATELIMIT_ENABLED=False)
    "SHOPCARE_RATELIMIT_STORAGE_URI": "memory://",  # per process; "redis://host:6379" to share
    "SHOPCARE_RATELIMIT_STRATEGY": "fixed-window",  # or "moving-window", "sliding-window-counter"
    "SHOPCARE_RATELIMIT_GUEST_LOOKUP": "10/minute;50/hour",  # order lookups by number + e-mail
    "SHOPCARE_RATELIMIT_PUBLIC_SUBMIT": "5/minute;30/hour",  # public forms (complaints, returns…)
    "SHOPCARE_RATELIMIT_API": "600/minute",  # the JSON API, per API key (or per address)
    # -- page cache (shopcare.cache): rendered fragments, per process, keyed by a version stamp
    "SHOPCARE_PAGE_CACHE_SIZE": 1000,  # entries in each process; 0 renders every page in full
    "SHOPCARE_PAGE_CACHE_SECONDS": 300,  # the longest an entry lives (bounds what no stamp sees)
    # -- JSON API (shopcare.api)
    "SHOPCARE_API_MAX_CONTENT_LENGTH": 1024 * 1024,  # bytes in one API request body
    # -- tracking (shopcare.tracking; README "Order tracking")
    # Carriers by key: display name, tracking page ("{tracking_number}" is filled in,
    # URL-quoted) and the transit time in days (low, high) used until the shop has
    # its own delivery history. A host's entries are added to these (same key: replaced).
    "SHOPCARE_CARRIERS": {
        "dhl": {
            "name": "DHL",
            "tracking_url": "https://www.dhl.com/global-en/home/tracking/tracking-parcel.html?submit=1&tracking-id={tracking_number}",
            "default_transit_days": (2, 5),
        },
        "ups": {
            "name": "UPS",
            "tracking_url": "https://www.ups.com/track?tracknum={tracking_number}",
            "default_transit_days": (1, 5),
        },
        "fedex": {
            "name": "FedEx",
            "tracking_url": "https://www.fedex.com/fedextrack/?trknbr={tracking_number}",
            "default_transit_days": (1, 5),
        },
        "usps": {
            "name": "USPS",
            "tracking_url": "https://tools.usps.com/go/TrackConfirmAction?tLabels={tracking_number}",
            "default_transit_days": (2, 8),
        },
        "dpd": {
            "name": "DPD",
            "tracking_url": "https://tracking.dpd.de/status/en_US/parcel/{tracking_number}",
            "default_transit_days": (1, 4),
        },
        "gls": {
            "name": "GLS",
            "tracking_url": "https://gls-group.com/track/{tracking_number}",
            "default_transit_days": (1, 4),
        },
        "correos": {
            "name": "Correos",
            "tracking_url": "https://www.correos.es/es/es/herramientas/localizador/envios/detalle?tracking-number={tracking_number}",
            "default_transit_days": (2, 5),
        },
        "seur": {
            "name": "SEUR",
            "tracking_url": "https://www.seur.com/livetracking/?segOnlineIdentificador={tracking_number}",
            "default_transit_days": (1, 3),
        },
        "royal_mail": {
            "name": "Royal Mail",
            "tracking_url": "https://www.royalmail.com/track-your-item#/tracking-results/{tracking_number}",
            "default_transit_days": (1, 4),
        },
        "generic": {"name": "Courier", "tracking_url": None, "default_transit_days": (2, 7)},
    },
    # Carrier words -> one of the nine statuses; matched ignoring case, accents,
    # "_", "-" and repeated spaces. A host's entries are added to these.
    "SHOPCARE_CARRIER_STATUS_MAP": {
        "label created": "info_received",
        "shipment information received": "info_received",
        "pre transit": "info_received",
        "datos recibidos": "info_received",
        "elektronisch angekundigt": "info_received",
        "picked up": "in_transit",
        "shipped": "in_transit",
        "transit": "in_transit",
        "en transito": "in_transit",
        "en camino": "in_transit",
        "admitido": "in_transit",
        "unterwegs": "in_transit",
        "in transito": "in_transit",
        "departed facility": "in_transit",
        "arrived at facility": "in_transit",
        "en reparto": "out_for_delivery",
        "in zustellung": "out_for_delivery",
        "en cours de livraison": "out_for_delivery",
        "with delivery courier": "out_for_delivery",
        "in consegna": "out_for_delivery",
        "delivery attempted": "failed_attempt",
        "attempt fail": "failed_attempt",
        "intento de entrega fallido": "failed_attempt",
        "ausente": "failed_attempt",
        "zustellversuch": "failed_attempt",
        "nicht angetroffen": "failed_attempt",
        "ready for pickup": "available_for_pickup",
        "disponible para recoger": "available_for_pickup",
        "en punto de recogida": "available_for_pickup",
        "en oficina": "available_for_pickup",
        "abholbereit": "available_for_pickup",
        "entregado": "delivered",
        "entregada": "delivered",
        "zugestellt": "delivered",
        "livre": "delivered",
        "consegnato": "delivered",
        "geleverd": "delivered",
        "signed for": "delivered",
        "incidencia": "exception",
        "delivery exception": "exception",
        "returned to sender": "exception",
        "devuelto": "exception",
        "held at customs": "exception",
        "retenido en aduanas": "exception",
        "damaged": "exception",
        "lost": "exception",
        "caducado": "expired",
        "tracking expired": "expired",
    },
    "SHOPCARE_WEBHOOK_SECRET": None,  # str, or a list of str while rotating; None refuses every call
    "SHOPCARE_WEBHOOK_TOLERANCE": 300,  # seconds a signature timestamp may be off (replays)
    "SHOPCARE_GUEST_LINK_MAX_AGE": 7 * 24 * 3600,  # seconds a guest's order link stays valid
    "SHOPCARE_ESTIMATE_WINDOW_DAYS": 90,  # deliveries this recent feed the estimates
    "SHOPCARE_ESTIMATE_MIN_SAMPLE": 10,  # fewer deliveries: the carrier's default days
    "SHOPCARE_ESTIMATE_PERCENTILES": (0.2, 0.8),  # the window's ends, as transit-time quantiles
    # Status changes that e-mail the shopper (through the outbox, in the order's locale).
    "SHOPCARE_TRACKING_NOTIFY_STATUSES": (
        "out_for_delivery",
        "delivered",
        "exception",
        "available_for_pickup",
    ),
}


def setting(name: str, app: Flask | None = None) -> Any:
    """Read one shopcare setting from the app's config.

    :raises ConfigError: if ``name`` is not a shopcare setting (a typo fails loudly).
    """
    if name not in DEFAULTS:
        raise ConfigError(f"unknown shopcare setting {name!r}")
    config = (app or current_app).config
    return config[name] if name in config else DEFAULTS[name]
