"""The shopper's tracking pages (``shopcare.tracking.*``), the care home's card and the
staff's late list (``shopcare.staff.late_shipments``); ``shopcare.tracking.wiring``
adds them to the app."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_currency, get_locale
from jinja2 import Template
from markupsafe import Markup
from werkzeug.wrappers import Response

from shopcare.core import web
from shopcare.core.access import (
    current_user_id,
    login_required,
    login_url,
    may_see_order,
    owns_order,
    staff_required,
)
from shopcare.core.cache import page_cache
from shopcare.core.config import setting
from shopcare.core.db import utcnow
from shopcare.core.errors import NotFound, ValidationError
from shopcare.core.events import Event
from shopcare.core.i18n import Catalog, _, _l, formats
from shopcare.core.paging import page_number
from shopcare.core.ratelimit import limit
from shopcare.core.state import HomeCard, Routes, get_state
from shopcare.tracking.carriers import carrier_info
from shopcare.tracking.forms import LookupForm
from shopcare.tracking.guests import GuestLinkExpired, GuestOrder
from shopcare.tracking.queries import OrderTracking, VersionedOrder
from shopcare.tracking.services import ShipmentTracker, current_tracker
from shopcare.tracking.statuses import PROGRESS_STEPS

blueprint = Blueprint("tracking", __name__, url_prefix="/tracking")
#: Tracking's pages in the staff area.
staff_pages = Routes()

# -- words the shopper reads --------------------------------------------------------

STATUS_LABELS: dict[str, Any] = {
    "pending": _l("Preparing"),
    "info_received": _l("Label created"),
    "in_transit": _l("In transit"),
    "out_for_delivery": _l("Out for delivery"),
    "failed_attempt": _l("Delivery attempt failed"),
    "available_for_pickup": _l("Ready for pickup"),
    "delivered": _l("Delivered"),
    "exception": _l("Delivery problem"),
    "expired": _l("Tracking stopped"),
}
STEP_LABELS: dict[str, Any] = {
    "pending": _l("Preparing"),
    "in_transit": _l("In transit"),
    "out_for_delivery": _l("Out for delivery"),
    "delivered": _l("Delivered"),
}
_BADGES = {
    "delivered": "sc-badge-ok",
    "available_for_pickup": "sc-badge-ok",
    "out_for_delivery": "sc-badge-ok",
    "failed_attempt": "sc-badge-warn",
    "expired": "sc-badge-warn",
    "exception": "sc-badge-bad",
}


def status_labels() -> dict[str, str]:
    """The nine statuses in the shopper's language, translated once per request (and
    again under ``force_locale``)."""
    locale = get_locale()
    memo: tuple[Any, dict[str, str]] | None = g.get("shopcare_status_labels")
    if memo is None or memo[0] is not locale:
        memo = (locale, {status: str(label) for status, label in STATUS_LABELS.items()})
        g.shopcare_status_labels = memo
    return memo[1]


@blueprint.app_template_global("shopcare_status_label")
def status_label(status: str) -> str:
    """A tracking status in the shopper's language."""
    return status_labels().get(status, status)


@blueprint.app_template_global("shopcare_status_badge")
def status_badge(status: str) -> str:
    """The badge class of a status (``sc-badge-ok`` …)."""
    return _BADGES.get(status, "")


@blueprint.app_template_global("shopcare_carrier_name")
def carrier_name(carrier: str | None) -> str:
    """A carrier's display name from its key."""
    return str(carrier_info(carrier or "").get("name") or carrier or "")


@blueprint.app_template_global("shopcare_guest_key")
def guest_key(order_id: int, reference: str) -> str:
    """A guest link key for an order (e-mail templates build their links with it)."""
    return current_tracker().guest_token(GuestOrder(order_id, reference))


def date_window(earliest: datetime, latest: datetime) -> str:
    """A delivery window as the shopper reads it: ``March 12 - 14`` (``12-14 de marzo`` in Spanish).

    The window is made of whole days in the shop's time zone, so it is shown there.
    """
    zone = ZoneInfo(setting("SHOPCARE_DEFAULT_TIMEZONE"))
    return formats().window(earliest.astimezone(zone).date(), latest.astimezone(zone).date())


def timeline_entries(tracking: OrderTracking) -> list[tuple[Event, Template]]:
    """The order's public events, newest first, each with the template that shows it:
    ``shopcare/timeline/<action>.html``, else ``<kind>.html``, else ``_default.html``.

    Each action is looked up once: per app when templates do not auto-reload (as
    Jinja caches the templates themselves), else once per page.
    """
    env = current_app.jinja_env
    memo: dict[str, Template] = (
        {} if env.auto_reload else get_state().memo.setdefault("tracking.timeline_templates", {})
    )
    entries = []
    for event in reversed(tracking.timeline):
        template = memo.get(event.action)
        if template is None:
            kind = event.action.split(".")[0]
            template = env.select_template(
                [
                    f"shopcare/timeline/{event.action}.html",
                    f"shopcare/timeline/{kind}.html",
                    "shopcare/timeline/_default.html",
                ]
            )
            memo[event.action] = template
        entries.append((event, template))
    return entries


def _field_message(name: str) -> str:
    messages = {
        "reference": _("Enter the order number as it appears in your confirmation."),
        "email": _("Enter a valid e-mail address."),
    }
    return messages.get(name, _("Check this value."))


# -- shopper pages ---------------------------------------------------------------


