"""The parent blueprint ``shopcare``: templates, static files and the care home page.

Each domain has its own child blueprint; ``shopcare.blueprints.register`` nests them here so
that endpoint names read ``shopcare.<domain>.<page>``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Blueprint, render_template
from flask_babel import get_locale

from shopcare.core.access import is_staff
from shopcare.core.config import setting
from shopcare.core.layout import base_layout

#: The package folder: ``templates/`` and ``static/`` sit beside the domains, not in the core.
PACKAGE_ROOT = Path(__file__).resolve().parent.parent

blueprint = Blueprint(
    "shopcare",
    __name__,
    root_path=str(PACKAGE_ROOT),
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


@dataclass(frozen=True)
class HomeCard:
    """One thing a shopper can do, shown as a card on the care home page."""

    title: str
    text: str
    url: str


#: Callables that return a card (or ``None`` to hide it); domains add theirs with
#: :func:`home_card` when their views module is imported.
HOME_CARDS: list[Callable[[], HomeCard | None]] = []


def home_card(factory: Callable[[], HomeCard | None]) -> Callable[[], HomeCard | None]:
    """Decorator: add a card to the care home page."""
    HOME_CARDS.append(factory)
    return factory


def home_cards() -> list[HomeCard]:
    return [card for card in (factory() for factory in HOME_CARDS) if card is not None]


@dataclass(frozen=True)
class OrderPanel:
    """A section a feature adds to the shopper's order page: a template rendered with
    the page's context (``order``, its lines loaded) plus ``context``.

    Panels render on every request, outside the cached tracking part of the page, so
    they may show per-request things (forms with CSRF tokens, what this viewer may
    do); ``tracking`` is not in their context (a cache hit never loads it)."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)


#: The places on the order page where features add panels.
ORDER_PANEL_SLOTS = ("returns", "guarantees", "questions")

#: slot -> callables ``(order) -> OrderPanel | None``, added with :func:`order_panel`.
ORDER_PANELS: dict[str, list[Callable[[Any], OrderPanel | None]]] = {
    slot: [] for slot in ORDER_PANEL_SLOTS
}


def order_panel(
    slot: str,
) -> Callable[[Callable[[Any], OrderPanel | None]], Callable[[Any], OrderPanel | None]]:
    """Decorator: add a panel to the order page's ``slot`` (``returns``, ``guarantees``,
    ``questions``). The callable gets the order (its lines are loaded) and returns a
    panel, or ``None`` to show nothing; it runs on every request, so it must be cheap
    (at most a query or two, never one per line)."""
    if slot not in ORDER_PANELS:
        raise ValueError(f"unknown order page slot {slot!r}; known: {', '.join(ORDER_PANELS)}")

    def register(
        factory: Callable[[Any], OrderPanel | None],
    ) -> Callable[[Any], OrderPanel | None]:
        ORDER_PANELS[slot].append(factory)
        return factory

    return register


def order_panels(slot: str, order: Any) -> list[OrderPanel]:
    """The panels features show in ``slot`` for ``order``."""
    panels = (factory(order) for factory in ORDER_PANELS.get(slot, ()))
    return [panel for panel in panels if panel is not None]


#: The template every shopcare page extends; it extends ``SHOPCARE_BASE_TEMPLATE``.
HOST_LAYOUT = "shopcare/_host_layout.html"


@blueprint.app_context_processor
def shopcare_context() -> dict[str, Any]:
    """Names every shopcare template (and the host's base template) can use.

    ``shopcare_base`` is what pages extend: shopcare's layer over the host's base
    (``shopcare/_host_layout.html``); ``shopcare_layout()`` says what that base offers.
    """
    return {
        "shopcare_base": HOST_LAYOUT,
        "shopcare_layout": base_layout,
        "shopcare_shop_name": setting("SHOPCARE_SHOP_NAME"),
        "shopcare_is_staff": is_staff,
        "shopcare_home_cards": home_cards,
        "shopcare_locale": get_locale,
    }


@blueprint.route("/")
def index() -> str:
    """The care home: what a shopper can do here."""
    return render_template("shopcare/index.html")
