"""After-sales cases' part of shopcare: everything it adds to an app, in one place.

(``care.cases`` is made by :class:`~shopcare.ShopCare` itself: it serves every app the
extension is mounted on.)
"""

from __future__ import annotations

from flask import Flask

from shopcare.cases import api, events, privacy, views
from shopcare.cases.settings import SETTINGS
from shopcare.core.i18n import _l
from shopcare.core.state import State
from shopcare.core.web import TEMPLATES


def init_app(app: Flask, state: State) -> None:
    """Declare the cases' parts on ``state``."""
    state.add_settings(SETTINGS)
    state.add_events(events.EVENTS)
    state.add_privacy_part(privacy.PART)
    state.add_templates(TEMPLATES)  # shopcare/templates/shopcare/cases/ (and its e-mails)
    state.add_blueprint(views.blueprint)  # /care/cases: the shopper's pages
    state.add_home_card(views.cases_card)
    state.add_order_panel("returns", views.returns_panel)
    state.add_timeline_entry("shopcare/timeline/case.html", views.case_entry)
    state.add_staff_pages(views.staff_pages)
    state.add_staff_nav("shopcare.staff.cases", _l("Returns and claims"))
    state.add_api(api.routes)
