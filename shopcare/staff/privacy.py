"""Staff page for a person's data rights: download everything shopcare holds about an
e-mail address (GDPR art. 15 and 20), or erase it (art. 17) after typing it twice."""

from __future__ import annotations

import json

from flask import Response, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import DataRequired, Length

from shopcare.core import privacy
from shopcare.core.access import staff_required
from shopcare.core.db import session
from shopcare.core.errors import ValidationError
from shopcare.core.events import Actor
from shopcare.core.i18n import _, _l
from shopcare.core.state import Routes

#: The privacy page (``state.add_staff_pages`` in ``shopcare.staff.wiring``).
pages = Routes()


class ExportForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(_l("Enter an e-mail address.")), Length(max=254)],
    )


class EraseForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(_l("Enter an e-mail address.")), Length(max=254)],
    )
    confirm = EmailField(
        _l("The same address again, to confirm"),
        validators=[DataRequired(_l("Type the address again.")), Length(max=254)],
    )


def _page(export_form: ExportForm, erase_form: EraseForm, status: int = 200) -> tuple[str, int]:
    return (
        render_template(
            "shopcare/staff/privacy.html", export_form=export_form, erase_form=erase_form
        ),
        status,
    )


@pages.get("/privacy")
@staff_required
def privacy_page() -> tuple[str, int]:
    """The two forms."""
    return _page(ExportForm(prefix="export"), EraseForm(prefix="erase"))


@pages.post("/privacy/export")
@staff_required
def privacy_export() -> Response | tuple[str, int]:
    """The person's data as a JSON attachment."""
    form = ExportForm(prefix="export")
    if form.validate_on_submit():
        try:
            document = privacy.export(form.email.data)
        except ValidationError as error:
            form.email.errors = [*form.email.errors, next(iter(error.fields.values()))]
        else:
            body = json.dumps(document, ensure_ascii=False, indent=2)
            return Response(
                body,
                mimetype="application/json",
                headers={
                    "Content-Disposition": 'attachment; filename="shopcare-export.json"',
                    "Cache-Control": "no-store",
                    "X-Content-Type-Options": "nosniff",
                },
            )
    return _page(form, EraseForm(prefix="erase"), 422)


@pages.post("/privacy/erase")
@staff_required
def privacy_erase() -> Response | tuple[str, int]:
    """Anonymise the person everywhere; the figures stay."""
    form = EraseForm(prefix="erase")
    if form.validate_on_submit():
        if form.email.data.strip().casefold() != form.confirm.data.strip().casefold():
            form.confirm.errors = [*form.confirm.errors, _("The two addresses differ.")]
        else:
            try:
                result = privacy.erase(form.email.data, actor=Actor.current())
            except ValidationError as error:
                session().rollback()
                form.email.errors = [*form.email.errors, next(iter(error.fields.values()))]
            else:
                if not result.found:
                    session().rollback()
                    flash(_("Nothing is held about that address."), "info")
                else:
                    session().commit()
                    flash(
                        _(
                            "Erased. The figures stay; the address is now %(alias)s.",
                            alias=result.alias,
                        ),
                        "success",
                    )
                return redirect(url_for(".privacy_page"))
    return _page(ExportForm(prefix="export"), form, 422)
