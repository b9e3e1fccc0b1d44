"""The parent blueprint ``shopcare``: templates, static files and the care home page.

Each domain has its own child blueprint; ``register_children`` nests them here so
that endpoint names read ``shopcare.<domain>.<page>``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, render_template
from flask_babel import get_locale

from shopcare.auth import is_staff
from shopcare.config import setting

blueprint = Blueprint(
    "shopcare",
    __name__,
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


@blueprint.app_context_processor
def shopcare_context() -> dict[str, Any]:
    """Names every shopcare template (and the host's base template) can use."""
    return {
        "shopcare_base": setting("SHOPCARE_BASE_TEMPLATE"),
        "shopcare_shop_name": setting("SHOPCARE_SHOP_NAME"),
        "shopcare_is_staff": is_staff,
        "shopcare_home_cards": home_cards,
        "shopcare_locale": get_locale,
    }


@blueprint.route("/")
def index() -> str:
    """The care home: what a shopper can do here."""
    return render_template("shopcare/index.html")


def register_children() -> None:
    """Nest each domain's blueprint under ``shopcare`` (once per process)."""
    if blueprint._got_registered_once:
        return
    # Imported here: the domains import the platform, never the other way round at import time.
    from shopcare.blueprints import CHILDREN

    for child in CHILDREN:
        blueprint.register_blueprint(child)
