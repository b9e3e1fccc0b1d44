"""The shop's forms (Flask-WTF, so every POST carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, IntegerField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Email, Length, NumberRange

from shopcare.demo.cart import MAX_QUANTITY


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me logged in"))
    next = HiddenField()


class AddToCartForm(FlaskForm):
    sku = HiddenField(validators=[DataRequired()])
    quantity = IntegerField(
        _l("Quantity"), default=1, validators=[DataRequired(), NumberRange(1, MAX_QUANTITY)]
    )
    next = HiddenField()


class CartLineForm(FlaskForm):
    """Change one cart line's quantity (0 removes it)."""

    sku = HiddenField(validators=[DataRequired()])
    quantity = IntegerField(_l("Quantity"), validators=[NumberRange(0, MAX_QUANTITY)])
    remove = SubmitField(_l("Remove"))


class CheckoutForm(FlaskForm):
    """Placing the order: the cart is in the session, the address on the account.

    ``checkout_key`` is new each time the page is shown; submitting the same page twice
    (a double click, a retried request) places one order.
    """

    checkout_key = HiddenField(validators=[DataRequired(), Length(min=16, max=64)])


class LogoutForm(FlaskForm):
    """Logging out is a POST, so a stray link or image cannot log a shopper out."""
