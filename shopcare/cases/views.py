"""The shopper's case pages (``shopcare.cases.*``), the order page's panels, and the
staff queue (``shopcare.staff.cases`` …); ``shopcare.cases.wiring`` adds them to the app."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from markupsafe import Markup
from werkzeug.wrappers import Response

from shopcare.cases import clocks, panel
from shopcare.cases import photos as photo_files
from shopcare.cases.access import guest_key, require_case, require_order
from shopcare.cases.forms import (
    REASON_LABELS,
    REMEDY_LABELS,
    ActionForm,
    CaseForm,
    ConfirmWithdrawalForm,
    NoteForm,
    RejectForm,
    WithdrawalForm,
)
from shopcare.cases.machine import CASE
from shopcare.cases.models import FLAGS, KINDS, OUTCOMES, STATUSES, Case
from shopcare.cases.services import REMEDY_OUTCOME, current_desk, eligibilities, order_facts
from shopcare.core import shared_reads, web
from shopcare.core.access import (
    current_user,
    current_user_id,
    login_required,
    owner_of,
    safe_next,
    staff_required,
)
from shopcare.core.db import session, utcnow
from shopcare.core.errors import NotFound, TransitionError, ValidationError
from shopcare.core.html import escaped
from shopcare.core.i18n import Catalog, _, _l, formats
from shopcare.core.paging import page_number
from shopcare.core.ratelimit import limit
from shopcare.core.state import HomeCard, OrderPanel, Routes, get_state
from shopcare.orders.models import Order, minor_to_decimal

blueprint = Blueprint("cases", __name__, url_prefix="/cases")
#: The cases' pages in the staff area (``state.add_staff_pages`` in the wiring).
staff_pages = Routes()

KIND_LABELS = {
    "withdrawal": _l("Withdrawal"),
    "return": _l("Return"),
    "guarantee": _l("Guarantee claim"),
}
STATUS_LABELS = {
    "requested": _l("Requested"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "received": _l("Items received"),
    "resolved": _l("Resolved"),
    "closed": _l("Closed"),
    "cancelled": _l("Cancelled"),
}
NEXT_STEPS = {
    "requested": _l("We will look at your request and write to you."),
    "approved": _l("Send the items back with the return slip inside the parcel."),
    "received": _l("We received the items and are checking them."),
    "resolved": _l("Your request is resolved."),
    "rejected": _l("Your request was not accepted."),
    "closed": _l("This request is closed."),
    "cancelled": _l("You cancelled this request."),
}
OUTCOME_LABELS = {
    "refunded": _l("Refunded"),
    "exchanged": _l("Exchanged"),
    "credited": _l("Store credit issued"),
    "repaired": _l("Repaired"),
    "replaced": _l("Replaced"),
}
FLAG_LABELS = {
    "many_cases": _l("Many cases in 90 days"),
    "high_value": _l("High value"),
    "no_photos": _l("Defect without photos"),
    "not_delivered": _l("Not delivered"),
}
_BADGES = {
    "approved": "sc-badge-ok",
    "resolved": "sc-badge-ok",
    "received": "sc-badge-ok",
    "requested": "sc-badge-warn",
    "rejected": "sc-badge-bad",
}


@blueprint.app_context_processor
def case_words() -> dict[str, Any]:
    return {
        "case_kind_label": lambda kind: str(KIND_LABELS.get(kind, kind)),
        "case_status_label": lambda status: str(STATUS_LABELS.get(status, status)),
        "case_status_badge": lambda status: _BADGES.get(status, ""),
        "case_outcome_label": lambda outcome: str(OUTCOME_LABELS.get(outcome, outcome)),
        "case_flag_label": lambda flag: str(FLAG_LABELS.get(flag, flag)),
        "case_reason_label": lambda reason: str(REASON_LABELS.get(reason, reason or "")),
        "case_remedy_label": lambda remedy: str(REMEDY_LABELS.get(remedy, remedy or "")),
    }


#: A case event's headline on a timeline, by verb (``shopcare/timeline/case.html``).
_CASE_HEADLINES = {
    "opened": "Request %(number)s opened",
    "approved": "Request %(number)s approved",
    "rejected": "Request %(number)s rejected",
    "received": "Items of %(number)s received",
    "resolved": "Request %(number)s resolved",
    "closed": "Request %(number)s closed",
    "cancelled": "Request %(number)s cancelled",
}


def case_entry(event: Any, names: Mapping[str, Any]) -> Markup:
    """``shopcare/timeline/case.html``'s ``entry(event)``, byte for byte, in Python: the
    order page's timeline renders case events with it (``add_timeline_entry``) while
    the app loads shopcare's own template. A missing ``data`` key is empty and false,
    as Jinja's undefined is in the template."""
    _sc = names["_sc"]
    data = event.data if isinstance(event.data, dict) else {}
    parts = event.action.split(".")
    verb = parts[1] if len(parts) > 1 else ""
    if verb in _CASE_HEADLINES:
        headline = escaped(_sc(_CASE_HEADLINES[verb], number=data.get("number", "")))
    elif verb == "noted":
        headline = escaped(_sc("Note"))
    else:
        headline = escaped(event.action)
    html = f"<strong>{headline}</strong>"
    kind = data.get("kind", "")
    if kind:
        # A page's case events name one or two kinds: each translated once a page.
        labels = names["memo"].setdefault("case_kind_labels", {}) if "memo" in names else {}
        label = labels.get(kind)
        if label is None:
            label = labels[kind] = str(KIND_LABELS.get(kind, kind))
        html += f' <span class="sc-muted">· {escaped(label)}</span>'
    reason = data.get("reason", "")
    if verb == "rejected" and reason:
        html += f'<br><span class="sc-muted">{escaped(reason)}</span>'
    if verb == "noted":
        html += f"<br>{escaped(data.get('text', ''))}"
    return Markup(html)  # nosec B704


