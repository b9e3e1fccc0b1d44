"""shopcare's own translation domain (``shopcare``), English and Spanish.

Python code marks strings with ``_`` (now) or ``_l`` (lazy, for module-level
strings such as form labels). Templates use ``_sc(...)`` and ``_scn(...)``, which
always read shopcare's catalog whatever domain the host's Babel uses.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import DateTimePattern, format_interval, get_timezone_location, match_skeleton
from babel.numbers import format_currency, get_currency_precision
from flask import current_app, g, has_app_context, has_request_context, request
from flask_babel import Domain, get_locale, get_timezone

TRANSLATIONS = Path(__file__).parent.parent / "translations"

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


#: A catalog's translations looked up so far, per Flask-Babel translations object (one
#: per locale, kept for the process): a page translates the same strings on every
#: request, and each look-up goes through three calls of Babel's and ``gettext``'s.
_LOOKUPS: weakref.WeakKeyDictionary[Any, dict[str, str]] = weakref.WeakKeyDictionary()
#: Strings remembered per catalog at most (what shopcare translates is its own strings;
#: the bound only matters if a host translates text of its own through ``_sc``).
_MAX_LOOKUPS = 4096


def _lookups(translations: Any) -> dict[str, str]:
    try:
        return _LOOKUPS.setdefault(translations, {})
    except TypeError:  # not weakly referenceable: look up every time
        return {}


class Catalog:
    """shopcare's catalog in the current locale, looked up once: what a page that
    translates dozens of strings passes to its template as ``_sc`` / ``_scn``."""

    def __init__(self) -> None:
        self._translations = domain.get_translations()
        self._locale: Any = None  # the locale :meth:`current` made it for
        self._known = _lookups(self._translations)

    @classmethod
    def current(cls) -> Catalog:
        """The request's catalog: made once per request and locale (a page and its
        panels share it; ``force_locale`` gets its own)."""
        locale = get_locale()
        found: Catalog | None = g.get("shopcare_catalog")
        if found is None or found._locale is not locale:
            found = cls()
            found._locale = locale
            g.shopcare_catalog = found
        return found

    def gettext(self, string: str, **variables: Any) -> str:
        text = self._known.get(string)
        if text is None:
            text = self._translations.ugettext(string)
            if len(self._known) < _MAX_LOOKUPS:
                self._known[string] = text
        return text % variables if variables else text

    def ngettext(self, singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        text: str = self._translations.ungettext(singular, plural, num)
        return text % variables


def match_language(tag: Any, languages: Iterable[str]) -> str | None:
    """The language of ``languages`` that ``tag`` asks for, or ``None``.

    A regional variant falls back to its language: ``es-MX``, ``es-419`` and ``es_AR``
    all ask for ``es`` (unless ``es_MX`` … is itself offered); case, ``-`` and ``_``
    do not matter.
    """
    if not isinstance(tag, str) or not tag.strip():
        return None
    wanted = tag.strip().replace("_", "-").lower()
    offered = {language.replace("_", "-").lower(): language for language in languages}
    if wanted in offered:
        return offered[wanted]
    return offered.get(wanted.split("-", 1)[0])


def select_locale() -> str:
    """shopcare's locale selector, used when the host has no Babel of its own.

    A logged-in user's ``locale`` attribute wins, then the browser's
    Accept-Language (best quality first), then ``SHOPCARE_DEFAULT_LOCALE``; a regional
    variant counts as its language (:func:`match_language`).
    """
    from shopcare.core.access import current_user
    from shopcare.core.config import setting

    languages = list(setting("SHOPCARE_LANGUAGES"))
    default = str(setting("SHOPCARE_DEFAULT_LOCALE"))
    if not has_request_context():
        return default
    user = current_user()
    chosen = match_language(getattr(user, "locale", None), languages) if user else None
    if chosen is not None:
        return chosen
    for tag, _quality in request.accept_languages:  # sorted best first
        chosen = match_language(tag, languages)
        if chosen is not None:
            return chosen
    return default


def select_timezone() -> str:
    """shopcare's time-zone selector: the user's ``timezone`` attribute, else the default."""
    zone = _user_zone()
    return str(zone) if zone is not None else str(shop_zone())


# -- the one time-zone rule ---------------------------------------------------------


def _zone(name: Any) -> tzinfo | None:
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def shop_zone() -> tzinfo:
    """The shop's time zone, ``SHOPCARE_DEFAULT_TIMEZONE``: what every boundary computed
    without a shopper (a delivery window) is cut in, and what a guest sees."""
    from shopcare.core.config import setting

    return _zone(setting("SHOPCARE_DEFAULT_TIMEZONE")) or ZoneInfo("UTC")


def _user_zone() -> tzinfo | None:
    from shopcare.core.access import current_user

    user = current_user() if has_request_context() else None
    return _zone(getattr(user, "timezone", None)) if user is not None else None


def page_zone() -> tzinfo:
    """The one time zone a shopcare page (or e-mail) shows every date in: the
    shopper's, else the shop's.

    The shopper's is the logged-in user's ``timezone`` attribute, else what the host's
    own Flask-Babel time-zone selector says when it has one; otherwise the shop's
    (``SHOPCARE_DEFAULT_TIMEZONE``; a Babel without a selector only knows its
    ``BABEL_DEFAULT_TIMEZONE``, which shopcare does not take for the shop's zone).
    """
    zone = _user_zone()
    if zone is not None:
        return zone
    babel = current_app.extensions.get("babel") if has_app_context() else None
    if babel is not None and babel.timezone_selector is not None and has_request_context():
        return get_timezone() or shop_zone()
    return shop_zone()


def same_zone(one: tzinfo, other: tzinfo) -> bool:
    """Whether two zones are the same zone (by name: pytz and zoneinfo objects differ)."""
    return one is other or str(one) == str(other)


# -- dates and money, formatted cheaply -------------------------------------------


class _Patterns(NamedTuple):
    """A locale's CLDR patterns the pages use, parsed once per process."""

    datetime_join: str  # "{1}, {0}": date, then time (CLDR quotes removed)
    time_short: DateTimePattern
    date_medium: DateTimePattern
    day: DateTimePattern  # the MMMEd skeleton: "Thu, Mar 12"
    day_with_year: DateTimePattern  # yMMMEd: "Thu, Mar 12, 2026"
    time_has_zone: bool  # the short time names its zone (then it is not memoised)


def _skeleton(locale: Locale, skeleton: str) -> DateTimePattern:
    known = locale.datetime_skeletons
    pattern: DateTimePattern = known[
        skeleton if skeleton in known else match_skeleton(skeleton, known)
    ]
    return pattern


@lru_cache(maxsize=64)
def _patterns(locale: Locale) -> _Patterns:
    return _Patterns(
        datetime_join=str(locale.datetime_formats["medium"]).replace("'", ""),
        time_short=locale.time_formats["short"],
        date_medium=locale.date_formats["medium"],
        day=_skeleton(locale, "MMMEd"),
        day_with_year=_skeleton(locale, "yMMMEd"),
        time_has_zone=any(c in str(locale.time_formats["short"].pattern) for c in "zZvVOxX"),
    )


class Formats:
    """Dates and money in one locale and time zone.

    The output is what Flask-Babel's ``format_time`` / ``format_date`` / Babel's
    ``format_skeleton`` / ``format_currency`` give, but the locale and the zone are
    resolved once (:func:`formats` keeps one per request) and the patterns once per
    locale and process, so a page with dozens of dates pays for the formatting only.
    """

    def __init__(self, locale: Locale, zone: tzinfo) -> None:
        self.locale = locale
        self.zone = zone
        # The memoised formatters below are keyed by one _Keyed per language and
        # process: Flask-Babel parses a new Locale each request, and a key that is the
        # same object is found without Babel's slow ``Locale.__hash__`` and ``__eq__``.
        self._locale = _canonical_locale(locale)
        self._patterns = _patterns(self._locale.locale)
        self._normalize = getattr(zone, "normalize", None)  # pytz zones
        self._money: dict[tuple[Decimal, str], str] = {}

    def local(self, value: datetime) -> datetime:
        """``value`` (aware) in this zone."""
        moment = value.astimezone(self.zone)
        return self._normalize(moment) if self._normalize is not None else moment

    def when(self, value: datetime) -> str:
        """A moment: ``Mar 12, 2026, 2:05 PM`` (``12 mar 2026, 14:05``)."""
        local = self.local(value)
        patterns = self._patterns
        if patterns.time_has_zone:
            time_text = patterns.time_short.apply(
                local.timetz(), self._locale.locale, reference_date=value.date()
            )
        else:
            time_text = _time_text(local.hour, local.minute, self._locale)
        return patterns.datetime_join.format(time_text, _date_text(local.date(), self._locale))

    def day(self, value: datetime, *, now: datetime | None = None) -> str:
        """A day: ``Thu, Mar 12``; with the year when it is not this year's."""
        local = self.local(value)
        this_year = self.local(now or datetime.now(UTC)).year
        return _day_text(local.date(), local.year != this_year, self._locale)

    def next_year_starts(self, now: datetime) -> datetime:
        """When the year after ``now``'s begins in this zone: until then :meth:`day`
        gives the same text for the same moment."""
        start = datetime(self.local(now).year + 1, 1, 1)
        localize = getattr(self.zone, "localize", None)  # pytz zones
        return localize(start) if localize is not None else start.replace(tzinfo=self.zone)

    def window(self, start: date, end: date) -> str:
        """Two days as a range: ``March 12 - 14`` (``12-14 de marzo``)."""
        return str(format_interval(start, end, "MMMMd", locale=self.locale))

    def zone_name(self, zone: tzinfo) -> str:
        """A zone as a shopper reads it: ``Madrid``, for "Madrid time"."""
        return str(get_timezone_location(zone, locale=self.locale, return_city=True))

    def money_minor(self, minor: int, currency: str) -> str:
        """An amount kept in minor units: ``1250, "EUR"`` → ``€12.50``; a page of order
        lines formats their stored cents without building Decimals from each line."""
        return _minor_money_text(minor, currency, self._locale)

    def money(self, amount: Decimal, currency: str) -> str:
        """An amount: ``€12.50`` (``12,50 €``)."""
        # A page repeats amounts (a line's price and total); Babel's formatting is slow.
        key = (amount, currency)
        text = self._money.get(key)
        if text is None:
            text = self._money[key] = _money_text(amount, currency, self._locale)
        return text


# Babel's formatting is the slowest part of a page full of dates and amounts, and the
# same few days, minutes and prices come back on every page: each is formatted once per
# process and locale (bounded, and the output never depends on anything else).


#: language identifier -> the one :class:`_Keyed` of that language (see ``Formats.__init__``).
_LOCALES: dict[str, _Keyed] = {}


def _canonical_locale(locale: Locale) -> _Keyed:
    if len(_LOCALES) >= 256:  # a host's selector gone wild: stop memoising, stay correct
        return _LOCALES.get(str(locale)) or _Keyed(locale)
    found = _LOCALES.get(str(locale))
    if found is None:
        found = _LOCALES[str(locale)] = _Keyed(locale)
    return found


class _Keyed:
    """A Locale as the memos below take it: by identity, one per language and process
    (:func:`_canonical_locale`). Babel's ``Locale`` hashes a tuple of five attributes in
    Python on every look-up, and a page looks up dozens of dates and amounts."""

    __slots__ = ("locale",)

    def __init__(self, locale: Locale) -> None:
        self.locale = locale


@lru_cache(maxsize=4096)
def _date_text(day: date, keyed: _Keyed) -> str:
    locale = keyed.locale
    return str(_patterns(locale).date_medium.apply(day, locale))


@lru_cache(maxsize=4096)
def _day_text(day: date, with_year: bool, keyed: _Keyed) -> str:
    locale = keyed.locale
    patterns = _patterns(locale)
    return str((patterns.day_with_year if with_year else patterns.day).apply(day, locale))


@lru_cache(maxsize=4096)
def _time_text(hour: int, minute: int, keyed: _Keyed) -> str:
    locale = keyed.locale
    moment = datetime(2000, 1, 1, hour, minute)
    return str(_patterns(locale).time_short.apply(moment.time(), locale))


@lru_cache(maxsize=4096)
def _minor_money_text(minor: int, currency: str, keyed: _Keyed) -> str:
    amount = Decimal(minor).scaleb(-get_currency_precision(currency))
    return _money_text(amount, currency, keyed)


@lru_cache(maxsize=4096)
def _money_text(amount: Decimal, currency: str, keyed: _Keyed) -> str:
    return str(format_currency(amount, currency, locale=keyed.locale))


def formats() -> Formats:
    """The current shopper's :class:`Formats` (Flask-Babel's locale, and the one zone of
    :func:`page_zone`), made once per request (and again under ``force_locale``)."""
    locale = get_locale() or Locale.parse("en")
    zone = page_zone()
    current: Formats | None = g.get("shopcare_formats")
    if current is None or current.locale is not locale or current.zone is not zone:
        current = Formats(locale, zone)
        g.shopcare_formats = current
    return current


def install(app: Any) -> None:
    """Give ``app`` Flask-Babel (unless it has its own) and shopcare's template helpers."""
    if "babel" not in app.extensions:
        from flask_babel import Babel

        from shopcare.core.config import setting

        app.config.setdefault("BABEL_DEFAULT_LOCALE", setting("SHOPCARE_DEFAULT_LOCALE", app))
        Babel(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.globals.update(_sc=_, _scn=ngettext)
    # A moment (``12 mar 2026, 14:05``) and a day (``Thu, 12 Mar``, with the year when
    # it is not this year's), in the shopper's language and time zone.
    app.jinja_env.filters.update(
        sc_when=lambda value: formats().when(value), sc_day=lambda value: formats().day(value)
    )
