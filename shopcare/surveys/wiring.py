"""Surveys' part of shopcare: everything it adds to an app, in one place.

(``care.surveys`` is made by :class:`~shopcare.ShopCare` itself.)
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, url_for

from shopcare.core.i18n import _l
from shopcare.core.state import State
from shopcare.core.web import TEMPLATES
from shopcare.surveys import api, events, privacy, views
from shopcare.surveys.services import MAIL_HOOK, current_desk, unsubscribe_token
from shopcare.surveys.settings import SETTINGS


def run_pass() -> None:
    """The workers' periodic pass: invitations due, reminders due, expiry."""
    current_desk().run_pass()


def mail_hook(payload: dict[str, Any]) -> dict[str, str] | None:
    """At send time: drop an invitation or reminder no longer wanted (answered,
    expired, unsubscribed); otherwise add the RFC 8058 one-click unsubscribe headers."""
    if not current_desk().still_wanted(payload):
        return None
    from flask import current_app

    from shopcare.core.outbox.mail import external_url

    context = payload.get("context") or {}
    # Mails queued before the keys were derived at send time carry their own.
    key = context.get("unsubscribe") or unsubscribe_token(
        str(context.get("email") or payload["to"])
    )
    with current_app.test_request_context("/", base_url=external_url()):
        link = url_for("shopcare.surveys.unsubscribe", signature=key, _external=True)
    return {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def init_app(app: Flask, state: State) -> None:
    """Declare the surveys' parts on ``state``."""
    state.add_settings(SETTINGS)
    state.add_events(events.EVENTS)
    state.add_privacy_part(privacy.PART)
    state.add_templates(TEMPLATES)  # shopcare/templates/shopcare/surveys/ (and its e-mails)
    state.add_blueprint(views.blueprint)  # /care/surveys: answering by link, unsubscribe
    state.add_periodic("surveys.pass", run_pass, every=timedelta(minutes=15))
    state.add_mail_hook(MAIL_HOOK, mail_hook)
    state.add_staff_pages(views.staff_pages)
    state.add_staff_nav("shopcare.staff.surveys", _l("Surveys"))
    state.add_api(api.routes, schemas=api.schemas)
    app.before_request(views.exempt_unsubscribe_from_csrf)
