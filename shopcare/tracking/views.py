"""The shopper's tracking pages (``shopcare.tracking.*``), the care home's card and the
staff's late list (``shopcare.staff.late_shipments``); ``shopcare.tracking.wiring``
adds them to the app."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_currency, get_locale
from jinja2 import Template, nodes, pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from werkzeug.wrappers import Response

from shopcare.core import web
from shopcare.core.access import (
    current_user_id,
    is_staff,
    login_required,
    login_url,
    may_see_order,
    owner_of,
    owns_order,
    public,
    staff_required,
)
from shopcare.core.cache import page_cache
from shopcare.core.db import session, utcnow
from shopcare.core.errors import NotFound, TransitionError, ValidationError
from shopcare.core.events import Actor, Event
from shopcare.core.html import escaped
from shopcare.core.i18n import Catalog, _, _l, formats, same_zone, shop_zone
from shopcare.core.paging import page_number
from shopcare.core.ratelimit import check, limit
from shopcare.core.state import HomeCard, Routes, get_state
from shopcare.orders.services import reference_key
from shopcare.tracking.carriers import carrier_info, carriers
from shopcare.tracking.forms import LookupForm, ResolveForm
from shopcare.tracking.fragment import order_tracking_html
from shopcare.tracking.guests import GuestLinkExpired, GuestOrder
from shopcare.tracking.queries import OrderTracking, VersionedOrder
from shopcare.tracking.resolutions import NoteChanged, ParcelDelivered
from shopcare.tracking.services import ShipmentTracker, current_tracker
from shopcare.tracking.statuses import PROGRESS_STEPS

blueprint = Blueprint("tracking", __name__, url_prefix="/tracking")
#: Tracking's pages in the staff area.
staff_pages = Routes()

# -- words the shopper reads --------------------------------------------------------

#: A parcel's status. A shipment exists once the parcel was handed to the carrier, so
#: ``pending`` (no carrier scan yet) is not "preparing"; an order with no parcel is
#: (see :class:`shopcare.tracking.summary.OrderStatus`).
STATUS_LABELS: dict[str, Any] = {
    "pending": _l("Handed to the carrier"),
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
    "pending": _l("Ordered"),
    "in_transit": _l("Shipped"),
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
    """The nine statuses in the shopper's language, translated once per process and
    language (while templates auto-reload, as in debug mode, once per request)."""
    locale = get_locale()
    key = str(locale)
    labels = None if current_app.jinja_env.auto_reload else _STATUS_LABELS.get(key)
    if labels is None:
        labels = {status: str(label) for status, label in STATUS_LABELS.items()}
        _STATUS_LABELS[key] = labels
    return labels


#: language -> the nine statuses' labels in it (see :func:`status_labels`).
_STATUS_LABELS: dict[str, dict[str, str]] = {}
#: language -> the progress bar's steps with their labels (see :func:`step_labels`).
_STEP_LABELS: dict[str, list[tuple[str, str]]] = {}


def step_labels() -> list[tuple[str, str]]:
    """The progress bar's steps and their labels in the shopper's language, once per
    process and language (like :func:`status_labels`)."""
    key = str(get_locale())
    steps = None if current_app.jinja_env.auto_reload else _STEP_LABELS.get(key)
    if steps is None:
        steps = [(status, str(STEP_LABELS[status])) for status in PROGRESS_STEPS]
        _STEP_LABELS[key] = steps
    return steps


def _label_lookup(labels: dict[str, str]) -> Callable[[str], str]:
    def label(status: str) -> str:
        return labels.get(status, status)

    return label


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

    The window is made of whole days in the shop's time zone, so it is shown there;
    when the page shows another zone (the shopper's), it names the shop's:
    ``March 12 - 14 (Madrid time)``.
    """
    fmt = formats()
    zone = shop_zone()
    text = fmt.window(earliest.astimezone(zone).date(), latest.astimezone(zone).date())
    if same_zone(zone, fmt.zone):
        return text
    return _("%(window)s (%(place)s time)", window=text, place=fmt.zone_name(zone))


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


def _has_entry_macro(template: Template) -> bool:
    """Whether a timeline template defines an ``entry(event)`` macro (read from its
    source once per app, like the template look-up; a host's plain template has none)."""
    env = current_app.jinja_env
    memo: dict[str, bool] = (
        {} if env.auto_reload else get_state().memo.setdefault("tracking.timeline_macros", {})
    )
    known = memo.get(str(template.name))
    if known is None:
        source, _filename, _uptodate = env.loader.get_source(env, str(template.name))  # type: ignore[union-attr]
        known = any(
            isinstance(node, nodes.Macro) and node.name == "entry"
            for node in env.parse(source).body
        )
        memo[str(template.name)] = known
    return known


