"""The ``staff`` child blueprint and its navigation, which every feature's staff pages join."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint

blueprint = Blueprint("staff", __name__, url_prefix="/staff")


@dataclass(frozen=True)
class NavItem:
    """One entry of the staff navigation: an endpoint and its (lazy) label."""

    endpoint: str
    label: Any
    #: What waits there, for the staff home (``None``: no count).
    count: Callable[[], int] | None = None


#: The staff navigation, in the order features add to it.
NAV: list[NavItem] = []


def nav_item(endpoint: str, label: Any, count: Callable[[], int] | None = None) -> None:
    """Add a page to the staff navigation (once per endpoint); ``count`` says how many
    things wait there (the staff home shows it; keep it to one query)."""
    if all(item.endpoint != endpoint for item in NAV):
        NAV.append(NavItem(endpoint, label, count))


def nav_items() -> list[NavItem]:
    """The staff navigation."""
    return list(NAV)


@blueprint.context_processor
def staff_context() -> dict[str, Any]:
    from shopcare.core.config import setting

    base = setting("SHOPCARE_STAFF_BASE_TEMPLATE") or setting("SHOPCARE_BASE_TEMPLATE")
    return {"staff_nav": nav_items, "shopcare_staff_base": base}