def _money(minor: int | None, currency: str) -> str:
    if minor is None:
        return "—"
    return formats().money(minor_to_decimal(minor, currency), currency)


def _order(reference: str) -> tuple[Order, str | None]:
    """The order, if the visitor may see it (else 404), and the guest key to carry on."""
    order = current_desk_orders().get(reference)
    grant = require_order(order)
    assert order is not None
    return order, (request.args.get("key") or request.form.get("key")) if grant else None


def current_desk_orders() -> Any:

    return get_state().care.orders


def _case(number: str) -> tuple[Case, str | None]:
    case = current_desk().get(number)
    grant = require_case(case)
    assert case is not None
    return case, (request.args.get("key") or request.form.get("key")) if grant else None


def _private(html: str) -> Response:
    response = make_response(html)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _field_errors(error: ValidationError) -> tuple[dict[str, str], dict[str, str]]:
    """Split a service's errors into form fields and order lines (``lines.SKU``)."""
    fields: dict[str, str] = {}
    lines: dict[str, str] = {}
    for name, message in error.fields.items():
        if name.startswith("lines."):
            lines[name[6:]] = message
        elif name.startswith("photos"):
            fields["photos"] = message
        else:
            fields[name] = message
    return fields, lines


def _quantities(skus: list[str]) -> dict[str, int]:
    wanted: dict[str, int] = {}
    for sku in skus:
        raw = request.form.get(f"qty-{sku}", "").strip()
        if raw:
            try:
                wanted[sku] = max(0, int(raw))
            except ValueError:
                wanted[sku] = -1
    return wanted


# -- the order page ------------------------------------------------------------


