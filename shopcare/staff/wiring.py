"""The staff area's part of shopcare: its blueprint, its own pages (the staff home and
the outbox), and the navigation entry of the outbox page."""

from __future__ import annotations

from flask import Flask

from shopcare.core.i18n import _l
from shopcare.core.state import State
from shopcare.core.web import TEMPLATES
from shopcare.staff import outbox, privacy, views
from shopcare.staff.blueprint import make_blueprint


def init_app(app: Flask, state: State) -> None:
    """Declare the staff area on ``state``."""
    state.add_templates(TEMPLATES)  # shopcare/templates/shopcare/staff/
    state.add_staff_pages(views.pages)
    state.add_staff_pages(outbox.pages)
    state.add_staff_nav("shopcare.staff.outbox", _l("E-mails and jobs"), outbox.failed_count)
    state.add_staff_pages(privacy.pages)
    state.add_staff_nav("shopcare.staff.privacy_page", _l("A person's data"))
    # Made when the app is mounted, so that it has the pages every feature declared.
    state.add_blueprint(lambda: make_blueprint(state))
