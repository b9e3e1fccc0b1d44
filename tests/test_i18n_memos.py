"""The memos behind shopcare's formatting and translations give what Babel gives, per
language, and stay bounded."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency
from flask_babel import force_locale

from shopcare.core import i18n
from shopcare.core.i18n import Catalog, Formats

MOMENT = datetime(2026, 3, 12, 13, 5, tzinfo=UTC)


def test_each_language_formats_its_own_way_through_the_memos() -> None:
    for tag in ("en", "es", "en", "es_MX", "es"):
        locale = Locale.parse(tag)
        fmt = Formats(Locale.parse(tag), ZoneInfo("Europe/Madrid"))  # a new object each time
        day = MOMENT.astimezone(ZoneInfo("Europe/Madrid")).date()
        assert str(format_date(day, "medium", locale=locale)) in fmt.when(MOMENT)
        assert fmt.money(Decimal("12.50"), "EUR") == format_currency(
            Decimal("12.50"), "EUR", locale=locale
        )
        assert fmt.money_minor(1250, "EUR") == format_currency(
            Decimal("12.50"), "EUR", locale=locale
        )
    assert Formats(Locale.parse("es"), UTC).when(MOMENT) != Formats(Locale.parse("en"), UTC).when(
        MOMENT
    )


def test_past_its_bound_the_locale_memo_stays_correct_and_stops_growing(monkeypatch) -> None:
    monkeypatch.setattr(i18n, "_LOCALES", {f"x{index}": object() for index in range(256)})
    fmt = Formats(Locale.parse("es"), UTC)
    assert fmt.money(Decimal("12.50"), "EUR") == format_currency(
        Decimal("12.50"), "EUR", locale="es"
    )
    assert "mar" in fmt.when(MOMENT)
    assert len(i18n._LOCALES) == 256


def test_the_catalog_translates_per_language_and_bounds_its_memo(app, monkeypatch) -> None:
    with app.test_request_context("/"):
        with force_locale("es"):
            spanish = Catalog.current()
            assert spanish.gettext("Your parcel") == "Tu paquete"
            assert spanish.gettext("Your parcel") == "Tu paquete"  # from the memo
        with force_locale("en"):
            english = Catalog.current()
            assert english is not spanish
            assert english.gettext("Your parcel") == "Your parcel"
        with force_locale("es"):
            assert Catalog.current().gettext("Parcel %(num)d", num=2) == "Paquete 2"
        monkeypatch.setattr(i18n, "_MAX_LOOKUPS", 0)
        with force_locale("es"):
            catalog = Catalog()
            known = len(catalog._known)
            assert catalog.gettext("Track another order") != "Track another order"
            assert len(catalog._known) == known
