"""The ``staff`` child blueprint and its navigation, which every feature's staff pages join."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint

blueprint = Blueprint("staff", __name__, url_prefix="/staff")


@dataclass(frozen=True)
class NavItem:
    """One entry of the staff navigation: an endpoint and its (lazy) label."""

    endpoint: str
    label: Any


#: The staff navigation, in the order features add to it.
NAV: list[NavItem] = []


def nav_item(endpoint: str, label: Any) -> None:
    """Add a page to the staff navigation (once per endpoint)."""
    if all(item.endpoint != endpoint for item in NAV):
        NAV.append(NavItem(endpoint, label))


def nav_items() -> list[NavItem]:
    """The staff navigation."""
    return list(NAV)


@blueprint.context_processor
def staff_context() -> dict[str, Any]:
    return {"staff_nav": nav_items}
