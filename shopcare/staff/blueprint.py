"""The ``staff`` child blueprint, made per app from the staff pages every feature
declared (``state.add_staff_pages``), and its navigation (``state.add_staff_nav``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from shopcare.core.config import setting
from shopcare.core.layout import base_layout
from shopcare.core.state import NavItem, State, get_state


def nav_items() -> list[NavItem]:
    """The staff navigation, in the order the features declared it."""
    return list(get_state().staff_nav)


def staff_context() -> dict[str, Any]:
    """The staff navigation, and the staff pages' own layout: ``shopcare_layout`` (what
    ``shopcare/_host_layout.html`` extends) reads ``SHOPCARE_STAFF_BASE_TEMPLATE``,
    else the shopper's ``SHOPCARE_BASE_TEMPLATE``."""
    staff_base = setting("SHOPCARE_STAFF_BASE_TEMPLATE")
    context: dict[str, Any] = {"staff_nav": nav_items}
    if staff_base:
        context["shopcare_layout"] = lambda: base_layout(name=str(staff_base))
    return context


def make_blueprint(state: State) -> Blueprint:
    """The ``staff`` blueprint (``/care/staff``) for one app, with every declared page."""
    blueprint = Blueprint("staff", __name__, url_prefix="/staff")
    blueprint.context_processor(staff_context)
    for route in state.staff_pages:
        blueprint.add_url_rule(
            route.rule, endpoint=route.endpoint, view_func=route.view, methods=route.methods
        )
    return blueprint
