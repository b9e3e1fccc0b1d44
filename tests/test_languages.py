"""Languages: regional variants fall back to their language, and carrier messages are
shown as the carrier sent them, marked as such."""

from __future__ import annotations

import pytest

from shopcare.core.i18n import match_language
from shopcare.core.outbox.services import resolve_locale
from tests.conftest import login
from tests.host import USERS
from tests.tracking.helpers import make_order


@pytest.mark.parametrize("header", ["es-MX", "es-419", "es-ES,es;q=0.9", "fr, es-AR;q=0.8"])
def test_a_regional_browser_language_falls_back_to_its_language(client, header):
    html = client.get("/care/", headers={"Accept-Language": header}).get_data(as_text=True)
    assert '<html lang="es">' in html and "¿En qué podemos ayudarte?" in html


def test_the_best_quality_wins(client):
    html = client.get("/care/", headers={"Accept-Language": "es-MX;q=0.5, en-GB"}).get_data(
        as_text=True
    )
    assert '<html lang="en">' in html


def test_a_users_regional_locale_falls_back(client, monkeypatch):
    monkeypatch.setattr(USERS["ann"], "locale", "es_AR")
    login(client, "ann")
    html = client.get("/care/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="es">' in html


def test_match_language_is_the_one_rule(app):
    offered = ["en", "es", "pt_BR"]
    assert match_language("es-419", offered) == "es"
    assert match_language("ES_ar", offered) == "es"
    assert match_language("pt-br", offered) == "pt_BR"
    assert match_language("pt", offered) is None
    assert match_language("*", offered) is None
    assert resolve_locale("es-MX") == "es" and resolve_locale("de") == "en"


def test_carrier_messages_are_shown_as_sent_and_marked(care, db, client):
    make_order(care, user_id="ann")
    care.tracking.add_event(
        "SO-1",
        "failed_attempt",
        carrier="seur",
        tracking_number="S1",
        message="Ausente: dejamos aviso",
    )
    db.session.commit()
    login(client, "ann")
    html = client.get("/care/tracking/orders/SO-1", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert 'SEUR wrote: <q class="sc-carrier-message">Ausente: dejamos aviso</q>' in html


def test_carrier_messages_are_marked_in_spanish_too(care, db, client):
    make_order(care, user_id="ann")
    care.tracking.add_event(
        "SO-1", "exception", carrier="dhl", tracking_number="D1", message="Address incomplete"
    )
    db.session.commit()
    login(client, "ann")
    html = client.get("/care/tracking/orders/SO-1", headers={"Accept-Language": "es"}).get_data(
        as_text=True
    )
    assert 'DHL escribió: <q class="sc-carrier-message">Address incomplete</q>' in html


def test_every_plural_form_of_every_spanish_message_is_translated():
    """Each catalog's plural forms are filled in, however many its header declares
    (newer CLDR gives Spanish a third form, for millions): an empty one shows English."""
    from pathlib import Path

    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent / "shopcare"
    for path in (
        root / "translations/es/LC_MESSAGES/shopcare.po",
        root / "demo/translations/es/LC_MESSAGES/messages.po",
    ):
        with path.open("rb") as handle:
            catalog = read_po(handle)
        empty = [
            message.id
            for message in catalog
            if message.id and isinstance(message.string, tuple) and not all(message.string)
        ]
        assert empty == [], (path.name, empty)