def entry_macros() -> Callable[..., Any]:
    """The order page's ``entry_macro(template)``: a timeline template's ``entry(event)``
    macro, imported once a page with the page's context (so sixteen events cost two or
    three imports, not sixteen includes), or ``None`` for a template without one, which
    the page includes. A template with the macro renders nothing when ``event`` is not
    defined (its import) and ``entry(event)`` when it is (its include)."""
    macros: dict[str, Any] = {}

    @pass_context
    def entry_macro(context: Context, template: Template) -> Any:
        name = str(template.name)
        if name not in macros:
            macros[name] = (
                getattr(template.make_module(context.get_all(), True), "entry", None)
                if _has_entry_macro(template)
                else None
            )
        return macros[name]

    return entry_macro


#: One timeline entry as ``_order_tracking.html``'s loop writes it: the whitespace
#: around it is the loop's own, so the list is the same byte for byte.
_ENTRY = (
    '\n    \n    \n    <li class="sc-timeline-entry">\n      <time datetime="{iso}">{when}</time>'
    "\n      <div>{entry}</div>\n    </li>\n    \n    "
)
#: What the loop writes for an entry that renders nothing.
_NO_ENTRY = "\n    \n    \n    "


def _python_entries(entries: list[tuple[Event, Template]]) -> list[Callable[..., Any]] | None:
    """Each entry's Python renderer (``State.add_timeline_entry``), or ``None`` when
    one of the templates has none or is not shopcare's own file (a host's template of
    that name): then the page renders the timeline through the templates. Which
    templates are shopcare's own is read once per app, like the templates themselves."""
    env = current_app.jinja_env
    state = get_state()
    memo: dict[str, Any] = (
        {} if env.auto_reload else state.memo.setdefault("tracking.timeline_python", {})
    )
    renderers = []
    for _event, template in entries:
        name = str(template.name)
        render = memo.get(name, False)
        if render is False:
            render = state.timeline_entries.get(name)
            if render is not None and not web.is_own(template):
                render = None
            memo[name] = render
        if render is None:
            return None
        renderers.append(render)
    return renderers


def timeline_html(
    entries: list[tuple[Event, Template]], names: dict[str, Any], when: Callable[[Any], str]
) -> Markup | None:
    """The order page's timeline list (the ``<li>`` of each entry, newest first), as the
    loop in ``_order_tracking.html`` writes it, with each entry made by its Python
    renderer; ``None`` when an entry has none (the template's loop renders them all)."""
    renderers = _python_entries(entries)
    if renderers is None:
        return None
    parts = []
    for (event, _template), render in zip(entries, renderers, strict=True):
        entry = render(event, names)
        if entry and not entry.isspace():  # the loop's ``entry|trim``, without a new Markup
            moment = event.occurred_at  # an aware datetime: its ISO form needs no escaping
            parts.append(
                _ENTRY.format(iso=moment.isoformat(), when=escaped(when(moment)), entry=entry)
            )
        else:
            parts.append(_NO_ENTRY)
    return Markup("".join(parts))  # nosec B704: each part escaped or made by a renderer


def _field_message(name: str) -> str:
    messages = {
        "reference": _("Enter the order number as it appears in your confirmation."),
        "email": _("Enter a valid e-mail address."),
    }
    return messages.get(name, _("Check this value."))


# -- shopper pages ---------------------------------------------------------------


