"""Staff page for the outbox: e-mails and jobs by status, the failed ones with their
last error, and a retry button (one item, or every failed one)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from shopcare.core.access import staff_required
from shopcare.core.db import session
from shopcare.core.errors import NotFound, TransitionError, ValidationError
from shopcare.core.i18n import _, ngettext
from shopcare.core.outbox import count_by_status, list_items, retry, retry_failed
from shopcare.core.outbox.models import FAILED, STATUSES
from shopcare.core.paging import page_number
from shopcare.core.state import Routes
from shopcare.core.web import back_to

PER_PAGE = 50

#: The outbox's staff pages (``state.add_staff_pages`` in ``shopcare.staff.wiring``).
pages = Routes()


def failed_count() -> int:
    """How many items failed for good (the staff home shows it)."""
    return count_by_status().get(FAILED, 0)


def form_expired_back() -> Response:
    """The button's form token expired (or was missing): back to the list, asking to
    press it again (with ``CSRFProtect``, shopcare's error handler does the same)."""
    flash(_("This form had expired. Please send it again."), "error")
    return back_to("shopcare.staff.outbox")


class RetryForm(FlaskForm):
    """The retry buttons: a POST with its CSRF token, nothing else."""


@pages.route("/outbox")
@staff_required
def outbox() -> str:
    """Outbox items of one status (default: failed), newest first, 50 a page."""
    status = request.args.get("status", FAILED)
    if status not in STATUSES:
        abort(404)
    page = page_number()
    items = list_items(status, limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE)
    if page > 1 and not items:
        abort(404)
    return render_template(
        "shopcare/staff/outbox.html",
        items=items[:PER_PAGE],
        has_next=len(items) > PER_PAGE,
        page=page,
        status=status,
        counts=count_by_status(),
        form=RetryForm(),
    )


@pages.post("/outbox/<int:item_id>/retry")
@staff_required
def outbox_retry(item_id: int) -> Response:
    """Queue one failed item again with a fresh set of attempts."""
    if not RetryForm().validate_on_submit():
        return form_expired_back()
    try:
        item = retry(item_id)
    except (NotFound, ValidationError):  # no such item, or an id none can have
        abort(404)
    except TransitionError:
        flash(_("That item is not failed any more: someone has retried it already."), "info")
    else:
        session().commit()
        flash(_("Queued again: %(summary)s", summary=item.summary), "success")
    return redirect(url_for(".outbox", status=FAILED))


@pages.post("/outbox/retry-failed")
@staff_required
def outbox_retry_failed() -> Response:
    """Queue every failed item again."""
    if not RetryForm().validate_on_submit():
        return form_expired_back()
    count = retry_failed()
    session().commit()
    flash(ngettext("%(num)d item queued again.", "%(num)d items queued again.", count), "success")
    return redirect(url_for(".outbox", status=FAILED))
