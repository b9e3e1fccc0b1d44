"""The insights' part of shopcare: everything it adds to an app, in one place.

(``care.insights`` is made by :class:`~shopcare.ShopCare` itself.) Insights reads every
other domain; nothing imports it.
"""

from __future__ import annotations

from flask import Flask

from shopcare.core.i18n import _l
from shopcare.core.state import State
from shopcare.core.web import TEMPLATES
from shopcare.insights import api, privacy, rollup, views
from shopcare.insights.settings import SETTINGS


def init_app(app: Flask, state: State) -> None:
    """Declare the insights' parts on ``state``."""
    state.add_settings(SETTINGS)
    state.add_templates(TEMPLATES)  # shopcare/templates/shopcare/insights/
    state.add_blueprint(views.blueprint)  # /care/insights: staff only
    state.add_staff_nav("shopcare.insights.dashboard", _l("Dashboard"))
    state.add_api(api.routes)
    state.add_privacy_part(privacy.PART)  # the customer facts, keyed by e-mail
    state.add_command(rollup.insights_group)  # flask shopcare insights rebuild
    # the daily rollup of the answers and the customer facts the dashboard reads
    # (shopcare.insights.rollup, shopcare.insights.customers)
    state.add_periodic("insights.rollup", rollup.refresh_task, every=rollup.EVERY)
