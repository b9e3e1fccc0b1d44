"""The guest order look-up form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from shopcare.core.i18n import _l
from shopcare.tracking.statuses import RESOLUTIONS


class LookupForm(FlaskForm):
    """Order number and the e-mail address the order was placed with."""

    reference = StringField(
        _l("Order number"),
        validators=[
            DataRequired(_l("Enter your order number.")),
            Length(max=64, message=_l("An order number is at most 64 characters.")),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"},
    )
    email = EmailField(
        _l("E-mail address"),
        validators=[
            DataRequired(_l("Enter the e-mail address you ordered with.")),
            Length(max=254, message=_l("An e-mail address is at most 254 characters.")),
        ],
        render_kw={"autocomplete": "email"},
    )


def _line_breaks(value: str | None) -> str | None:
    """Browsers send a textarea's line breaks as CRLF, and count each as one character."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if value else value


class ResolveForm(FlaskForm):
    """Staff on a late parcel: a note, and (optionally) how it was resolved."""

    #: Empty (keep it open) or one of ``shopcare.tracking.models.RESOLUTIONS``; the page
    #: renders the choices itself.
    resolution = StringField(
        _l("Resolution"),
        validators=[
            Optional(),
            AnyOf(RESOLUTIONS, message=_l("Choose one of the resolutions offered.")),
        ],
    )
    note = TextAreaField(
        _l("Note"),
        validators=[Length(max=1000, message=_l("A note is at most 1000 characters."))],
        filters=[_line_breaks],
        render_kw={"rows": 2},
    )
    #: The note as the page showed it (empty: none): saving is refused when someone
    #: changed it since, instead of erasing their words.
    note_was = HiddenField(
        validators=[Length(max=1000, message=_l("A note is at most 1000 characters."))],
        filters=[_line_breaks],
    )
