"""The suggestion box's pages: the intake, the shopper's tickets, the public board
(``shopcare.feedback.*``), and the staff queue and ticket page
(``shopcare.staff.feedback`` …); ``shopcare.feedback.wiring`` adds them to the app."""

from __future__ import annotations

import csv
import hmac
import io
import secrets
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup
from werkzeug.wrappers import Response

from shopcare.core import web
from shopcare.core.access import (
    current_user,
    current_user_id,
    is_staff,
    login_required,
    owner_of,
    owns_order,
    public,
    staff_required,
)
from shopcare.core.areas import AREAS
from shopcare.core.config import setting
from shopcare.core.db import session, utcnow
from shopcare.core.errors import NotFound, TransitionError, ValidationError
from shopcare.core.events import Actor
from shopcare.core.html import escaped
from shopcare.core.i18n import Catalog, _, _l, select_locale
from shopcare.core.paging import page_number
from shopcare.core.ratelimit import limit
from shopcare.core.state import HomeCard, OrderPanel, Routes, get_state
from shopcare.core.urls import page_url
from shopcare.core.validation import form_id
from shopcare.feedback.access import require_ticket, ticket_key
from shopcare.feedback.forms import (
    BOARD_LABELS,
    CHANNEL_LABELS,
    KIND_LABELS,
    PRIORITY_LABELS,
    REMEDY_LABELS,
    SLA_LABELS,
    STATUS_LABELS,
    ActionForm,
    BoardForm,
    CannedReplyForm,
    DeleteForm,
    RateForm,
    ReplyForm,
    StaffReplyForm,
    TicketForm,
    VoteForm,
)
from shopcare.feedback.machine import TICKET
from shopcare.feedback.models import (
    CHANNELS,
    KINDS,
    PRIORITIES,
    REMEDIES,
    STATUSES,
    Ticket,
)
from shopcare.feedback.services import current_desk
from shopcare.orders.models import Order
from shopcare.orders.services import normalize_email, reference_key

blueprint = Blueprint("feedback", __name__, url_prefix="/feedback")
#: The suggestion box's pages in the staff area (``state.add_staff_pages``).
staff_pages = Routes()

_BADGES = {
    "new": "sc-badge-warn",
    "acknowledged": "sc-badge-warn",
    "waiting_on_customer": "sc-badge-warn",
    "resolved": "sc-badge-ok",
    "closed": "sc-badge-ok",
}
AREA_OTHER = _l("Something else")


def area_label(key: str | None) -> str:
    return str(AREAS.get(key or "", AREA_OTHER))


@blueprint.app_context_processor
def feedback_words() -> dict[str, Any]:
    return {
        "ticket_kind_label": lambda kind: str(KIND_LABELS.get(kind, kind)),
        "ticket_status_label": lambda status: str(STATUS_LABELS.get(status, status)),
        "ticket_status_badge": lambda status: _BADGES.get(status, ""),
        "ticket_priority_label": lambda p: str(PRIORITY_LABELS.get(p, p)),
        "ticket_channel_label": lambda c: str(CHANNEL_LABELS.get(c, c)),
        "ticket_remedy_label": lambda r: str(REMEDY_LABELS.get(r, r or "")),
        "ticket_area_label": area_label,
        "ticket_board_label": lambda s: str(BOARD_LABELS.get(s, s or "")),
        "ticket_sla_label": lambda s: str(SLA_LABELS.get(s, s)),
    }


def _private(html: str) -> Response:
    response = make_response(html)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _apply(form: Any, error: ValidationError, names: dict[str, str] | None = None) -> list[str]:
    """Put a service's field errors next to the form's fields; the rest are returned."""
    rest: list[str] = []
    for name, message in error.fields.items():
        field = getattr(form, (names or {}).get(name, name), None)
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            rest.append(message)
    return rest


