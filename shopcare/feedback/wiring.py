"""The suggestion box's part of shopcare: everything it adds to an app, in one place."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from shopcare.core.i18n import _l
from shopcare.core.state import State
from shopcare.feedback import api, cli, events, privacy, views
from shopcare.feedback.settings import SETTINGS


def init_app(app: Flask, state: State) -> None:
    """Declare the suggestion box's parts on ``state``."""
    state.add_settings(SETTINGS)
    state.add_events(events.EVENTS)
    state.add_blueprint(views.blueprint)  # /care/feedback: intake, tickets, board
    state.add_home_card(views.feedback_card)
    state.add_order_panel("questions", views.order_panel)
    state.add_staff_pages(views.staff_pages)
    state.add_staff_nav("shopcare.staff.feedback", _l("Suggestion box"), views.open_count)
    state.add_command(cli.mail_group)  # flask shopcare mail receive
    state.add_command(cli.feedback_group)  # flask shopcare feedback sla
    state.add_periodic("feedback.sla", cli.sweep_task, every=timedelta(minutes=1))
    state.add_api(api.routes)
    state.add_privacy_part(privacy.PART)
