"""Order tracking's part of shopcare: everything it adds to an app, in one place."""

from __future__ import annotations

from flask import Flask

from shopcare.core.i18n import _l
from shopcare.core.state import State
from shopcare.core.web import TEMPLATES
from shopcare.tracking import api, events, jobs, privacy, timeline, views
from shopcare.tracking.settings import SETTINGS


def init_app(app: Flask, state: State) -> None:
    """Declare tracking's parts on ``state``."""
    state.add_settings(SETTINGS)
    state.add_events(events.EVENTS)
    state.add_privacy_part(privacy.PART)
    state.add_templates(TEMPLATES)  # shopcare/templates/shopcare/tracking/ (and its e-mails)
    state.add_blueprint(views.blueprint)  # /care/tracking: the shopper's pages
    state.add_home_card(views.track_card)
    for template, render in timeline.ENTRIES.items():  # the order page's timeline, in Python
        state.add_timeline_entry(template, render)
    state.add_staff_pages(views.staff_pages)
    state.add_staff_nav("shopcare.staff.late_shipments", _l("Late shipments"), views.late_count)
    # Without a login system, pages that need one send visitors to the look-up instead.
    state.add_guest_page("shopcare.tracking.lookup")
    state.add_api(api.routes, security_schemes=api.SECURITY_SCHEMES)
    state.add_command(jobs.tracking_group)  # flask shopcare tracking flag-late
    state.add_periodic("tracking.flag_late", jobs.flag_late, every=jobs.LATE_CHECK_EVERY)