def _guest_order(reference: str | None, key: str | None) -> Order | None:
    """The order a guest arrived with through its signed link, if the key is genuine."""
    if not reference or not key:
        return None
    tracker = get_state().care.tracking
    try:
        order_id, signed_reference = tracker.read_guest_token(key)
    except Exception:  # NotFound, GuestLinkExpired: no grant
        return None
    order = session().get(Order, order_id)
    if order is None or reference_key(order.reference) != reference_key(reference):
        return None
    return order if signed_reference == order.reference else None


# -- shopper pages ---------------------------------------------------------------


@blueprint.route("/new", methods=["GET", "POST"])
@limit("public_submit", methods=("POST",))
@public
@web.form_view
def new() -> Response | str:
    """The intake: any kind, any area, optionally about one of the shopper's orders.

    A logged-in shopper names one of their own orders; a guest proves an order with
    its number and e-mail, or arrives from the order page through its signed link
    (``?order=…&key=…``). Staff log a phone, e-mail or in-person contact here with
    the channel it came by."""
    desk = current_desk()
    form = TicketForm()
    form.kind.choices = [(k, str(KIND_LABELS[k])) for k in KINDS]
    form.area.choices = (
        [("", _("Choose…"))]
        + [(k, str(v)) for k, v in AREAS.items()]
        + [("other", str(AREA_OTHER))]
    )
    form.remedy.choices = [("", _("Choose…"))] + [(r, str(REMEDY_LABELS[r])) for r in REMEDIES]
    staff = is_staff()
    form.channel.choices = [(c, str(CHANNEL_LABELS[c])) for c in CHANNELS]
    user = current_user()
    linked = _guest_order(request.args.get("order"), request.args.get("key"))
    if user is not None and request.args.get("order") and linked is None:
        found = get_state().care.orders.get(request.args["order"])
        if found is not None and owns_order(found, user):
            linked = found
    if request.method == "GET":
        form.kind.data = request.args.get("kind") if request.args.get("kind") in KINDS else None
        form.request_key.data = secrets.token_urlsafe(24)
        if linked is not None:
            form.order_reference.data = linked.reference
    if form.validate_on_submit():
        if form.website.data:  # the honeypot: a bot. Say thanks, keep nothing.
            flash(_("Thank you, we received your message."), "ok")
            return redirect(url_for("shopcare.index"))
        order = _chosen_order(form, linked, user)
        if not isinstance(order, bool):
            email = form.email.data or None
            if email is None and user is not None and not staff:
                email = getattr(user, "email", None)
            try:
                ticket = desk.submit(
                    form.kind.data,
                    form.subject.data,
                    form.message.data,
                    area=form.area.data or None,
                    reference=order.reference if order else None,
                    email=email,
                    remedy=(form.remedy.data or None) if form.kind.data == "complaint" else None,
                    channel=(form.channel.data or "web") if staff else "web",
                    anonymous=bool(form.anonymous.data)
                    and form.kind.data in ("suggestion", "compliment"),
                    name=form.name.data or getattr(user, "name", None),
                    user_id=None if staff else current_user_id(),
                    request_key=form.request_key.data or None,
                )
            except ValidationError as error:
                session().rollback()
                for message in _apply(form, error, {"reference": "order_reference"}):
                    flash(message, "error")
            else:
                session().commit()
                flash(
                    _("Thank you. Your reference is %(reference)s.", reference=ticket.reference),
                    "ok",
                )
                if staff:
                    return redirect(url_for("shopcare.staff.ticket", ticket=ticket.reference))
                return redirect(url_for(".ticket", ticket=ticket.reference, key=ticket_key(ticket)))
    return _private(
        render_template(
            "shopcare/feedback/new.html",
            form=form,
            linked=linked,
            staff=staff,
            logged_in=user is not None,
            board=bool(setting("SHOPCARE_FEEDBACK_BOARD")),
        )
    )


