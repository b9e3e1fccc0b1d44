"""Carriers (``SHOPCARE_CARRIERS``) and carrier status words (``SHOPCARE_CARRIER_STATUS_MAP``).

Both settings extend shopcare's built-in defaults: a host adds its own courier, or
overrides one built-in entry, without repeating the rest.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flask import current_app

from shopcare.config import DEFAULTS, setting
from shopcare.errors import ConfigError, ValidationError
from shopcare.tracking.models import STATUSES

GENERIC = "generic"


def carriers() -> dict[str, dict[str, Any]]:
    """Every carrier this shop knows, by lower-case key (do not change the result)."""
    # Merged once per app (and again if the host swaps the setting's dict): pages
    # ask for carrier names and links once per parcel and timeline entry.
    cache_key = "shopcare_tracking_carriers"
    source = setting("SHOPCARE_CARRIERS")
    cached = current_app.extensions.get(cache_key)
    if cached is not None and cached[0] is source:
        known: dict[str, dict[str, Any]] = cached[1]
        return known
    merged = {**DEFAULTS["SHOPCARE_CARRIERS"], **(source or {})}
    known = {str(key).lower(): dict(value) for key, value in merged.items()}
    current_app.extensions[cache_key] = (source, known)
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
    cache_key = "shopcare_tracking_status_words"
    source = setting("SHOPCARE_CARRIER_STATUS_MAP") or {}
    cached = current_app.extensions.get(cache_key)
    if cached is not None and cached[0] is source:
        words: dict[str, str] = cached[1]
        return words
    words = {_word(status): status for status in STATUSES}
    for mapping in (DEFAULTS["SHOPCARE_CARRIER_STATUS_MAP"], source):
        words.update({_word(str(word)): str(status) for word, status in mapping.items()})
    bad = sorted({status for status in words.values() if status not in STATUSES})
    if bad:
        raise ConfigError(f"SHOPCARE_CARRIER_STATUS_MAP maps to unknown statuses {bad}")
    current_app.extensions[cache_key] = (source, words)
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
