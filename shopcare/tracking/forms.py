"""The guest order look-up form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Length

from shopcare.core.i18n import _l


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