def _chosen_order(form: TicketForm, linked: Order | None, user: Any) -> Order | bool | None:
    """The order the ticket is about: ``None`` for none, ``False`` after a field error.
    The same message for an unknown number and a wrong e-mail (no guessing)."""
    typed = (form.order_reference.data or "").strip()
    if not typed:
        return None
    if linked is not None and reference_key(typed) == reference_key(linked.reference):
        return linked
    found: Order | None = get_state().care.orders.get(typed)
    if found is not None and (is_staff(user) or owns_order(found, user)):
        return found
    given = (form.order_email.data or "").strip()
    if found is not None and given:
        try:
            if hmac.compare_digest(normalize_email(given), normalize_email(found.email)):
                return found
        except ValidationError:
            pass
    form.order_reference.errors = [
        *form.order_reference.errors,
        _("We could not find an order with this number and e-mail."),
    ]
    return False


@blueprint.route("/")
@login_required
def mine() -> str:
    """The logged-in shopper's tickets, newest first."""
    page = page_number()
    user_id = current_user_id()
    assert user_id is not None
    listing = current_desk().for_shopper(user_id, page)
    if page > 1 and not listing.items:
        abort(404)
    return render_template("shopcare/feedback/mine.html", listing=listing)


def _ticket() -> tuple[Ticket, str | None]:
    reference = request.view_args["ticket"] if request.view_args else ""
    ticket = current_desk().get(reference)
    key = require_ticket(ticket)
    assert ticket is not None
    return ticket, key


@blueprint.route("/t/<ticket>", methods=["GET", "POST"])
@limit("public_submit", methods=("POST",))
@owner_of("ticket")
@web.form_view
def ticket(ticket: str) -> Response | str:
    """A ticket's private page: the conversation (no internal notes), a reply box,
    and, once resolved, the question about the handling."""
    found, key = _ticket()
    desk = current_desk()
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            desk.reply(found.reference or "", form.body.data, actor=_shopper(found))
        except ValidationError as error:
            session().rollback()
            for message in _apply(form, error):
                flash(message, "error")
        except TransitionError:
            session().rollback()
            flash(_("This conversation is closed. Please write a new message."), "error")
        else:
            session().commit()
            flash(_("Thank you, your answer was sent."), "ok")
            return redirect(url_for(".ticket", ticket=found.reference, key=key))
    until = desk.reopen_until(found)
    can_write = found.status not in ("resolved", "closed") or (
        until is not None and utcnow() <= until
    )
    return _private(
        render_template(
            "shopcare/feedback/ticket.html",
            ticket=found,
            key=key,
            messages=desk.messages(found),
            form=form,
            rate_form=RateForm(),
            can_write=can_write,
        )
    )


def _shopper(ticket: Ticket) -> Actor:
    user = current_user()
    if user is not None and not is_staff(user):
        return Actor.shopper(user.get_id(), getattr(user, "email", None))
    return Actor.shopper(ticket.user_id, ticket.email)


@blueprint.route("/t/<ticket>/rate", methods=["POST"])
@limit("public_submit")
@owner_of("ticket")
def rate(ticket: str) -> Response:
    """Rate the handling (1-5 and a comment); a resolved ticket is closed by it."""
    found, key = _ticket()
    form = RateForm()
    if form.validate_on_submit():
        try:
            current_desk().rate_handling(
                found.reference or "", int(form.score.data), form.comment.data or "",
                actor=_shopper(found),
            )  # fmt: skip
        except (ValidationError, TransitionError) as error:
            session().rollback()
            flash(str(getattr(error, "fields", {}).get("score", error)), "error")
        else:
            session().commit()
            flash(_("Thank you for telling us."), "ok")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
    return redirect(url_for(".ticket", ticket=found.reference, key=key))


def feedback_card() -> HomeCard | None:
    """The care home's suggestion box card, for everyone."""
    return HomeCard(
        title=_("Suggestions and complaints"),
        text=_("Tell us what went wrong, what we could do better, or what you liked."),
        url=url_for("shopcare.feedback.new"),
    )