def _reference_key() -> str | None:
    """Per-reference rate-limit key: the order number as typed, normalised."""
    reference = request.form.get("reference", "").strip().lstrip("#").strip().upper()
    return f"ref:{reference[:64]}" if reference else None


@blueprint.route("/", methods=["GET", "POST"])
@limit("guest_lookup", methods=("POST",))
@limit("guest_lookup", key=_reference_key, scope="guest_lookup_reference", methods=("POST",))
def lookup() -> Response | str:
    """Find an order by its number and e-mail; a match goes to its page by a signed link.

    No such order and a wrong e-mail get the same page, status and work.
    """
    form = LookupForm()
    if request.method == "GET" and not form.reference.data:
        form.reference.data = request.args.get("reference", "")[:64]
    no_match = False
    if form.validate_on_submit():
        tracker = current_tracker()
        try:
            found = tracker.find_for_guest(form.reference.data or "", form.email.data or "")
        except ValidationError as error:
            for name in error.fields:
                field = getattr(form, name, None)
                if field is not None:
                    field.errors = [*field.errors, _field_message(name)]
        else:
            if found is not None:
                return redirect(
                    url_for(".order", reference=found.reference, key=tracker.guest_token(found))
                )
            no_match = True
    return render_template(
        "shopcare/tracking/lookup.html", form=form, no_match=no_match, login_link=login_url()
    )


@blueprint.route("/orders")
@login_required
def orders() -> str:
    """The logged-in shopper's orders, newest first, 20 a page."""
    page = page_number()
    user_id = current_user_id()
    assert user_id is not None  # login_required
    listing = current_tracker().orders_for_user(user_id, page)
    if page > 1 and not listing.items:
        abort(404)
    return render_template(
        "shopcare/tracking/orders.html", listing=listing, format_currency=format_currency
    )


@blueprint.route("/orders/<reference>")
def order(reference: str) -> Response:
    """One order: its shipments, progress, estimate and timeline.

    For its owner's session, a valid guest link (``?key=…``) or staff; anyone else
    gets 404, whether the order exists or not.
    """
    tracker = current_tracker()
    grant: tuple[int, str] | None = None
    key = request.args.get("key")
    if key:
        try:
            grant = tracker.read_guest_token(key)
        except GuestLinkExpired:
            flash(
                _("This link has expired. Enter your order number and e-mail address again."),
                "error",
            )
            return redirect(url_for(".lookup", reference=reference))
        except NotFound:
            abort(404)
    user_id = current_user_id()
    if grant is None and user_id is None:
        return redirect(url_for(".lookup", reference=reference))
    versioned = tracker.versioned_order(reference)
    if versioned is None:
        abort(404)
    found = versioned.order
    if not may_see_order(found, guest_grant=grant):
        abort(404)
    # Access is granted: only now may the cache hand out this order's fragment.
    html = render_template(
        "shopcare/tracking/order.html",
        order=found,
        tracking_html=_tracking_html(tracker, versioned),
        order_panels=web.order_panels,
        own=owns_order(found),
    )
    response = make_response(html)
    # The guest key is in the URL: keep it out of Referer headers and shared caches.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _tracking_html(tracker: ShipmentTracker, versioned: VersionedOrder) -> Markup:
    """The order page's tracking part (header, parcels, progress, estimates, items,
    timeline), rendered, or from the page cache.

    The cache key is the order's version (its row and its event log: any change to
    what this shows records an event), the shopper's locale and time zone; an entry
    lives until the clock alone would change the output (a delivery window closes,
    the year turns) and at most ``SHOPCARE_PAGE_CACHE_SECONDS``. Nothing in it
    depends on who is looking, only on what they may see, which the caller checked.
    """
    fmt = formats()
    cache = page_cache()
    key = ("shopcare.tracking.order", *versioned.version, str(fmt.locale), str(fmt.zone))
    if cache is not None:
        cached = cache.get(key)
        if isinstance(cached, Markup):
            return cached
    now = utcnow()
    tracking = tracker.order_tracking(versioned.order, now=now)
    catalog = Catalog()  # the locale's translations, looked up once for the whole fragment
    html = Markup(
        render_template(
            "shopcare/tracking/_order_tracking.html",
            order=versioned.order,
            tracking=tracking,
            timeline=timeline_entries(tracking),
            steps=[(status, str(STEP_LABELS[status])) for status in PROGRESS_STEPS],
            date_window=date_window,
            when=fmt.when,
            day=partial(fmt.day, now=now),
            money=fmt.money,
            _sc=catalog.gettext,
            _scn=catalog.ngettext,
        )
    )
    if cache is not None:
        until = min(t for t in (tracking.changes_at, fmt.next_year_starts(now)) if t is not None)
        cache.set(key, html, ttl=(until - now).total_seconds())
    return html


def track_card() -> HomeCard:
    """The care home's "Track an order" card."""
    if current_user_id() is not None:
        url = url_for("shopcare.tracking.orders")
    else:
        url = url_for("shopcare.tracking.lookup")
    return HomeCard(
        title=_("Track an order"),
        text=_("See where your parcel is and when it arrives."),
        url=url,
    )


# -- staff -----------------------------------------------------------------------


@staff_pages.route("/late-shipments")
@staff_required
def late_shipments() -> str:
    """Shipments past their delivery window or in trouble, most overdue first."""
    page = page_number()
    listing = current_tracker().late_shipments(page)
    if page > 1 and not listing.items:
        abort(404)
    return render_template("shopcare/staff/late_shipments.html", listing=listing)