@blueprint.route("/", methods=["GET", "POST"])
@limit("guest_lookup", methods=("POST",))
@web.form_view
@public
def lookup() -> Response | str:
    """Find an order by its number and e-mail; a match goes to its page by a signed link.

    No such order and a wrong e-mail get the same page, status and work. An expired or
    missing form token shows the form again, filled in, asking to send it again. Every
    post counts against the sender's address; a well-formed one (its form token valid,
    its fields filled in) also against the order it names, keyed from the parsed form
    however it was sent (a form, or JSON) and matched as look-ups match references, so
    a look-up cannot dodge the per-order limit by its encoding, and junk posts by a
    stranger cannot lock the owner out.
    """
    form = LookupForm()
    if request.method == "GET" and not form.reference.data:
        form.reference.data = request.args.get("reference", "")[:64]
    no_match = False
    if form.validate_on_submit():
        key = reference_key(form.reference.data)
        if key is not None:
            check("guest_lookup", key=lambda: f"ref:{key}", scope="guest_lookup_reference")
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
    token = getattr(form, "csrf_token", None)  # absent when the host turned CSRF off
    expired = request.method == "POST" and (
        bool(token is not None and token.errors) or web.form_expired()
    )
    return render_template(
        "shopcare/tracking/lookup.html",
        form=form,
        no_match=no_match,
        expired=expired,
        login_link=login_url(),
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
@owner_of("order")
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
    catalog = Catalog.current()  # the locale's translations, looked up once a page
    html = render_template(
        "shopcare/tracking/order.html",
        order=found,
        tracking_html=_tracking_html(tracker, versioned, catalog),
        order_panels=web.order_panels,
        own=(own := owns_order(found)),
        staff_view=not own and is_staff(),
        # The page, its panels and the layout translate two dozen strings.
        _sc=catalog.gettext,
        _scn=catalog.ngettext,
    )
    response = make_response(html)
    # The guest key is in the URL: keep it out of Referer headers and shared caches.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _tracking_html(tracker: ShipmentTracker, versioned: VersionedOrder, catalog: Catalog) -> Markup:
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
    # Parcels as light rows while only shopcare's own templates can show them.
    own = web.own_templates(FRAGMENT_TEMPLATES) and _own_timeline_templates()
    tracking = tracker.order_tracking(versioned.order, now=now, rows=own)
    timeline = timeline_entries(tracking)
    names = {
        "_sc": catalog.gettext,
        "tracking": tracking,
        # The labels of this language, looked up once for the whole fragment.
        "shopcare_status_label": _label_lookup(status_labels()),
        "shopcare_carrier_name": carrier_name,
        "memo": {},  # what an entry renderer keeps for the rest of the page
    }
    context = dict(
        order=versioned.order,
        tracking=tracking,
        timeline=timeline,
        timeline_html=timeline_html(timeline, names, fmt.when),
        entry_macro=entry_macros(),
        steps=step_labels(),
        shopcare_status_label=names["shopcare_status_label"],
        shopcare_status_badge=status_badge,
        date_window=date_window,
        when=fmt.when,
        day=partial(fmt.day, now=now),
        money=fmt.money,
        money_minor=fmt.money_minor,
        contact=web.shop_contact(),
        _sc=catalog.gettext,
        _scn=catalog.ngettext,
    )
    if context["timeline_html"] is not None and web.own_templates(FRAGMENT_TEMPLATES):
        # shopcare's own fragment reads only these names: its Python twin writes the
        # same HTML (tracking.fragment); the context processors have nothing to add.
        html = order_tracking_html(context)
    else:
        html = Markup(render_template(FRAGMENT_TEMPLATES[0], **context))  # nosec B704
    if cache is not None:
        until = min(t for t in (tracking.changes_at, fmt.next_year_starts(now)) if t is not None)
        cache.set(key, html, ttl=(until - now).total_seconds())
    return html


#: The order page's tracking part and the templates it includes.
FRAGMENT_TEMPLATES = (
    "shopcare/tracking/_order_tracking.html",
    "shopcare/tracking/_progress.html",
    "shopcare/tracking/_help.html",
)


def _own_timeline_templates() -> bool:
    """Whether every template the app has under ``shopcare/timeline/`` is shopcare's
    own file (a host's entry template may read anything of ``tracking``), read once
    per app; ``False`` while templates auto-reload and when the loader cannot list
    its templates."""
    env = current_app.jinja_env
    if env.auto_reload:
        return False
    memo = get_state().memo
    own = memo.get("tracking.own_timeline_templates")
    if own is None:
        try:
            names = env.list_templates(filter_func=lambda name: name.startswith(TIMELINE))
        except TypeError:  # a loader that cannot list its templates
            own = False
        else:
            own = all(web.is_own(env.get_template(name)) for name in names)
        memo["tracking.own_timeline_templates"] = own
    return bool(own)


#: Where the timeline's entry templates live.
TIMELINE = "shopcare/timeline/"


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


def late_count() -> int:
    """How many parcels are late now (the staff home shows it)."""
    return current_tracker().late_counts().total


RESOLUTION_LABELS: dict[str, Any] = {
    "delivered": _l("Delivered after all"),
    "reshipped": _l("Reshipped"),
    "refunded": _l("Refunded"),
    "lost": _l("Lost"),
}
REASON_LABELS: dict[str, Any] = {
    "overdue": _l("Past its window"),
    "exception": _l("Delivery problem"),
    "failed_attempt": _l("Delivery attempt failed"),
}
AGE_LABELS: dict[str, Any] = {
    "week": _l("Up to 7 days late"),
    "month": _l("8 to 30 days late"),
    "older": _l("More than 30 days late"),
}


@blueprint.app_template_global("shopcare_resolution_label")
def resolution_label(resolution: str) -> str:
    """How staff resolved a late parcel, in the reader's language."""
    label = RESOLUTION_LABELS.get(resolution)
    return str(label) if label is not None else resolution


def _late_filters() -> dict[str, str]:
    """The late list's filters from the query string, the valid ones only."""
    wanted = {
        "carrier": request.args.get("carrier", ""),
        "reason": request.args.get("reason", ""),
        "age": request.args.get("age", ""),
    }
    valid = {
        "carrier": lambda value: value in carriers(),
        "reason": lambda value: value in REASON_LABELS,
        "age": lambda value: value in AGE_LABELS,
    }
    return {name: value for name, value in wanted.items() if value and valid[name](value)}


@staff_pages.route("/late-shipments")
@staff_required
def late_shipments() -> str:
    """Open late parcels, most overdue first, filtered by carrier, reason and age, with
    the counts, the customer's e-mail, staff's note and a resolution form per row."""
    return _late_page()


def _late_page(refused: dict[str, Any] | None = None) -> str:
    """The late list; ``refused``: the row whose form was not saved (``id``), what was
    typed in it (``note``, ``resolution``) and why (``message``), shown in that row."""
    page = page_number()
    filters = _late_filters()
    tracker = current_tracker()
    listing = tracker.late_shipments(
        page, carrier=filters.get("carrier"), reason=filters.get("reason"), age=filters.get("age")
    )
    if page > 1 and not listing.items:
        abort(404)
    return render_template(
        "shopcare/staff/late_shipments.html",
        listing=listing,
        counts=tracker.late_counts(),
        filters=filters,
        reasons=REASON_LABELS,
        ages=AGE_LABELS,
        resolutions=RESOLUTION_LABELS,
        form=ResolveForm(formdata=None),
        refused=refused or {},
    )


@staff_pages.post("/late-shipments/<int(min=1, max=2147483647):shipment_id>")
@staff_required
@web.form_view
def resolve_shipment(shipment_id: int) -> Response | tuple[str, int]:
    """Save a note on a late parcel and, when one is chosen, its resolution. A form
    that is not saved shows the list again with what was typed in that row and why:
    an expired token, a note too long, a note someone else changed since the page was
    read, a parcel someone else resolved or the carrier delivered meanwhile."""
    tracker = current_tracker()
    if tracker.get(shipment_id) is None:
        abort(404)
    form = ResolveForm()
    typed = {"id": shipment_id, "note": form.note.data or "", "resolution": form.resolution.data}

    def refuse(message: str, status: int) -> tuple[str, int]:
        session().rollback()
        return _late_page({**typed, "message": message}), status

    if not form.validate_on_submit():
        if web.form_refused(form):
            return refuse(_("This form had expired. Please send it again."), 200)
        return refuse(" ".join(str(m) for ms in form.errors.values() for m in ms), 400)
    note = (form.note.data or "").strip() or None  # line breaks made LF by the form
    was = (form.note_was.data or "").strip() or None
    edited = note is not None and note != was
    try:
        if edited:
            tracker.add_note(shipment_id, note or "", was=was)
        if form.resolution.data:
            shipment = tracker.resolve(shipment_id, form.resolution.data)
            message = _(
                "Parcel %(number)s resolved: %(resolution)s.",
                number=shipment.tracking_number or shipment.id,
                resolution=resolution_label(shipment.resolution),
            )
        elif edited:
            message = _("Note saved.")
        else:
            return refuse(_("Choose a resolution or change the note."), 400)
    except ValidationError:  # the form checks both first; the service's own checks
        return refuse(_("This could not be saved: check the note and the resolution."), 400)
    except NoteChanged:
        return refuse(
            _(
                "Someone else changed this note since you opened the page. Nothing was "
                "saved: read their note, then send yours again."
            ),
            409,
        )
    except TransitionError as error:
        session().rollback()
        current = tracker.get(shipment_id)
        if isinstance(error, ParcelDelivered):
            return refuse(
                _(
                    "The carrier delivered this parcel since you opened the page. Nothing was saved."
                ),
                409,
            )
        first = tracker.resolved_by(shipment_id)
        resolution = resolution_label(current.resolution) if current else "?"
        if first is not None and first == Actor.current():  # a double click
            message = _(
                "You resolved this parcel a moment ago (%(resolution)s). Nothing was changed.",
                resolution=resolution,
            )
        else:
            message = _(
                "%(who)s resolved this parcel a moment ago (%(resolution)s). Nothing was changed.",
                who=(first.label if first and first.label else _("Someone else")),
                resolution=resolution,
            )
        return refuse(message, 409)
    session().commit()
    flash(message, "success")
    return redirect(url_for(".late_shipments", **_late_filters()))  # type: ignore[arg-type]