#: The order page's "questions" panel: what a host overrides.
PANEL = "shopcare/feedback/_order_panel.html"


def order_panel(order: Order) -> OrderPanel | None:
    """The order page's "questions" panel: write to us about this order. While the app
    loads shopcare's own template, the panel is written here, byte for byte as the
    template writes it (``tests/feedback/test_feedback_panel.py``): it shows on every
    view of an order, and an include costs more than the panel."""
    key = request.args.get("key")
    html = None
    if web.own_templates((PANEL,)):
        _sc = Catalog.current().gettext
        href = page_url("shopcare.feedback.new", order=order.reference, key=key)
        html = Markup(  # nosec B704: every value escaped, as the template does
            '<section class="sc-panel sc-feedback-panel" '
            'aria-labelledby="sc-feedback-panel-title">\n'
            f'  <h2 id="sc-feedback-panel-title">'
            f"{escaped(_sc('Questions, complaints and suggestions'))}</h2>\n"
            f'  <p><a class="sc-button sc-button-secondary" href="{escaped(href)}">'
            f"{escaped(_sc('Write to us about this order'))}</a></p>\n</section>"
        )
    return OrderPanel(PANEL, {"order": order, "key": key}, html=html)


# -- the public board -------------------------------------------------------------


def _board_on() -> None:
    if not setting("SHOPCARE_FEEDBACK_BOARD"):
        abort(404)


@blueprint.route("/board")
@public
def board() -> str:
    """Published suggestions, by votes or newest, with their status and staff note."""
    _board_on()
    sort = "newest" if request.args.get("sort") == "newest" else "votes"
    page = page_number()
    listing = current_desk().board(sort=sort, page=page)
    if page > 1 and not listing.items:
        abort(404)
    return render_template(
        "shopcare/feedback/board.html", listing=listing, sort=sort, form=VoteForm(),
        logged_in=current_user_id() is not None,
    )  # fmt: skip


@blueprint.route("/board/<ticket>/vote", methods=["POST"])
@limit("public_submit")
@public
def vote(ticket: str) -> Response:
    """A verified buyer's vote (once each)."""
    _board_on()
    user_id = current_user_id()
    form = VoteForm()
    if user_id is None:
        flash(_("Log in to vote."), "error")
    elif form.validate_on_submit():
        try:
            added = current_desk().vote(ticket, user_id)
        except (ValidationError, NotFound) as error:
            session().rollback()
            flash(
                str(
                    getattr(error, "fields", {}).get(
                        "user_id", _("This suggestion takes no votes.")
                    )
                ),
                "error",
            )
        else:
            session().commit()
            flash(
                _("Thank you for your vote.") if added else _("You already voted for this."), "ok"
            )
    return redirect(url_for(".board", sort=request.args.get("sort")))


@blueprint.route("/similar")
@public
def similar() -> Response:
    """Published suggestions like the words typed so far (JSON, for the intake)."""
    if not setting("SHOPCARE_FEEDBACK_BOARD"):
        return jsonify(items=[])
    found = current_desk().similar(
        request.args.get("q", ""), sort=request.args.get("sort", "relevance")
    )
    items = [{"reference": t.reference, "subject": t.subject, "votes": t.vote_count} for t in found]
    # <, >, & and ' as \u escapes: the same JSON, and inert even if a browser sniffs it
    return Response(htmlsafe_json_dumps({"items": items}), mimetype="application/json")


# -- staff -------------------------------------------------------------------------

PER_PAGE = 50


def _filters() -> dict[str, Any]:
    args = request.args
    return {
        "kind": args.get("kind") if args.get("kind") in KINDS else None,
        "area": args.get("area") if args.get("area") in (*AREAS, "other") else None,
        "status": args.get("status") if args.get("status") in (*STATUSES, "open") else None,
        "priority": args.get("priority") if args.get("priority") in PRIORITIES else None,
        "assignee_id": (args.get("assignee") or "").strip()[:64] or None,
        "sla_state": args.get("sla") if args.get("sla") in SLA_LABELS else None,
    }


