"""The shopper's tracking pages (``shopcare.tracking.*``) and the staff's late list
(``shopcare.staff.late_shipments``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_interval, format_skeleton
from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_currency, format_date, format_time, get_locale, get_timezone
from werkzeug.wrappers import Response

from shopcare import web
from shopcare.auth import current_user_id, is_staff, login_required, login_url, staff_required
from shopcare.config import setting
from shopcare.db import utcnow
from shopcare.errors import NotFound, ValidationError
from shopcare.i18n import _, _l
from shopcare.ratelimit import limit
from shopcare.staff import blueprint as staff
from shopcare.staff import nav_item
from shopcare.tracking.carriers import carrier_info
from shopcare.tracking.forms import LookupForm
from shopcare.tracking.models import PROGRESS_STEPS
from shopcare.tracking.services import GuestLinkExpired, GuestOrder, current_tracker

blueprint = Blueprint("tracking", __name__, url_prefix="/tracking")

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


@blueprint.app_template_global("shopcare_status_label")
def status_label(status: str) -> str:
    """A tracking status in the shopper's language."""
    label = STATUS_LABELS.get(status)
    return str(label) if label is not None else status


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


@blueprint.app_template_filter("sc_when")
def when(value: datetime) -> str:
    """A moment, in the shopper's language and time zone (``12 mar 2026, 14:05``)."""
    locale = get_locale()
    pattern = str(locale.datetime_formats["medium"]) if locale else "{1}, {0}"
    # flask_babel's formatters convert to the shopper's time zone; the locale's pattern
    # joins them ("{1}, {0}", or "{1} 'à' {0}" whose quotes are CLDR escapes).
    return pattern.replace("'", "").format(
        format_time(value, "short"), format_date(value, "medium")
    )


@blueprint.app_template_filter("sc_day")
def day(value: datetime) -> str:
    """A day, in the shopper's language and time zone (``Thu, 12 Mar``; with the year
    when it is not this year's)."""
    zone = get_timezone()
    this_year = value.astimezone(zone).year == utcnow().astimezone(zone).year
    return format_skeleton(
        "MMMEd" if this_year else "yMMMEd", value, tzinfo=zone, locale=get_locale()
    )


def date_window(earliest: datetime, latest: datetime) -> str:
    """A delivery window as the shopper reads it: ``March 12 - 14`` (``12-14 de marzo`` in Spanish).

    The window is made of whole days in the shop's time zone, so it is shown there.
    """
    zone = ZoneInfo(setting("SHOPCARE_DEFAULT_TIMEZONE"))
    start: date = earliest.astimezone(zone).date()
    end: date = latest.astimezone(zone).date()
    return str(format_interval(start, end, "MMMMd", locale=get_locale()))


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
    page = request.args.get("page", 1, type=int) or 1
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
    found = tracker.order_for_page(reference)
    if found is None or not (
        (grant is not None and grant == (found.id, found.reference))
        or (user_id is not None and found.user_id == user_id)
        or is_staff()
    ):
        abort(404)
    tracking = tracker.order_tracking(found)
    html = render_template(
        "shopcare/tracking/order.html",
        order=found,
        tracking=tracking,
        steps=[(status, STEP_LABELS[status]) for status in PROGRESS_STEPS],
        date_window=date_window,
        format_currency=format_currency,
        order_panels=web.order_panels,
        own=user_id is not None and found.user_id == user_id,
    )
    response = make_response(html)
    # The guest key is in the URL: keep it out of Referer headers and shared caches.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@web.home_card
def track_card() -> web.HomeCard:
    """The care home's "Track an order" card."""
    if current_user_id() is not None:
        url = url_for("shopcare.tracking.orders")
    else:
        url = url_for("shopcare.tracking.lookup")
    return web.HomeCard(
        title=_("Track an order"),
        text=_("See where your parcel is and when it arrives."),
        url=url,
    )


# -- staff -----------------------------------------------------------------------

nav_item("shopcare.staff.late_shipments", _l("Late shipments"))


@staff.route("/late-shipments")
@staff_required
def late_shipments() -> str:
    """Shipments past their delivery window or in trouble, most overdue first."""
    page = request.args.get("page", 1, type=int) or 1
    listing = current_tracker().late_shipments(page)
    if page > 1 and not listing.items:
        abort(404)
    return render_template("shopcare/staff/late_shipments.html", listing=listing)


# Register the JSON endpoints, the CLI commands and the periodic job with the app.
from shopcare.tracking import api as _api  # noqa: E402, F401
from shopcare.tracking import jobs as _jobs  # noqa: E402, F401
