"""The staff home page."""

from __future__ import annotations

from flask import render_template

from shopcare.core.access import staff_required
from shopcare.core.state import Routes

#: The staff home (``state.add_staff_pages`` in ``shopcare.staff.wiring``).
pages = Routes()


@pages.route("/")
@staff_required
def index() -> str:
    """The staff home: the queues to work."""
    return render_template("shopcare/staff/index.html")
