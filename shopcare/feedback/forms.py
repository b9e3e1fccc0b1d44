"""The suggestion box's forms: the intake, the shopper's reply and rating, and the
staff's actions."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from shopcare.core.i18n import _l

KIND_LABELS = {
    "complaint": _l("Complaint"),
    "suggestion": _l("Suggestion"),
    "compliment": _l("Compliment"),
    "question": _l("Question"),
}
REMEDY_LABELS = {
    "refund": _l("A refund"),
    "replacement": _l("A replacement"),
    "apology": _l("An apology"),
    "explanation": _l("An explanation"),
    "other": _l("Something else"),
}
CHANNEL_LABELS = {
    "web": _l("Web"),
    "email": _l("E-mail"),
    "phone": _l("Phone"),
    "in_person": _l("In person"),
    "survey": _l("Survey"),
}
PRIORITY_LABELS = {
    "urgent": _l("Urgent"),
    "high": _l("High"),
    "normal": _l("Normal"),
    "low": _l("Low"),
}
STATUS_LABELS = {
    "new": _l("New"),
    "acknowledged": _l("Acknowledged"),
    "in_progress": _l("In progress"),
    "waiting_on_customer": _l("Waiting for your answer"),
    "resolved": _l("Resolved"),
    "closed": _l("Closed"),
}
BOARD_LABELS = {
    "under_review": _l("Under review"),
    "planned": _l("Planned"),
    "in_progress": _l("In progress"),
    "done": _l("Done"),
    "declined": _l("Declined"),
}
SLA_LABELS = {
    "on_track": _l("On track"),
    "due_soon": _l("Due soon"),
    "breached": _l("Breached"),
    "paused": _l("Paused"),
    "met": _l("Met"),
}


class TicketForm(FlaskForm):
    """The intake. ``website`` is a honeypot: people never see it, bots fill it in."""

    kind = RadioField(_l("What is it?"), validators=[DataRequired(_l("Choose one."))])
    area = SelectField(_l("What is it about?"), validators=[Optional()])
    subject = StringField(
        _l("Subject"), validators=[DataRequired(_l("Give a subject.")), Length(max=200)]
    )
    message = TextAreaField(
        _l("Your message"),
        validators=[DataRequired(_l("Write your message.")), Length(max=5000)],
        render_kw={"rows": 6},
    )
    remedy = SelectField(_l("What would put it right? (complaints)"), validators=[Optional()])
    order_reference = StringField(
        _l("Order number (optional)"), validators=[Optional(), Length(max=64)]
    )
    order_email = EmailField(
        _l("E-mail used for that order"), validators=[Optional(), Email(), Length(max=254)]
    )
    email = EmailField(
        _l("Your e-mail, for our answer"), validators=[Optional(), Email(), Length(max=254)]
    )
    name = StringField(_l("Your name (optional)"), validators=[Optional(), Length(max=200)])
    anonymous = BooleanField(_l("Publish my suggestion or compliment without my name"))
    channel = SelectField(_l("Received by"), validators=[Optional()])
    website = StringField(_l("Leave this empty"), validators=[Optional()])
    request_key = HiddenField()


class ReplyForm(FlaskForm):
    body = TextAreaField(
        _l("Your answer"),
        validators=[DataRequired(_l("Write your message.")), Length(max=5000)],
        render_kw={"rows": 4},
    )


class RateForm(FlaskForm):
    score = RadioField(
        _l("How satisfied are you with how we handled it?"),
        validators=[DataRequired(_l("Choose from 1 to 5."))],
    )
    comment = TextAreaField(
        _l("Anything to add? (optional)"), validators=[Optional(), Length(max=2000)]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.score.choices = [(str(n), str(n)) for n in range(1, 6)]


class StaffReplyForm(FlaskForm):
    body = TextAreaField(
        _l("Message"), validators=[DataRequired(_l("Write your message.")), Length(max=5000)],
        render_kw={"rows": 5},
    )  # fmt: skip
    internal = BooleanField(_l("Internal note (the shopper does not see it)"))
    waiting = BooleanField(_l("Wait for the shopper's answer (pauses the SLA)"))
    version = HiddenField()


class ActionForm(FlaskForm):
    """A staff action with no text (start, resolve, close, reopen, bulk assign)."""

    assignee_id = StringField(
        _l("Assign to (staff user id)"), validators=[Optional(), Length(max=64)]
    )
    priority = SelectField(_l("Priority"), validators=[Optional()])
    version = HiddenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.priority.choices = [(k, str(v)) for k, v in PRIORITY_LABELS.items()]


class BoardForm(FlaskForm):
    board_status = SelectField(_l("Board status"))
    note = TextAreaField(_l("Note shown on the board"), validators=[Optional(), Length(max=2000)])
    published = BooleanField(_l("Show on the public board"))
    into = StringField(_l("Merge into (reference)"), validators=[Optional(), Length(max=20)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.board_status.choices = [(k, str(v)) for k, v in BOARD_LABELS.items()]


class VoteForm(FlaskForm):
    pass


class CannedReplyForm(FlaskForm):
    """A canned reply on the staff's canned replies page; ``version`` is the one the
    staff member opened (a save over a newer one is refused)."""

    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Give it a title.")), Length(max=120)],
        description=_l("What you pick it by in a ticket's reply form."),
    )  # fmt: skip
    key = StringField(
        _l("Name"),
        validators=[
            DataRequired(_l("Give it a name.")), Length(max=40),
            Regexp(r"^[a-z0-9_-]+$", message=_l("Use lower-case letters, digits, - or _.")),
        ],
        description=_l("The same name in every language joins the translations, e.g. thanks."),
    )  # fmt: skip
    locale = SelectField(_l("Language"))
    area = SelectField(_l("Area"), validators=[Optional()])
    body = TextAreaField(
        _l("Reply"), validators=[DataRequired(_l("Write the reply.")), Length(max=5000)],
        render_kw={"rows": 8},
        description=_l("Plain text: it fills the reply box as it is."),
    )  # fmt: skip
    version = HiddenField()

    def __init__(
        self, *args: Any, languages: dict[str, str], areas: dict[str, str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.locale.choices = list(languages.items())
        self.area.choices = [("", str(_l("Every area"))), *areas.items()]


class DeleteForm(FlaskForm):
    version = HiddenField()