@staff_pages.route("/feedback", endpoint="feedback")
@staff_required
def staff_queue() -> str:
    """The staff queue with its filters, SLA clocks, bulk assign and the figures."""
    page = page_number()
    filters = _filters()
    desk = current_desk()
    listing = desk.queue(**filters, page=page, per_page=PER_PAGE)
    if page > 1 and not listing.items:
        abort(404)
    now = utcnow()
    kept = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "shopcare/staff/feedback.html",
        listing=listing,
        figures=_figures(filters),
        sla={t.id: desk.sla_state(t, now) for t in listing.items},
        args=request.args,
        kept=kept,
        kinds=KINDS,
        areas=[*AREAS, "other"],
        statuses=STATUSES,
        priorities=PRIORITIES,
        sla_states=list(SLA_LABELS),
        form=ActionForm(),
    )


#: How long the queue's figures are kept (seconds): they read every ticket the filters
#: match, so the queue page does not recount 20,000 tickets on every view.
FIGURES_SECONDS = 60


def _figures(filters: dict[str, Any]) -> Any:
    """The figures for ``filters``, from the page cache when they were counted in the
    last :data:`FIGURES_SECONDS` (the same for every staff member)."""
    from shopcare.core.cache import page_cache

    cache = page_cache()
    key = ("feedback-figures", tuple(sorted(filters.items())))
    found = cache.get(key) if cache is not None else None
    if found is None:
        found = current_desk().figures(**filters)
        if cache is not None:
            cache.set(key, found, FIGURES_SECONDS)
    return found