def returns_panel(order: Order) -> OrderPanel | None:
    """The order page's after-sales panel: the withdrawal button for the whole period,
    "Return or exchange", "Claim guarantee", the order's cases, and each line's
    guarantee (one statement: :func:`order_facts`)."""
    rules = clocks.Rules.read()  # the settings of the three kinds' rules, read once a page
    # On a miss the page's tracking part read the parcel lines already.
    facts = order_facts(order, rules.shipping_skus, shared_reads.recall("parcel_lines", order.id))
    desk = current_desk()
    now = utcnow()
    withdrawal, returns, guarantee = eligibilities(
        order, ("withdrawal", "return", "guarantee"), now, facts, lazy_messages=True, rules=rules
    )
    key = request.args.get("key")
    fmt = formats()
    context = {
        "key": key,
        "withdrawal": withdrawal,
        "returns": returns,
        "guarantee": guarantee,
        "cases": facts.cases,
        "day": lambda moment: fmt.day(moment - timedelta(microseconds=1), now=now),
        "desk": desk,
    }
    html = None
    if web.own_templates((panel.TEMPLATE,)):  # else the host's template, included by the page
        html = panel.order_panel_html(order, context, Catalog.current().gettext, case_words())
    return OrderPanel(panel.TEMPLATE, context, html=html)


# -- shopper pages ---------------------------------------------------------------


@blueprint.route("/")
@login_required
def mine() -> str:
    """The logged-in shopper's cases, newest first."""
    page = page_number()
    user_id = current_user_id()
    assert user_id is not None
    listing = current_desk().for_shopper(user_id, page)
    if page > 1 and not listing.items:
        abort(404)
    return render_template("shopcare/cases/mine.html", listing=listing, money=_money)


@blueprint.route("/orders/<reference>/<kind>", methods=["GET", "POST"])
@limit("public_submit", methods=("POST",))
@owner_of("order")
@web.form_view
def new(reference: str, kind: str) -> Response | str:
    """Open a return or a guarantee claim for some lines of an order."""
    if kind not in ("return", "guarantee"):
        abort(404)
    order, key = _order(reference)
    desk = current_desk()
    form = CaseForm()
    form.reason.choices = [("", _("Choose…"))] + [
        (code, str(REASON_LABELS.get(code, code))) for code in desk.reasons(kind)
    ]
    form.remedy.choices = [
        (code, str(REMEDY_LABELS.get(code, code))) for code in desk.remedies(kind)
    ]
    eligibility = desk.eligibility(order.reference, kind)
    if not form.request_key.data:
        # One key per drawn form: sent twice (a double click, a reload), it opens one case.
        form.request_key.data = secrets.token_urlsafe(24)
    line_errors: dict[str, str] = {}
    if form.validate_on_submit():
        wanted = _quantities([line.sku for line in eligibility.lines])
        uploads = [f for f in request.files.getlist(form.photos.name) if f and f.filename]
        try:
            case = desk.open(
                order.reference,
                kind,
                wanted,
                reason=form.reason.data,
                remedy=form.remedy.data,
                exchange_for=form.exchange_for.data,
                description=form.description.data or "",
                photos=uploads,
                name=getattr(current_user(), "name", None),
                request_key=(form.request_key.data or "")[:64] or None,
            )
        except ValidationError as error:
            session().rollback()
            fields, line_errors = _field_errors(error)
            for name, message in fields.items():
                field = getattr(form, name, None)
                if field is not None and name not in ("lines",):
                    field.errors = [*field.errors, message]
                else:
                    line_errors["_"] = message
        else:
            session().commit()
            flash(_("We received your request %(number)s.", number=case.number), "ok")
            return redirect(url_for(".case", number=case.number, key=key))
    return _private(
        render_template(
            "shopcare/cases/new.html",
            order=order,
            kind=kind,
            form=form,
            eligibility=eligibility,
            line_errors=line_errors,
            key=key,
            desk_remedies=desk.remedies(kind),
        )
    )


