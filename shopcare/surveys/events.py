"""The surveys' event vocabulary (declared on each app by ``shopcare.surveys.wiring``)."""

from __future__ import annotations

from typing import Final

from shopcare.surveys.machine import INVITATION

#: Staff made a new version of a survey, or changed one nobody had answered (data: ``number``).
SURVEY_EDITED: Final = "survey.edited"
#: An address asked for no more surveys (subject: the invitation, when there is one).
SURVEY_UNSUBSCRIBED: Final = "survey.unsubscribed"
#: A low answer opened a follow-up ticket in the complaint queue (data: ``ticket``).
SURVEY_FOLLOWED_UP: Final = "survey.followed_up"
#: A response's free text was anonymised on request (GDPR).
SURVEY_ANONYMISED: Final = "survey.anonymised"
#: A mystery-shopper audit was recorded (data: ``score``).
SURVEY_AUDITED: Final = "survey.audited"

EVENTS: Final = (
    SURVEY_EDITED,
    SURVEY_UNSUBSCRIBED,
    SURVEY_FOLLOWED_UP,
    SURVEY_ANONYMISED,
    SURVEY_AUDITED,
    *INVITATION.events,
)
