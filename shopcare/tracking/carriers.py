"""Carriers (``SHOPCARE_CARRIERS``) and carrier status words (``SHOPCARE_CARRIER_STATUS_MAP``).

Both settings extend shopcare's built-in defaults: a host adds its own courier, or
overrides one built-in entry, without repeating the rest.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from shopcare.core.config import setting
from shopcare.core.errors import ConfigError, ValidationError
from shopcare.core.state import get_state
from shopcare.tracking.statuses import STATUSES

GENERIC = "generic"

#: The carriers shopcare knows by key: display name, tracking page
#: (``{tracking_number}`` is filled in, URL-quoted) and the transit time in days
#: ``(low, high)`` used until the shop has its own delivery history.
#: ``SHOPCARE_CARRIERS`` adds to these (the same key replaces one).
CARRIERS: dict[str, dict[str, Any]] = {
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
}

#: Carrier words -> one of the nine statuses; matched ignoring case, accents, "_",
#: "-" and repeated spaces. ``SHOPCARE_CARRIER_STATUS_MAP`` adds to these.
STATUS_WORDS: dict[str, str] = {
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
}


def carriers() -> dict[str, dict[str, Any]]:
    """Every carrier this shop knows, by lower-case key (do not change the result)."""
    # Merged once per app (and again if the host swaps the setting's dict): pages
    # ask for carrier names and links once per parcel and timeline entry.
    memo = get_state().memo
    cache_key = "tracking.carriers"
    source = setting("SHOPCARE_CARRIERS")
    cached = memo.get(cache_key)
    if cached is not None and cached[0] is source:
        known: dict[str, dict[str, Any]] = cached[1]
        return known
    merged = {**CARRIERS, **(source or {})}
    known = {str(key).lower(): dict(value) for key, value in merged.items()}
    memo[cache_key] = (source, known)
    return known


def carrier_info(key: str) -> dict[str, Any]:
    """One carrier's settings; an unknown key reads as the generic courier."""
    known = carriers()
    return known.get(key.lower()) or known.get(GENERIC) or {"name": key}


def normalize_carrier(value: Any, field: str = "carrier") -> str:
    """The carrier key ``value`` names (case-insensitive).

    :raises ValidationError: for a carrier missing from ``SHOPCARE_CARRIERS``.
    """
    key = value.strip().lower() if isinstance(value, str) else ""
    if not key:
        raise ValidationError(field, "a carrier is required")
    if key not in carriers():
        raise ValidationError(field, f"unknown carrier {value!r}; add it to SHOPCARE_CARRIERS")
    return key


def normalize_country(value: Any) -> str | None:
    """A destination country as an upper-case ISO 3166 code, or ``None`` when not given.

    :raises ValidationError: naming ``destination_country`` for anything else.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value.strip()) != 2 or not value.strip().isalpha():
        raise ValidationError("destination_country", "an ISO 3166 two-letter code, like 'ES'")
    return value.strip().upper()


def default_transit_days(key: str) -> tuple[int, int]:
    """The carrier's configured transit time in days, ``(low, high)``."""
    low, high = carrier_info(key).get("default_transit_days") or (2, 7)
    return int(low), max(int(low), int(high))


#: Where a CamelCase word splits: ``InTransit`` → ``In Transit``, ``DHLExpress`` →
#: ``DHL Express``.
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def _word(value: str) -> str:
    """How carrier words are compared: accents, case, CamelCase, ``_``, ``-`` and
    repeated spaces set aside, so ``"  En_Tránsito "`` → ``"en transito"`` and
    ``"OutForDelivery"``, ``"out_for_delivery"``, ``"out-for-delivery"`` and
    ``"Out for delivery"`` are all ``"out for delivery"``."""
    decomposed = unicodedata.normalize("NFKD", value)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[\s_\-]+", " ", _CAMEL.sub(" ", plain)).strip().lower()


def _status_words() -> dict[str, str]:
    # Built once per app (and again if the host swaps the setting's dict).
    memo = get_state().memo
    cache_key = "tracking.status_words"
    source = setting("SHOPCARE_CARRIER_STATUS_MAP") or {}
    cached = memo.get(cache_key)
    if cached is not None and cached[0] is source:
        words: dict[str, str] = cached[1]
        return words
    words = {_word(status): status for status in STATUSES}
    for mapping in (STATUS_WORDS, source):
        words.update({_word(str(word)): str(status) for word, status in mapping.items()})
    bad = sorted({status for status in words.values() if status not in STATUSES})
    if bad:
        raise ConfigError(f"SHOPCARE_CARRIER_STATUS_MAP maps to unknown statuses {bad}")
    memo[cache_key] = (source, words)
    return words


def normalize_status(value: Any, field: str = "status") -> str:
    """One of the nine statuses for a status or a carrier's word for it.

    :raises ValidationError: naming ``field`` for a word nobody mapped.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, "a status is required")
    status = _status_words().get(_word(value))
    if status is None:
        raise ValidationError(
            field,
            f"unknown status {value!r}; use one of {', '.join(STATUSES)} "
            "or map it in SHOPCARE_CARRIER_STATUS_MAP",
        )
    return status
