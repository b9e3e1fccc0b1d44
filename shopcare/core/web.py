"""The parent blueprint ``shopcare``: templates, static files and the care home page.

:func:`make_blueprint` makes it for one app when the app is mounted, with each
domain's child blueprint and the API nested in it, so that endpoint names read
``shopcare.<domain>.<page>``. The home page's cards and the order page's panels are
what the app's features declared on its state.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
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
from jinja2 import FileSystemLoader, Template
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from shopcare.core import read_only
from shopcare.core.access import guest_url, is_staff, login_url, public
from shopcare.core.config import setting
from shopcare.core.i18n import _
from shopcare.core.layout import base_layout
from shopcare.core.state import HomeCard, OrderPanel, State, get_state

#: The package folder: ``templates/`` and ``static/`` sit beside the domains, not in the core.
PACKAGE_ROOT = Path(__file__).resolve().parent.parent
#: shopcare's templates folder (``shopcare/templates/shopcare/<domain>/<page>.html``).
TEMPLATES = PACKAGE_ROOT / "templates"

__all__ = ["HomeCard", "OrderPanel", "home_cards", "make_blueprint", "order_panels"]

F = TypeVar("F", bound=Callable[..., Any])


def home_cards() -> list[HomeCard]:
    """The cards the care home page shows."""
    factories = get_state().home_cards
    return [card for card in (factory() for factory in factories) if card is not None]


def order_panels(slot: str, order: Any) -> list[OrderPanel]:
    """The panels features show in ``slot`` for ``order``."""
    panels = (factory(order) for factory in get_state().order_panels.get(slot, ()))
    return [panel for panel in panels if panel is not None]


def is_own(template: Template) -> bool:
    """Whether ``template`` is shopcare's own file (no host template of its name)."""
    return template.filename == os.path.join(TEMPLATES, str(template.name))


def own_templates(names: tuple[str, ...]) -> bool:
    """Whether the app loads shopcare's own file for each of ``names`` (no host
    template of that name), read once per app (once per page while templates
    auto-reload): a page may then write what they would with its Python twin."""
    env = current_app.jinja_env
    memo: dict[tuple[str, ...], bool] = (
        {} if env.auto_reload else get_state().memo.setdefault("web.own_templates", {})
    )
    own = memo.get(names)
    if own is None:
        own = memo[names] = all(is_own(env.get_template(name)) for name in names)
    return own


#: The template every shopcare page extends; it extends ``SHOPCARE_BASE_TEMPLATE``.
HOST_LAYOUT = "shopcare/_host_layout.html"


def _read_once(read: Callable[[], Any]) -> Callable[[], Any]:
    """``read`` called at most once a render (the layout asks four or five times)."""
    found: list[Any] = []

    def once() -> Any:
        if not found:
            found.append(read())
        return found[0]

    return once


def shopcare_context() -> dict[str, Any]:
    """Names every shopcare template (and the host's base template) can use.

    ``shopcare_base`` is what pages extend: shopcare's layer over the host's base
    (``shopcare/_host_layout.html``); ``shopcare_layout()`` says what that base offers.
    """
    return {
        "shopcare_base": HOST_LAYOUT,
        "shopcare_layout": _read_once(base_layout),
        "shopcare_shop_name": setting("SHOPCARE_SHOP_NAME"),
        "shopcare_is_staff": is_staff,
        "shopcare_home_cards": home_cards,
        "shopcare_locale": get_locale,
        "shopcare_form_expired": form_expired,
        "shopcare_form_refused": form_refused,
    }


@public
def index() -> str:
    """The care home: what a shopper can do here."""
    return render_template("shopcare/index.html", contact=shop_contact())


# -- the shop's contact, and where a guest goes ----------------------------------------


def shop_contact() -> dict[str, str]:
    """``SHOPCARE_CONTACT`` (``email``, ``phone``, ``hours``, ``url``), the non-empty ones."""
    contact = setting("SHOPCARE_CONTACT") or {}
    texts = {key: str(value) for key, value in dict(contact).items()}  # lazy ones translated once
    return {key: text for key, text in texts.items() if text}


# -- no dead ends: error pages in the host's layout -------------------------------------

#: Views that show their form again when its CSRF token expired (their POST is the
#: same view as their GET): ``@form_view`` marks them.
FORM_VIEWS: set[str] = set()