@blueprint.route("/orders/<reference>/withdraw", methods=["GET", "POST"])
@limit("public_submit", methods=("POST",))
@owner_of("order")
@web.form_view
def withdraw(reference: str) -> Response | str:
    """The withdrawal function, step one: name, e-mail, optionally which lines.
    Posting it shows step two (:func:`withdraw_confirm`), which alone withdraws."""
    order, key = _order(reference)
    desk = current_desk()
    eligibility = desk.eligibility(order.reference, "withdrawal")
    form = WithdrawalForm()
    if request.method == "GET":
        user = current_user()
        form.email.data = getattr(user, "email", None) or (order.email if key else None)
        form.name.data = getattr(user, "name", None)
    line_errors: dict[str, str] = {}
    if form.validate_on_submit():
        wanted = _quantities([line.sku for line in eligibility.lines])
        chosen = {sku: q for sku, q in wanted.items() if q > 0}
        for sku, quantity in wanted.items():
            line = eligibility.line(sku)
            if quantity < 0 or line is None or quantity > line.available:
                line_errors[sku] = _(
                    "At most %(n)d can be asked for.", n=line.available if line else 0
                )
        if not chosen:  # no lines chosen: the whole order (what is left of it)
            chosen = {line.sku: line.available for line in eligibility.lines if line.eligible}
        if not chosen:
            line_errors["_"] = _("Nothing in this order can be withdrawn any more.")
        if not line_errors:
            confirm = ConfirmWithdrawalForm(formdata=None)
            confirm.name.data, confirm.email.data = form.name.data, form.email.data
            confirm.lines.data = json.dumps(chosen)
            confirm.request_key.data = secrets.token_urlsafe(24)
            names = {line.sku: line.name for line in eligibility.lines}
            return _private(
                render_template(
                    "shopcare/cases/withdraw_confirm.html",
                    order=order,
                    form=confirm,
                    chosen=[(names[sku], quantity) for sku, quantity in chosen.items()],
                    key=key,
                )
            )
    return _private(
        render_template(
            "shopcare/cases/withdraw.html",
            order=order,
            form=form,
            eligibility=eligibility,
            line_errors=line_errors,
            key=key,
        )
    )


@blueprint.route("/orders/<reference>/withdraw/confirm", methods=["POST"])
@limit("public_submit")
@owner_of("order")
def withdraw_confirm(reference: str) -> Response | str:
    """The withdrawal function, step two ("Confirm withdrawal"): records the withdrawal
    and queues its acknowledgement. Pressed twice, it gives one case."""
    order, key = _order(reference)
    form = ConfirmWithdrawalForm()
    if not form.validate_on_submit():
        return redirect(url_for(".withdraw", reference=order.reference, key=key))
    try:
        lines = _chosen_lines(form.lines.data)
        case = current_desk().open(
            order.reference,
            "withdrawal",
            lines,
            name=form.name.data,
            email=form.email.data,
            request_key=(form.request_key.data or "")[:64] or None,
        )
    except ValidationError as error:
        session().rollback()
        # the sentences only: the shopper has no use for the field names (lines.SKU)
        for message in dict.fromkeys(error.fields.values()):
            flash(message, "error")
        return redirect(url_for(".withdraw", reference=order.reference, key=key))
    session().commit()
    flash(
        _(
            "We received your withdrawal. We have sent an acknowledgement to %(email)s.",
            email=case.email,
        ),
        "ok",
    )
    return redirect(url_for(".case", number=case.number, key=key))


def _chosen_lines(raw: str | None) -> Any:
    """The lines step one chose (``{sku: quantity}`` as JSON in a hidden field). The
    field comes back from the browser, so anything else is read as no choice at all
    and the service refuses it with a sentence for the shopper."""
    try:
        return json.loads(raw or "{}")
    except (ValueError, RecursionError):
        return None


@blueprint.route("/<number>")
@owner_of("case")
def case(number: str) -> Response:
    """One case for its shopper: status, next step, lines, photos, timeline."""
    found, key = _case(number)
    return _private(
        render_template(
            "shopcare/cases/case.html",
            case=found,
            key=key,
            next_step=str(NEXT_STEPS.get(found.status, "")),
            timeline=current_desk().timeline(found),
            can_cancel=CASE.allows(found.status, "cancelled"),
            cancel_form=ActionForm(),
            money=_money,
        )
    )


@blueprint.route("/<number>/cancel", methods=["POST"])
@owner_of("case")
def cancel(number: str) -> Response:
    found, key = _case(number)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            current_desk().cancel(number)
        except TransitionError:
            session().rollback()
            flash(_("This request can no longer be cancelled."), "error")
        else:
            session().commit()
            flash(_("Your request was cancelled."), "ok")
    return redirect(url_for(".case", number=found.number, key=key))


