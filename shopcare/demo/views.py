"""The shop's pages: home, catalogue, product, cart, checkout, login and account.

Views are thin: read the request, do one thing, commit, render or redirect. The one
place the shop talks to shopcare is checkout (``care.orders.record``) and the
account page (``care.orders.for_user``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, get_translations
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from shopcare import ValidationError
from shopcare.core.access import safe_next
from shopcare.demo.cart import Cart
from shopcare.demo.catalogue import CATEGORIES, CATEGORY_BY_SLUG, FEATURED
from shopcare.demo.extensions import LANGUAGES, care, db
from shopcare.demo.forms import (
    AddToCartForm,
    CartLineForm,
    CheckoutForm,
    LoginForm,
    LogoutForm,
)
from shopcare.demo.models import Product, User
from shopcare.demo.orders import already_placed, place_order, send_confirmation

blueprint = Blueprint("shop", __name__)


def _cart() -> Cart:
    return Cart(session)


@blueprint.app_context_processor
def shop_context() -> dict[str, Any]:
    """What the layout needs on every page, shopcare's pages included."""
    # The layout translates some forty strings: look the catalog up once per page, not
    # once per string (Flask-Babel's own ``_`` finds the locale and catalog each time).
    translations = get_translations()
    gettext, ngettext = _page_gettext(translations.ugettext, translations.ungettext)
    # The header's language switch comes back to this page (as url_for would encode
    # it: werkzeug keeps these characters of a query value as they are).
    back = urlencode({"next": request.full_path}, safe=QUERY_SAFE)
    return {
        "links": (links := _links()),
        "language_links": {code: f"{url}?{back}" for code, url in links["language"].items()},
        "categories": CATEGORIES,
        "cart_count": _cart().count,
        "languages": LANGUAGES,
        "_": gettext,
        "gettext": gettext,
        "ngettext": ngettext,
    }


def _page_gettext(
    translate: Callable[[str], str], translate_plural: Callable[[str, str, int], str]
) -> tuple[Callable[..., str], Callable[..., str]]:
    """Jinja's "new-style" ``gettext`` and ``ngettext`` (autoescaped where the template
    is, always %-formatted, ``num`` given to plurals) bound to one page's catalog, and
    as ``_`` directly: the i18n extension's own ``_`` looks ``gettext`` up in the
    template context and calls it through two more layers on every string."""

    @pass_eval_context
    def gettext(eval_ctx: EvalContext, string: str, **variables: Any) -> str:
        text = translate(string)
        if eval_ctx.autoescape:
            text = Markup(text)
        # Always %-formatted, as Jinja's own: "%%" becomes "%" even without variables.
        return text % variables if variables or "%" in text else text

    @pass_eval_context
    def ngettext(
        eval_ctx: EvalContext, singular: str, plural: str, num: int, **variables: Any
    ) -> str:
        variables.setdefault("num", num)
        text = translate_plural(singular, plural, num)
        return (Markup(text) if eval_ctx.autoescape else text) % variables

    return gettext, ngettext


@blueprint.route("/language/<code>")
def language(code: str) -> Response:
    """The header's language switch: remember the choice, go back where the shopper was."""
    if code not in LANGUAGES:
        abort(404)
    session["language"] = code
    return redirect(safe_next(request.args.get("next"), url_for("shop.home")))


#: The characters werkzeug's ``url_for`` leaves unquoted in a query string's values.
QUERY_SAFE = "!$'()*,/:;?@"


def _links() -> dict[str, Any]:
    """The layout's fixed links (navigation, footer, stylesheets), built once per app
    and mount point rather than twenty times a page: none depends on the request
    beyond ``SCRIPT_NAME``. The language switch's link (it carries the page's own
    address) is still built per page."""
    built: dict[str, dict[str, Any]] = current_app.extensions.setdefault("demo.links", {})
    links = built.get(request.script_root)
    if links is None:
        links = {
            "favicon": url_for("static", filename="demo/favicon.svg"),
            "shopcare_css": url_for("shopcare.static", filename="shopcare/shopcare.css"),
            "language": {code: url_for("shop.language", code=code) for code in LANGUAGES},
            "demo_css": url_for("static", filename="demo/demo.css"),
            "home": url_for("shop.home"),
            "catalogue": url_for("shop.catalogue"),
            "categories": {c.slug: url_for("shop.catalogue", category=c.slug) for c in CATEGORIES},
            "care": url_for("shopcare.index"),
            "track": url_for("shopcare.tracking.lookup"),
            "account": url_for("shop.account"),
            "login": url_for("shop.login"),
            "logout": url_for("shop.logout"),
            "cart": url_for("shop.cart"),
            "staff": _staff_url(),
        }
        built[request.script_root] = links
    return links


def _staff_url() -> str:
    """shopcare's staff area when it is mounted, else the care home."""
    for endpoint in ("shopcare.staff.index", "shopcare.insights.index"):
        if endpoint in current_app.view_functions:
            return url_for(endpoint)
    return url_for("shopcare.index")


# -- shop ------------------------------------------------------------------------------


@blueprint.route("/")
def home() -> str:
    """The shop front: a banner, the categories and a few favourites."""
    by_sku = {
        item.sku: item
        for item in db.session.scalars(select(Product).where(Product.sku.in_(FEATURED)))
    }
    featured = [by_sku[sku] for sku in FEATURED if sku in by_sku]
    return render_template("demo/home.html", featured=featured)


