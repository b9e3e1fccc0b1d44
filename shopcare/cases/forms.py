"""The shopper's case forms and the staff's action forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import EmailField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from shopcare.core.i18n import _l

REASON_LABELS = {
    "too_small": _l("Too small"),
    "too_large": _l("Too large"),
    "not_as_described": _l("Not as described"),
    "wrong_item": _l("Wrong item"),
    "arrived_damaged": _l("Arrived damaged"),
    "changed_mind": _l("Changed my mind"),
    "stopped_working": _l("Stopped working"),
    "defective": _l("Defective from the start"),
    "broken_part": _l("A part is broken"),
    "other": _l("Other"),
}
REMEDY_LABELS = {
    "refund": _l("Refund"),
    "exchange": _l("Exchange for another size or colour"),
    "store_credit": _l("Store credit"),
    "repair": _l("Repair"),
    "replacement": _l("Replacement"),
}


class CaseForm(FlaskForm):
    """A return or a guarantee claim; the quantities come as ``qty-<sku>`` fields."""

    reason = SelectField(_l("Reason"), validators=[DataRequired(_l("Choose a reason."))])
    remedy = SelectField(_l("What would you like?"), validators=[DataRequired(_l("Choose one."))])
    exchange_for = StringField(
        _l("For an exchange: which size, colour or item would you like instead?"),
        validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "off"},
    )
    description = TextAreaField(
        _l("Tell us more"), validators=[Optional(), Length(max=4000)], render_kw={"rows": 4}
    )
    photos = MultipleFileField(
        _l("Photos (up to 5; JPEG, PNG or WebP, 5 MB each)"),
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
    )


class WithdrawalForm(FlaskForm):
    """The withdrawal function's first step: name, e-mail, and optionally which lines."""

    name = StringField(
        _l("Your name"),
        validators=[DataRequired(_l("Enter your name.")), Length(max=200)],
        render_kw={"autocomplete": "name"},
    )
    email = EmailField(
        _l("E-mail address for the acknowledgement"),
        validators=[
            DataRequired(_l("Enter your e-mail address.")),
            Email(_l("Enter a valid e-mail address.")),
            Length(max=254),
        ],
        render_kw={"autocomplete": "email"},
    )


class ConfirmWithdrawalForm(WithdrawalForm):
    """The second, separate step: the same data, confirmed, with a one-time key."""

    request_key = HiddenField()
    lines = HiddenField()


class RejectForm(FlaskForm):
    version = HiddenField()
    reason = TextAreaField(
        _l("Reason (the shopper reads it)"), validators=[DataRequired(_l("Say why."))]
    )


class NoteForm(FlaskForm):
    text = TextAreaField(_l("Internal note"), validators=[DataRequired(_l("Write a note."))])


class ActionForm(FlaskForm):
    """Approve, receive, resolve, close: the version the staff member saw."""

    version = HiddenField()
    # Choices are set per case when the page is drawn; the service checks the value.
    outcome = SelectField(_l("Outcome"), choices=[], validators=[Optional()], validate_choice=False)
    amount = StringField(_l("Amount"), validators=[Optional(), Length(max=20)])
