"""The child blueprints, one per domain, nested under the parent ``shopcare`` blueprint."""

from __future__ import annotations

from flask import Blueprint

import shopcare.core.api.docs
import shopcare.core.api.views
import shopcare.orders.api  # noqa: F401  (registers the orders endpoint)
from shopcare.cases.views import blueprint as cases
from shopcare.core.api import api
from shopcare.staff import blueprint as staff
from shopcare.staff import outbox as _staff_outbox  # noqa: F401  (registers the outbox page)
from shopcare.staff import views as _staff_views  # noqa: F401  (registers the staff home)
from shopcare.tracking.views import blueprint as tracking

CHILDREN: list[Blueprint] = [api, staff, tracking, cases]


def register() -> Blueprint:
    """Nest each domain's blueprint under the parent ``shopcare`` blueprint (once per
    process) and return the parent, ready for ``app.register_blueprint``."""
    from shopcare.core.web import blueprint as parent

    if not parent._got_registered_once:
        for child in CHILDREN:
            if child.name not in {bp.name for bp, _ in parent._blueprints}:
                parent.register_blueprint(child)
    return parent