@blueprint.route("/<number>/slip")
@owner_of("case")
def slip(number: str) -> Response:
    """The printable return slip with a QR code of the case number."""
    import segno

    found, key = _case(number)
    if found.status not in ("approved", "received"):
        abort(404)
    # ASCII payload: a URL with the case number, which any scanner reads back exactly.
    from shopcare.core.config import setting as read_setting

    base = str(read_setting("SHOPCARE_EXTERNAL_URL") or request.host_url).rstrip("/")
    payload = base + url_for("shopcare.staff.case", number=found.number)
    qr = segno.make(payload, error="m")
    # a viewBox and no fixed size, so the stylesheet scales the whole code (with its quiet
    # zone) instead of cropping it
    # segno draws it; the title is the case number shopcare made (R-2026-000042)
    svg = Markup(qr.svg_inline(scale=4, title=found.number, omitsize=True))  # nosec B704
    from shopcare.core.config import setting

    address = str(setting("SHOPCARE_RETURN_ADDRESS") or "").splitlines()
    return _private(
        render_template(
            "shopcare/cases/slip.html",
            case=found,
            qr=svg,
            payload=payload,
            address=address,
            key=key,
        )
    )


@blueprint.route("/<number>/photos/<token>")
@owner_of("case")
def photo(number: str, token: str) -> Response:
    """A case's photo, for the case's shopper and staff only; always an attachment with
    ``nosniff``, so a browser never runs it as anything but an image download."""
    found, _key = _case(number)
    match = next((p for p in found.photos if p.token == token), None)
    if match is None:
        abort(404)
    path = photo_files.path_for(match.token, match.content_type)
    if not path.exists():
        abort(404)
    response = send_file(
        path,
        mimetype=match.content_type,
        as_attachment=True,  # always: no query string turns shopper content inline
        download_name=f"{found.number}-{match.id}.{match.extension}",
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def cases_card() -> HomeCard | None:
    """The care home's "Returns and guarantees" card for logged-in shoppers."""
    if current_user_id() is None:
        return None
    return HomeCard(
        title=_("Returns and guarantees"),
        text=_("Your returns, withdrawals and guarantee claims."),
        url=url_for("shopcare.cases.mine"),
    )


# -- staff -------------------------------------------------------------------------

PER_PAGE_CHOICES = (25, 50, 100)


@staff_pages.route("/cases")
@staff_required
def cases() -> str:
    """The case queue: filters, search, sorting, paging and bulk approval."""
    args = request.args
    per_page = args.get("per_page", 50, type=int)
    per_page = per_page if per_page in PER_PAGE_CHOICES else 50
    page = page_number()
    filters: dict[str, Any] = {
        "kind": args.get("kind") if args.get("kind") in KINDS else None,
        "status": args.get("status") if args.get("status") in STATUSES else None,
        "reason": (args.get("reason") or None),
        "flag": args.get("flag") if args.get("flag") in FLAGS else None,
        # days, within reason: a huge number would overflow the date arithmetic
        "older_than_days": age if 0 < (age := args.get("age", 0, type=int)) <= 36500 else None,
        "search": (args.get("q") or "").strip()[:254] or None,
    }
    sort = args.get("sort", "newest")
    listing = current_desk().queue(**filters, sort=sort, page=page, per_page=per_page)
    if page > 1 and not listing.items:
        abort(404)
    kept = {k: v for k, v in args.items() if k != "page" and v}
    # Every label the rows repeat, translated once for the page (not once per row).
    words = {
        "kind": {k: str(v) for k, v in KIND_LABELS.items()},
        "status": {k: str(v) for k, v in STATUS_LABELS.items()},
        "flag": {k: str(v) for k, v in FLAG_LABELS.items()},
        "reason": {k: str(v) for k, v in REASON_LABELS.items()},
        "badge": _BADGES,
    }
    return render_template(
        "shopcare/staff/cases.html",
        words=words,
        listing=listing,
        args=args,
        kept=kept,
        kinds=KINDS,
        statuses=STATUSES,
        flags=FLAGS,
        reasons=sorted({r for k in ("return", "guarantee") for r in current_desk().reasons(k)}),
        money=_money,
        form=ActionForm(),
        now=utcnow(),
    )


@staff_pages.post("/cases/approve")
@staff_required
def cases_approve() -> Response:
    """Bulk approve the ticked cases that are still requested."""
    form = ActionForm()
    if form.validate_on_submit():
        numbers = request.form.getlist("number")[:200]
        done, skipped = current_desk().approve_many(numbers)
        session().commit()
        flash(
            _(
                "Approved %(done)d; %(skipped)d skipped (no longer requested).",
                done=len(done),
                skipped=len(skipped),
            ),
            "ok",
        )
    else:
        flash(_("This form had expired. Please send it again."), "error")
    # Back to the queue page the list was on (its filters kept); never off the site.
    return redirect(safe_next(request.form.get("next"), url_for("shopcare.staff.cases")))


@staff_pages.route("/cases/<number>", endpoint="case")
@staff_required
def staff_case(number: str) -> str:
    """One case for staff: lines, photos, the whole timeline (notes too) and the actions."""
    found = current_desk().get(number)
    if found is None:
        abort(404)
    allowed = CASE.targets(found.status)
    outcome_form = ActionForm()
    outcome_form.outcome.choices = [(o, str(OUTCOME_LABELS[o])) for o in OUTCOMES]
    outcome_form.outcome.data = REMEDY_OUTCOME.get(found.remedy or "", "refunded")
    if found.due_minor is not None:
        outcome_form.amount.data = str(minor_to_decimal(found.due_minor, found.currency))
    return render_template(
        "shopcare/staff/case.html",
        case=found,
        allowed=allowed,
        timeline=current_desk().timeline(found, public_only=False),
        action_form=ActionForm(),
        outcome_form=outcome_form,
        reject_form=RejectForm(),
        note_form=NoteForm(),
        money=_money,
        key=guest_key(found.order),
    )


@staff_pages.route("/cases/<number>/<action>", methods=["POST"])
@staff_required
def case_action(number: str, action: str) -> Response:
    """Approve, reject, receive, resolve, close or note a case. The form carries the
    version the staff member saw: if someone else acted first, nothing changes and
    they are told so."""
    desk = current_desk()
    found = desk.get(number)
    if found is None:
        abort(404)
    form: Any = {"reject": RejectForm, "note": NoteForm}.get(action, ActionForm)()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
        return redirect(url_for("shopcare.staff.case", number=number))
    version = request.form.get("version", type=int)
    try:
        if action == "approve":
            desk.approve(number, version=version)
        elif action == "reject":
            desk.reject(number, form.reason.data, version=version)
        elif action == "receive":
            lines: dict[str, Any] = {}
            for line in found.lines:
                sku = line.order_line.sku
                good = request.form.get(f"received-{sku}", type=int)
                damaged = request.form.get(f"damaged-{sku}", type=int) or 0
                lines[sku] = {
                    "received": line.quantity - damaged if good is None else good,
                    "damaged": damaged,
                }
            desk.receive(number, lines, version=version)
        elif action == "resolve":
            desk.resolve(
                number, form.outcome.data, amount=form.amount.data or None, version=version
            )
        elif action == "close":
            desk.close(number, version=version)
        elif action == "note":
            desk.note(number, form.text.data)
        else:
            abort(404)
    except TransitionError as error:
        session().rollback()
        if error.concurrent:
            flash(
                _(
                    "Someone else changed this case a moment ago. Nothing was changed; here is its current state."
                ),
                "error",
            )
        else:
            flash(
                _(
                    "This case cannot go from %(a)s to %(b)s.",
                    a=str(STATUS_LABELS.get(error.from_state, error.from_state)),
                    b=str(STATUS_LABELS.get(error.to_state, error.to_state)),
                ),
                "error",
            )
    except (ValidationError, NotFound) as error:
        session().rollback()
        flash(str(error), "error")
    else:
        session().commit()
        flash(_("Done."), "ok")
    return redirect(url_for("shopcare.staff.case", number=number))
