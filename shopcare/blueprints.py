"""The child blueprints, one per domain, that ``shopcare.web`` nests under ``shopcare``."""

from __future__ import annotations

from flask import Blueprint

import shopcare.api.views  # noqa: F401  (registers the API's own endpoints)
from shopcare.api import api
from shopcare.staff import blueprint as staff
from shopcare.staff import views as _staff_views  # noqa: F401  (registers the staff home)
from shopcare.tracking.views import blueprint as tracking

CHILDREN: list[Blueprint] = [api, staff, tracking]
