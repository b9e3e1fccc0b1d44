"""Status e-mails: queued in the outbox on chosen status changes, sent over real SMTP,
in the order's language, once per event."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from shopcare.core.outbox import list_items
from shopcare.core.outbox.worker import work
from tests.tracking.helpers import T0, make_order


@pytest.fixture
def app_config(smtp_server) -> dict[str, Any]:
    return {**smtp_server.config, "SHOPCARE_EXTERNAL_URL": "https://shop.example"}


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def test_chosen_status_changes_mail_the_shopper_in_their_language(care, db, client, smtp_server):
    make_order(care, locale="es")
    kwargs = {"carrier": "correos", "tracking_number": "PQ1"}
    care.tracking.add_event("SO-1", "in_transit", occurred_at=T0, **kwargs)  # not chosen
    care.tracking.add_event("SO-1", "en reparto", occurred_at=T0 + timedelta(days=1), **kwargs)
    care.tracking.add_event("SO-1", "en reparto", occurred_at=T0 + timedelta(days=1), **kwargs)
    db.session.commit()
    assert len(list_items()) == 1
    work()
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "ann@example.com"
    assert message["Subject"] == "Tu pedido SO-1 está en reparto"
    body = text_of(message)
    assert "Correos" in body and "PQ1" in body and "2 \u00d7 Blue mug" in body
    link = re.search(r"https://shop\.example(/care/tracking/orders/SO-1\?key=\S+)", body)
    assert link, body
    assert "https://www.correos.es/" in html_of(message)
    # The link in the e-mail opens the order page for the guest.
    assert client.get(link.group(1)).status_code == 200

    care.tracking.add_event("SO-1", "Entregado", occurred_at=T0 + timedelta(days=2), **kwargs)
    db.session.commit()
    work()
    smtp_server.wait_for(2)
    assert smtp_server.messages[1]["Subject"] == "Tu pedido SO-1 ha sido entregado"


def test_english_by_default_and_notify_off(care, db, smtp_server):
    make_order(care)
    care.tracking.add_event(
        "SO-1", "exception", carrier="dhl", tracking_number="X", occurred_at=T0, notify=False
    )
    care.tracking.add_event(
        "SO-1",
        "available_for_pickup",
        occurred_at=T0 + timedelta(hours=3),
        location="Kiosk 4, Calle Mayor",
    )
    db.session.commit()
    work()
    [message] = smtp_server.wait_for(1)
    assert message["Subject"] == "Your order SO-1 is ready for pickup"
    assert "Kiosk 4, Calle Mayor" in text_of(message)