@staff_pages.route("/feedback.csv", endpoint="feedback_csv")
@staff_required
def staff_csv() -> Response:
    """The queue's tickets (with its filters) as CSV; cells that a spreadsheet would
    run as a formula are prefixed with an apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["reference", "kind", "area", "status", "priority", "channel", "assignee_id",
         "created_at", "first_response_at", "resolved_at", "first_response_due_at",
         "resolution_due_at", "first_response_breached", "resolution_breached",
         "satisfaction_score", "subject"]
    )  # fmt: skip

    def cell(value: Any) -> str:
        text = (
            ""
            if value is None
            else (value.isoformat() if hasattr(value, "isoformat") else str(value))
        )
        return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text

    for t in current_desk().export_rows(**_filters()):
        writer.writerow(
            [cell(v) for v in (
                t.reference, t.kind, t.area, t.status, t.priority, t.channel, t.assignee_id,
                t.created_at, t.first_response_at, t.resolved_at, t.first_response_due_at,
                t.resolution_due_at, t.first_response_breached_at is not None,
                t.resolution_breached_at is not None, t.satisfaction_score, t.subject,
            )]
        )  # fmt: skip
    response = make_response(out.getvalue())
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = "attachment; filename=feedback.csv"
    return response


@staff_pages.post("/feedback/assign", endpoint="feedback_assign")
@staff_required
def staff_assign() -> Response:
    """Bulk assign the ticked tickets."""
    form = ActionForm()
    if form.validate_on_submit():
        references = request.form.getlist("reference")[:500]
        try:
            done = current_desk().assign_many(references, form.assignee_id.data or None)
        except ValidationError as error:
            session().rollback()
            flash(str(error), "error")
        else:
            session().commit()
            flash(_("Assigned %(n)d tickets.", n=done), "ok")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
    kept: dict[str, Any] = dict(request.args.items())
    return redirect(url_for("shopcare.staff.feedback", **kept))


@staff_pages.route("/feedback/<ticket>", endpoint="ticket")
@staff_required
def staff_ticket(ticket: str) -> str:
    """One ticket for staff: the conversation with internal notes, the actions, the
    SLA clocks, assignment, priority, canned replies and (suggestions) the board."""
    desk = current_desk()
    found = desk.get(ticket)
    if found is None:
        abort(404)
    action = ActionForm()
    action.assignee_id.data = found.assignee_id
    action.priority.data = found.priority
    board = BoardForm()
    board.board_status.data = found.board_status or "under_review"
    board.note.data = found.board_note
    board.published.data = found.published
    return render_template(
        "shopcare/staff/ticket.html",
        ticket=found,
        messages=desk.messages(found, internal=True),
        allowed=TICKET.targets(found.status),
        reply_form=StaffReplyForm(),
        action_form=action,
        board_form=board,
        canned=desk.canned_replies(area=found.area),
        sla_state=desk.sla_state(found),
        reopen_until=desk.reopen_until(found),
        key=ticket_key(found),
    )


@staff_pages.route("/feedback/<ticket>/<action>", methods=["POST"], endpoint="ticket_action")
@staff_required
def staff_action(ticket: str, action: str) -> Response:
    """Reply, note, start, wait, resolve, close, reopen, assign, prioritise, board."""
    reference = ticket
    desk = current_desk()
    found = desk.get(reference)
    if found is None:
        abort(404)
    form: Any = {"reply": StaffReplyForm, "board": BoardForm}.get(action, ActionForm)()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
        return redirect(url_for("shopcare.staff.ticket", ticket=reference))
    version = form_id(request.form.get("version"))
    ref = found.reference or ""
    try:
        if action == "reply":
            desk.reply(
                ref,
                form.body.data,
                internal=bool(form.internal.data),
                waiting=bool(form.waiting.data),
            )
        elif action == "start":
            desk.start(ref, version=version)
        elif action == "wait":
            desk.wait(ref, version=version)
        elif action == "resolve":
            desk.resolve(ref, version=version)
        elif action == "close":
            desk.close(ref)
        elif action == "reopen":
            desk.reopen(ref)
        elif action == "assign":
            desk.assign(ref, form.assignee_id.data or None)
        elif action == "priority":
            desk.prioritise(ref, form.priority.data)
        elif action == "board":
            if form.into.data:
                desk.merge(ref, form.into.data)
            else:
                desk.publish(
                    ref, form.board_status.data, form.note.data, published=bool(form.published.data)
                )
        else:
            abort(404)
    except TransitionError as error:
        session().rollback()
        if error.concurrent:
            flash(
                _(
                    "Someone else changed this ticket a moment ago. Nothing was changed; here is its current state."
                ),
                "error",
            )
        else:
            flash(
                _("This ticket cannot go from %(a)s to %(b)s.",
                  a=str(STATUS_LABELS.get(error.from_state, error.from_state)),
                  b=str(STATUS_LABELS.get(error.to_state, error.to_state))),
                "error",
            )  # fmt: skip
    except (ValidationError, NotFound) as error:
        session().rollback()
        flash(str(error), "error")
    else:
        session().commit()
        flash(_("Done."), "ok")
    return redirect(url_for("shopcare.staff.ticket", ticket=reference))


# -- canned replies (staff) ----------------------------------------------------------

#: The languages a canned reply can be in, by their names in that language.
LANGUAGE_NAMES = {"en": "English", "es": "Español"}


def _languages() -> dict[str, str]:
    return {code: LANGUAGE_NAMES.get(code, code) for code in setting("SHOPCARE_LANGUAGES")}


def _areas() -> dict[str, str]:
    return {**{key: str(label) for key, label in AREAS.items()}, "other": str(AREA_OTHER)}


@staff_pages.route("/canned-replies", endpoint="canned_replies")
@staff_required
def staff_canned_replies() -> str:
    """The canned replies staff keep ready, by name and language, with a way to add one."""
    return render_template(
        "shopcare/staff/canned_replies.html",
        replies=current_desk().canned_replies(),
        languages=_languages(),
        areas=_areas(),
    )


@staff_pages.route("/canned-replies/new", methods=["GET", "POST"], endpoint="canned_reply_new")
@staff_required
def staff_canned_reply_new() -> Response | str:
    """Add a canned reply (title, name, language, area, the reply)."""
    return _canned_reply_page(None)


@staff_pages.route(
    "/canned-replies/<int(max=2147483647):reply_id>",
    methods=["GET", "POST"],
    endpoint="canned_reply",
)
@staff_required
def staff_canned_reply(reply_id: int) -> Response | str:
    """Change a canned reply; a save over a newer version is refused with a message."""
    return _canned_reply_page(reply_id)


def _canned_reply_page(reply_id: int | None) -> Response | str:
    desk = current_desk()
    reply = desk.canned_reply(reply_id) if reply_id is not None else None
    if reply_id is not None and reply is None:
        abort(404)
    form = CannedReplyForm(languages=_languages(), areas=_areas(), obj=reply)
    if request.method == "GET":
        if reply is None:
            form.locale.data = request.args.get("locale") or select_locale()
            form.key.data = (request.args.get("key") or "")[:40]
            form.version.data = ""
        else:
            form.area.data = reply.area or ""
    stale = False
    if form.validate_on_submit():
        try:
            version = form_id(form.version.data)
            saved = desk.save_canned_reply(
                key=form.key.data, locale=form.locale.data, title=form.title.data,
                body=form.body.data, area=form.area.data or None, reply_id=reply_id,
                version=version, actor=Actor.current(),
            )  # fmt: skip
        except NotFound:
            session().rollback()
            flash(_("This canned reply was deleted meanwhile."), "error")
            return redirect(url_for("shopcare.staff.canned_replies"))
        except ValidationError as error:
            session().rollback()
            for name, message in error.fields.items():
                field = getattr(form, name, None)
                if name == "version":
                    stale = True
                    flash(str(message), "error")
                elif field is not None:
                    field.errors = [*field.errors, str(message)]
                else:
                    flash(str(message), "error")
            if stale:
                reply = desk.canned_reply(reply_id)
                if reply is None:
                    abort(404)
                form.version.data = str(reply.version)
        else:
            session().commit()
            flash(_("Saved."), "ok")
            return redirect(url_for("shopcare.staff.canned_reply", reply_id=saved.id))
    elif request.method == "POST" and form.csrf_token.errors:
        flash(_("The form expired. Please send it again."), "error")
    return render_template(
        "shopcare/staff/canned_reply.html",
        form=form,
        reply=reply,
        stale=stale,
        delete_form=DeleteForm(),
        areas=_areas(),
        languages=_languages(),
    )


@staff_pages.route(
    "/canned-replies/<int(max=2147483647):reply_id>/delete",
    methods=["POST"],
    endpoint="canned_reply_delete",
)
@staff_required
def staff_canned_reply_delete(reply_id: int) -> Response:
    """Delete a canned reply, if nobody changed it since it was opened."""
    form = DeleteForm()
    if not form.validate_on_submit():
        flash(_("The form expired. Please send it again."), "error")
        return redirect(url_for("shopcare.staff.canned_reply", reply_id=reply_id))
    version = form_id(form.version.data)
    try:
        current_desk().delete_canned_reply(reply_id, version)
    except NotFound:
        session().rollback()
        flash(_("This canned reply was deleted meanwhile."), "error")
    except ValidationError as error:
        session().rollback()
        flash(str(error.fields.get("version", error)), "error")
        return redirect(url_for("shopcare.staff.canned_reply", reply_id=reply_id))
    else:
        session().commit()
        flash(_("Deleted."), "ok")
    return redirect(url_for("shopcare.staff.canned_replies"))


def open_count() -> int:
    """Open tickets, for the staff home (one query)."""
    from sqlalchemy import func, select

    from shopcare.feedback.models import OPEN

    return int(session().scalar(select(func.count(Ticket.id)).where(Ticket.status.in_(OPEN))) or 0)