def _view_name(view: Callable[..., Any]) -> str:
    inner = view
    while hasattr(inner, "__wrapped__"):
        inner = inner.__wrapped__
    return f"{inner.__module__}.{inner.__qualname__}"


def form_view(view: F) -> F:
    """Mark a view that re-renders its own form: with ``CSRFProtect``, an expired or
    missing token shows the form again, filled in, asking to send it again."""
    FORM_VIEWS.add(_view_name(view))
    return view


def form_expired() -> bool:
    """Whether this request's form token expired or was missing (for the template)."""
    return bool(g.get("shopcare_form_expired"))


def form_refused(form: Any) -> bool:
    """Whether this POST of ``form`` was refused for its token (expired, missing, or
    ``CSRFProtect`` refused it): the page then says so above the form, which keeps
    what was typed (``shopcare/_form_refused.html``)."""
    if request.method != "POST":
        return False
    token = getattr(form, "csrf_token", None)  # absent when the host turned CSRF off
    return bool(token is not None and token.errors) or form_expired()


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
        500: (
            _("Something went wrong on our side"),
            _(
                "Nothing you did caused it. Please try again in a moment; if it keeps happening, contact the shop."
            ),
        ),
    }


def error_page(error: HTTPException) -> Response:
    """An HTTP error of a shopcare page, inside the host's layout, in the shopper's
    language, with a way back (the API answers in JSON instead)."""
    status = error.code or 500
    if status == 500:  # whatever failed may have left the transaction unusable
        with contextlib.suppress(Exception):  # the page must render all the same
            current_app.extensions["shopcare"].db.session.rollback()
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
        # The view validates the form itself, finds the token bad and re-renders it;
        # what it refuses on the way (over a rate limit, say) gets that error's page.
        try:
            return cast(Response, make_response(view(**(request.view_args or {}))))
        except HTTPException as refused:
            return cast(Response, make_response(current_app.handle_user_exception(refused)))
    flash(_("This form had expired. Please send it again."), "error")
    return back_to()


#: Methods whose requests carry a body.
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def read_body(limit: int | None) -> bytes:
    """The request's body, read whole and kept (forms and JSON then parse it from
    memory), or a 413 when it is longer than ``limit`` bytes, however it was sent.

    Werkzeug refuses a declared ``Content-Length`` over the limit, but a chunked body
    (no length) under a server that ends the stream itself (gunicorn) is read up to
    the limit and silently cut there: the JSON then looks malformed, a signature
    wrong, a form field short. Reading one byte past the limit tells a body that fits
    from one that does not.

    :raises RequestEntityTooLarge: the body is over ``limit``.
    """
    if limit is None:
        return request.get_data(cache=True)
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()
    request.max_content_length = limit + 1
    data = request.get_data(cache=True)
    if len(data) > limit:
        raise RequestEntityTooLarge()
    return data


def _whole_body_or_413() -> None:
    # shopcare's pages: the host's MAX_CONTENT_LENGTH, chunked bodies included (the API,
    # blueprint shopcare.api, applies its own SHOPCARE_API_MAX_CONTENT_LENGTH).
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    in_api = "shopcare.api" in request.blueprints
    if request.method in BODY_METHODS and limit is not None and not in_api:
        read_body(int(limit))


def _reads_only() -> None:
    # A GET of a shopcare page or of the API begins its transaction as read-only: on
    # psycopg it then ends with COMMIT, which keeps the prepared statements (any write
    # takes the mark away; see core.read_only). Static files touch no database.
    if request.method in ("GET", "HEAD") and request.endpoint != "shopcare.static":
        read_only.begin()


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
    blueprint.before_request(_whole_body_or_413)
    blueprint.before_request(_reads_only)
    blueprint.add_url_rule("/", view_func=index)
    # Errors of shopcare's pages render in the host's layout (the API's own handlers,
    # registered on its blueprint, win there and answer in JSON).
    # (500: an unexpected error in a shopcare view, logged by Flask as ever)
    for status in (400, 401, 403, 404, 500):
        blueprint.register_error_handler(status, error_page)
    blueprint.register_error_handler(CSRFError, form_token_expired)
    for child in children:
        blueprint.register_blueprint(child)
    return blueprint
