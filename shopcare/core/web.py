"""The parent blueprint ``shopcare``: templates, static files and the care home page.

:func:`make_blueprint` makes it for one app when the app is mounted, with each
domain's child blueprint and the API nested in it, so that endpoint names read
``shopcare.<domain>.<page>``. The home page's cards and the order page's panels are
what the app's features declared on its state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, render_template
from flask_babel import get_locale
from jinja2 import FileSystemLoader

from shopcare.core.access import is_staff
from shopcare.core.config import setting
from shopcare.core.layout import base_layout
from shopcare.core.state import HomeCard, OrderPanel, State, get_state

#: The package folder: ``templates/`` and ``static/`` sit beside the domains, not in the core.
PACKAGE_ROOT = Path(__file__).resolve().parent.parent
#: shopcare's templates folder (``shopcare/templates/shopcare/<domain>/<page>.html``).
TEMPLATES = PACKAGE_ROOT / "templates"

__all__ = ["HomeCard", "OrderPanel", "home_cards", "make_blueprint", "order_panels"]


def home_cards() -> list[HomeCard]:
    """The cards the care home page shows."""
    factories = get_state().home_cards
    return [card for card in (factory() for factory in factories) if card is not None]


def order_panels(slot: str, order: Any) -> list[OrderPanel]:
    """The panels features show in ``slot`` for ``order``."""
    panels = (factory(order) for factory in get_state().order_panels.get(slot, ()))
    return [panel for panel in panels if panel is not None]


#: The template every shopcare page extends; it extends ``SHOPCARE_BASE_TEMPLATE``.
HOST_LAYOUT = "shopcare/_host_layout.html"


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


def index() -> str:
    """The care home: what a shopper can do here."""
    return render_template("shopcare/index.html")


def make_blueprint(state: State, children: list[Blueprint]) -> Blueprint:
    """The ``shopcare`` blueprint for one app: the home page, static files, the template
    folders the features declared, and ``children`` nested in it."""
    blueprint = Blueprint(
        "shopcare",
        __name__,
        root_path=str(PACKAGE_ROOT),
        static_folder="static",
        static_url_path="/static",
    )
    # Searched after the host's own templates folder, so the host overrides any page.
    blueprint.jinja_loader = FileSystemLoader(state.template_folders)
    blueprint.app_context_processor(shopcare_context)
    blueprint.add_url_rule("/", view_func=index)
    for child in children:
        blueprint.register_blueprint(child)
    return blueprint
