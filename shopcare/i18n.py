"""shopcare's own translation domain (``shopcare``), English and Spanish.

Python code marks strings with ``_`` (now) or ``_l`` (lazy, for module-level
strings such as form labels). Templates use ``_sc(...)`` and ``_scn(...)``, which
always read shopcare's catalog whatever domain the host's Babel uses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import has_request_context, request
from flask_babel import Domain

TRANSLATIONS = Path(__file__).parent / "translations"

domain = Domain(translation_directories=str(TRANSLATIONS), domain="shopcare")


def _(string: str, **variables: Any) -> str:
    """Translate ``string`` with shopcare's catalog."""
    return domain.gettext(string, **variables)


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """Translate a string that has a plural form."""
    return domain.ngettext(singular, plural, num, **variables)


def _l(string: str, **variables: Any) -> Any:
    """Translate ``string`` lazily, when it is rendered."""
    return domain.lazy_gettext(string, **variables)


def select_locale() -> str:
    """shopcare's locale selector, used when the host has no Babel of its own.

    A logged-in user's ``locale`` attribute wins, then the browser's
    Accept-Language, then ``SHOPCARE_DEFAULT_LOCALE``.
    """
    from shopcare.auth import current_user
    from shopcare.config import setting

    languages = list(setting("SHOPCARE_LANGUAGES"))
    default = setting("SHOPCARE_DEFAULT_LOCALE")
    if not has_request_context():
        return str(default)
    user = current_user()
    preferred = getattr(user, "locale", None) if user is not None else None
    if preferred in languages:
        return str(preferred)
    return request.accept_languages.best_match(languages) or str(default)


def select_timezone() -> str:
    """shopcare's time-zone selector: the user's ``timezone`` attribute, else the default."""
    from shopcare.auth import current_user
    from shopcare.config import setting

    user = current_user() if has_request_context() else None
    return str(getattr(user, "timezone", None) or setting("SHOPCARE_DEFAULT_TIMEZONE"))


def install(app: Any) -> None:
    """Give ``app`` Flask-Babel (unless it has its own) and shopcare's template helpers."""
    if "babel" not in app.extensions:
        from flask_babel import Babel

        app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["SHOPCARE_DEFAULT_LOCALE"])
        Babel(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.globals.update(_sc=_, _scn=ngettext)
