"""The parent blueprint ``shopcare``: templates, static files and the care home page.

Each domain has its own child blueprint; ``shopcare.blueprints.register`` nests them here so
that endpoint names read ``shopcare.<domain>.<page>``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from shopcare.core.access import is_staff, login_url
from shopcare.core.config import setting
from shopcare.core.i18n import _

F = TypeVar("F", bound=Callable[..., Any])

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


@blueprint.app_context_processor
def shopcare_context() -> dict[str, Any]:
    """Names every shopcare template (and the host's base template) can use."""
    return {
        "shopcare_base": setting("SHOPCARE_BASE_TEMPLATE"),
        "shopcare_shop_name": setting("SHOPCARE_SHOP_NAME"),
        "shopcare_is_staff": is_staff,
        "shopcare_home_cards": home_cards,
        "shopcare_locale": get_locale,
        "shopcare_form_expired": form_expired,
    }


@blueprint.route("/")
def index() -> str:
    """The care home: what a shopper can do here."""
    return render_template("shopcare/index.html", contact=shop_contact())


# -- the shop's contact, and where a guest goes ----------------------------------------


def shop_contact() -> dict[str, str]:
    """``SHOPCARE_CONTACT`` (``email``, ``phone``, ``hours``, ``url``), the non-empty ones."""
    contact = setting("SHOPCARE_CONTACT") or {}
    return {key: str(value) for key, value in dict(contact).items() if value}


#: Endpoints a visitor without an account can use instead of logging in, best first;
#: a domain adds its own with :func:`guest_page` (tracking: the order look-up).
GUEST_PAGES: list[str] = []


def guest_page(endpoint: str) -> None:
    """Offer ``endpoint`` to visitors who cannot log in (a host without Flask-Login)."""
    if endpoint not in GUEST_PAGES:
        GUEST_PAGES.append(endpoint)


def guest_url() -> str | None:
    """Where a visitor goes when a page needs a login the host does not have."""
    for endpoint in GUEST_PAGES:
        if endpoint in current_app.view_functions:
            return url_for(endpoint)
    return None


# -- no dead ends: error pages in the host's layout -------------------------------------

#: Views that show their form again when its CSRF token expired (their POST is the
#: same view as their GET): ``@form_view`` marks them.
FORM_VIEWS: set[str] = set()


def form_view(view: F) -> F:
    """Mark a view that re-renders its own form: with ``CSRFProtect``, an expired or
    missing token shows the form again, filled in, asking to send it again."""
    FORM_VIEWS.add(_view_name(view))
    return view


def form_expired() -> bool:
    """Whether this request's form token expired or was missing (for the template)."""
    return bool(g.get("shopcare_form_expired"))


def back_to(default_endpoint: str = "shopcare.index") -> Response:
    """Redirect to the page the visitor came from when it is on this site, else to
    ``default_endpoint``: after a refused POST, never a dead end."""
    target = request.referrer or ""
    parts = urlsplit(target)
    if not target or parts.netloc != request.host or not parts.path.startswith("/"):
        target = url_for(default_endpoint)
    return cast(Response, redirect(target))


def _error_texts() -> dict[int, tuple[str, str]]:
    return {
        400: (_("We could not read that request"), _("Please go back and try again.")),
        401: (
            _("Please log in"),
            _("This page is for signed-in customers. Log in, or find an order with its number."),
        ),
        403: (
            _("This page is not available to you"),
            _("It is for the shop's staff. If you think you should see it, contact the shop."),
        ),
        404: (
            _("We could not find that page"),
            _("The link may be old or mistyped, or the order may belong to another account."),
        ),
    }


def error_page(error: HTTPException) -> Response:
    """An HTTP error of a shopcare page, inside the host's layout, in the shopper's
    language, with a way back (the API answers in JSON instead)."""
    status = error.code or 500
    heading, message = _error_texts().get(status, _error_texts()[400])
    html = render_template(
        "shopcare/errors/error.html",
        status=status,
        heading=heading,
        message=message,
        login_link=login_url() if status == 401 else None,
        guest_link=guest_url() if status in (401, 404) else None,
        contact=shop_contact(),
    )
    return Response(html, status=status, mimetype="text/html")


def form_token_expired(error: HTTPException) -> Response:
    """``CSRFProtect`` refused a shopcare form: show the form again, filled in, asking
    to send it again; for a button-only form, go back to its page with that message."""
    view = current_app.view_functions.get(request.endpoint or "")
    g.shopcare_form_expired = True
    if view is not None and _view_name(view) in FORM_VIEWS:
        # The view validates the form itself, finds the token bad and re-renders it.
        return cast(Response, make_response(view(**(request.view_args or {}))))
    flash(_("This form had expired. Please send it again."), "error")
    return back_to()


def _view_name(view: Callable[..., Any]) -> str:
    inner = getattr(view, "__wrapped__", view)
    while hasattr(inner, "__wrapped__"):
        inner = inner.__wrapped__
    return f"{inner.__module__}.{inner.__qualname__}"


blueprint.register_error_handler(400, error_page)
blueprint.register_error_handler(401, error_page)
blueprint.register_error_handler(403, error_page)
blueprint.register_error_handler(404, error_page)
blueprint.register_error_handler(CSRFError, form_token_expired)