@blueprint.route("/shop/")
def catalogue() -> str:
    """Every product, or one category's (``?category=plants``)."""
    slug = request.args.get("category") or None
    category = CATEGORY_BY_SLUG.get(slug) if slug else None
    if slug and category is None:
        abort(404)
    query = select(Product).order_by(Product.position)
    if category is not None:
        query = query.where(Product.category == category.slug)
    products = db.session.scalars(query).all()
    return render_template(
        "demo/catalogue.html",
        products=products,
        category=category,
    )


@blueprint.route("/shop/<slug>")
def product(slug: str) -> str:
    item = db.session.scalars(select(Product).where(Product.slug == slug)).one_or_none()
    if item is None:
        abort(404)
    related = db.session.scalars(
        select(Product)
        .where(Product.category == item.category, Product.id != item.id)
        .order_by(Product.position)
        .limit(4)
    ).all()
    return render_template(
        "demo/product.html",
        product=item,
        category=CATEGORY_BY_SLUG[item.category],
        related=related,
    )


# -- cart and checkout -------------------------------------------------------------------


@blueprint.route("/cart/")
def cart() -> str:
    lines = _cart().lines()
    return render_template("demo/cart.html", lines=lines, total=Cart.total(lines))


@blueprint.post("/cart/add")
def cart_add() -> Response:
    form = AddToCartForm()
    back = safe_next(form.next.data, url_for("shop.cart"))
    if not form.validate():
        flash(_("That quantity is not possible. Choose between 1 and 20."), "error")
        return redirect(back)
    item = db.session.scalars(select(Product).where(Product.sku == form.sku.data)).one_or_none()
    if item is None:
        flash(_("Sorry, that product is no longer available."), "error")
        return redirect(back)
    assert form.quantity.data is not None
    _cart().add(item.sku, form.quantity.data)
    flash(_("Added %(product)s to your cart.", product=_(item.name)), "success")
    return redirect(back)


@blueprint.post("/cart/update")
def cart_update() -> Response:
    form = CartLineForm()
    if form.remove.data:
        form.quantity.data = 0
    if form.validate() and form.quantity.data is not None and form.sku.data:
        _cart().set(form.sku.data, form.quantity.data)
    else:
        flash(_("That quantity is not possible. Choose between 0 and 20."), "error")
    return redirect(url_for("shop.cart"))


@blueprint.route("/checkout", methods=["GET", "POST"])
@login_required
def checkout() -> str | Response:
    """Review the cart and place the order; the order goes to shopcare as it is placed."""
    basket = _cart()
    if request.method == "POST":
        # Submitted again after the order went through (back button, a retry)?
        placed = already_placed(request.form.get("checkout_key", ""))
        if placed is not None and placed.user_id == str(current_user.id):
            return redirect(url_for("shop.confirmation", reference=placed.reference))
    lines = basket.lines()
    if not lines:
        flash(_("Your cart is empty."), "info")
        return redirect(url_for("shop.catalogue"))
    form = CheckoutForm()
    if form.validate_on_submit():
        key = form.checkout_key.data or ""
        try:
            order = place_order(
                current_user,
                current_user.email,
                [(line.product, line.quantity) for line in lines],
                datetime.now(UTC),
                locale=str(get_locale() or "en"),
                checkout_key=key,
            )
            send_confirmation(order, current_user.first_name)
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            current_app.logger.warning("checkout refused by shopcare: %s", error)
            flash(_("We could not place this order. Please check your cart."), "error")
            return redirect(url_for("shop.cart"))
        except IntegrityError:
            # The same page submitted twice at once: the other request placed it.
            db.session.rollback()
            twin = already_placed(key)
            if twin is None:
                raise
            order = twin
        basket.clear()
        return redirect(url_for("shop.confirmation", reference=order.reference))
    form.checkout_key.data = secrets.token_urlsafe(24)
    return render_template("demo/checkout.html", lines=lines, total=Cart.total(lines), form=form)


@blueprint.route("/checkout/thanks/<reference>")
@login_required
def confirmation(reference: str) -> str:
    order = care.orders.get(reference)
    if order is None or order.user_id != str(current_user.id):
        abort(404)
    return render_template("demo/confirmation.html", order=order)


# -- login and account -------------------------------------------------------------------


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = LoginForm(next=request.args.get("next", ""))
    error = None
    if form.validate_on_submit():
        assert form.email.data is not None and form.password.data is not None
        user = db.session.scalars(
            select(User).where(func.lower(User.email) == form.email.data.strip().lower())
        ).one_or_none()
        if user is not None and user.check_password(form.password.data):
            login_user(user, remember=bool(form.remember.data))
            flash(_("Welcome back, %(name)s.", name=user.first_name), "success")
            return redirect(safe_next(form.next.data, url_for("shop.account")))
        error = _("Wrong e-mail or password.")
    return render_template("demo/login.html", form=form, error=error)


@blueprint.post("/logout")
def logout() -> Response:
    if LogoutForm().validate_on_submit():
        logout_user()
        flash(_("You are logged out. See you soon!"), "info")
    return redirect(url_for("shop.home"))


@blueprint.route("/account/")
@login_required
def account() -> str:
    """The shopper's details and orders (read from shopcare, which the shop fed), each
    with the status shopcare's own pages show (``care.tracking.order_statuses``)."""
    orders = care.orders.for_user(current_user.id)
    statuses = care.tracking.order_statuses(order.reference for order in orders)
    return render_template("demo/account.html", orders=orders, statuses=statuses)
