"""The core's ``SHOPCARE_*`` settings with their defaults, and the one accessor that
reads every setting (the core's and each domain's)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask, current_app

from shopcare.core.errors import ConfigError

#: Every shopcare setting starts with this.
PREFIX = "SHOPCARE_"

#: Each setting the core reads, with its default; each domain lists its own (e.g.
#: ``shopcare.tracking.settings.SETTINGS``). ``init_app`` applies them with
#: ``setdefault``, so a host's own value always wins. The README's configuration
#: table documents each one.
DEFAULTS: dict[str, Any] = {
    # -- foundation
    "SHOPCARE_URL_PREFIX": "/care",  # where shopcare's pages and API are mounted
    "SHOPCARE_BASE_TEMPLATE": "shopcare/base.html",  # the layout every page extends: a content block, and title, head, scripts if it has them
    "SHOPCARE_STAFF_BASE_TEMPLATE": None,  # the layout staff pages extend; None: SHOPCARE_BASE_TEMPLATE
    "SHOPCARE_IS_STAFF": None,  # callable(user) -> bool; None reads ``user.is_admin``
    "SHOPCARE_SHOP_NAME": "Our shop",  # shown in page titles and e-mails
    "SHOPCARE_LANGUAGES": ("en", "es"),  # languages offered to shoppers
    "SHOPCARE_DEFAULT_LOCALE": "en",  # when neither the user nor the browser picks one
    "SHOPCARE_DEFAULT_TIMEZONE": "UTC",  # the shop's zone (IANA name): delivery windows, and dates for shoppers without a zone of their own
    "SHOPCARE_CURRENCIES": None,  # None accepts every ISO 4217 code Babel knows
    "SHOPCARE_CONTACT": None,  # the shop's contact on order and error pages: {"email", "phone", "hours", "url"}
    "SHOPCARE_LOGIN_URL": None,  # where anonymous shoppers are sent; None tries ``login_manager.login_view``
    "SHOPCARE_NAIVE_DATETIMES": "utc",  # what a naive datetime from the host means: "utc", or "refuse" (ValidationError)
    # -- outbox, worker and e-mail (shopcare.core.outbox)
    "SHOPCARE_EXTERNAL_URL": None,  # e.g. "https://shop.example": links in e-mails; None uses SERVER_NAME
    "SHOPCARE_MAIL_SENDER": None,  # "Shop care <care@shop.example>"; None uses MAIL_DEFAULT_SENDER
    "SHOPCARE_MAIL_TIMEOUT_SECONDS": 30,  # SMTP socket timeout, so a silent server cannot hang a worker
    "SHOPCARE_OUTBOX_MAX_ATTEMPTS": 10,  # then the item is kept as failed until retried
    "SHOPCARE_OUTBOX_BACKOFF_SECONDS": 30,  # first retry delay; doubles each attempt
    "SHOPCARE_OUTBOX_BACKOFF_MAX_SECONDS": 3600,  # the longest delay between two attempts
    "SHOPCARE_OUTBOX_LEASE_SECONDS": 300,  # a claimed item is claimed again after this (crashed worker)
    "SHOPCARE_OUTBOX_BATCH_SIZE": 20,  # items one worker claims at a time
    "SHOPCARE_OUTBOX_KEEP_DONE_DAYS": 90,  # done items are purged after this; None keeps them
    # -- rate limits (shopcare.core.ratelimit): "N/second|minute|hour|day", several joined by ";"
    "SHOPCARE_RATELIMIT_ENABLED": True,  # False turns every shopcare limit off (as does RATELIMIT_ENABLED=False)
    "SHOPCARE_RATELIMIT_STORAGE_URI": "memory://",  # per process; "redis://host:6379" to share
    "SHOPCARE_RATELIMIT_STRATEGY": "fixed-window",  # or "moving-window", "sliding-window-counter"
    "SHOPCARE_RATELIMIT_GUEST_LOOKUP": "10/minute;50/hour",  # order lookups by number + e-mail
    "SHOPCARE_RATELIMIT_PUBLIC_SUBMIT": "5/minute;30/hour",  # public forms (complaints, returns…)
    "SHOPCARE_RATELIMIT_API": "600/minute",  # the JSON API, per API key (or per address)
    # -- page cache (shopcare.core.cache): rendered fragments, per process, keyed by a version stamp
    "SHOPCARE_PAGE_CACHE_SIZE": 1000,  # entries in each process; 0 renders every page in full
    "SHOPCARE_PAGE_CACHE_SECONDS": 300,  # the longest an entry lives (bounds what no stamp sees)
    # -- JSON API (shopcare.core.api)
    "SHOPCARE_API_MAX_CONTENT_LENGTH": 1024 * 1024,  # bytes in one API request body
}


def setting(name: str, app: Flask | None = None) -> Any:
    """Read one shopcare setting (the core's or a domain's) from the app's config.

    :raises ConfigError: if ``name`` is not a shopcare setting (a typo fails loudly).
    """
    if app is None:
        app = current_app._get_current_object()  # type: ignore[attr-defined]  # one look-up, not three
    known: dict[str, Any] = app.extensions["shopcare"].settings
    if name not in known:
        raise ConfigError(f"unknown shopcare setting {name!r}{_did_you_mean(name, known)}")
    return app.config.get(name, known[name])


def check_config(config: Mapping[str, Any], known: Mapping[str, Any]) -> None:
    """Refuse a ``SHOPCARE_*`` key in ``config`` that no part of shopcare declares.

    :raises ConfigError: naming the key and the closest known one (a typo such as
        ``SHOPCARE_URL_PREFX`` would otherwise be silently ignored).
    """
    for name in sorted(config):
        if name.startswith(PREFIX) and name not in known:
            raise ConfigError(
                f"{name} is not a shopcare setting{_did_you_mean(name, known)}; "
                "the README's configuration table lists them all"
            )


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""
