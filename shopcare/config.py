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
    "SHOPCARE_URL_PREFIX": "/care",
    "SHOPCARE_BASE_TEMPLATE": "shopcare/base.html",
    "SHOPCARE_IS_STAFF": None,  # callable(user) -> bool; None reads ``user.is_admin``
    "SHOPCARE_SHOP_NAME": "Our shop",
    "SHOPCARE_LANGUAGES": ("en", "es"),
    "SHOPCARE_DEFAULT_LOCALE": "en",
    "SHOPCARE_DEFAULT_TIMEZONE": "UTC",
    "SHOPCARE_CURRENCIES": None,  # None accepts every ISO 4217 code Babel knows
    "SHOPCARE_LOGIN_URL": None,  # where anonymous shoppers are sent; None tries ``login_manager.login_view``
}


def setting(name: str, app: Flask | None = None) -> Any:
    """Read one shopcare setting from the app's config.

    :raises ConfigError: if ``name`` is not a shopcare setting (a typo fails loudly).
    """
    if name not in DEFAULTS:
        raise ConfigError(f"unknown shopcare setting {name!r}")
    config = (app or current_app).config
    return config[name] if name in config else DEFAULTS[name]
