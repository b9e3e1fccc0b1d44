"""The shopper's survey pages (``shopcare.surveys.*``: answering by a link, no login;
the unsubscribe) and the staff's survey pages (``shopcare.staff.surveys`` …)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import func, select
from werkzeug.wrappers import Response as HttpResponse

from shopcare.core.access import public, staff_required
from shopcare.core.areas import AREAS, DIMENSIONS, area_label
from shopcare.core.cache import page_cache
from shopcare.core.db import session, utcnow
from shopcare.core.errors import NotFound, TransitionError, ValidationError
from shopcare.core.events import Actor
from shopcare.core.i18n import _, _l
from shopcare.core.paging import page_number
from shopcare.core.ratelimit import limit
from shopcare.core.state import Routes
from shopcare.orders.models import Order
from shopcare.surveys.models import (
    QUESTION_TYPES,
    SCALES,
    Answer,
    Question,
    Response,
    Survey,
    SurveyVersion,
)
from shopcare.surveys.services import (
    OPEN,
    answer_label,
    check_answers,
    current_desk,
    read_unsubscribe_token,
    unsubscribe_token,
)

blueprint = Blueprint("surveys", __name__, url_prefix="/surveys")
#: The surveys' pages in the staff area (``state.add_staff_pages`` in the wiring).
staff_pages = Routes()

TYPE_LABELS = {
    "rating": _l("Rating 1-5"),
    "nps": _l("Recommendation 0-10 (NPS)"),
    "ces": _l("Ease 1-7 (CES)"),
    "choice": _l("One choice"),
    "multi": _l("Several choices"),
    "comparison": _l("Compared with other shops"),
    "text": _l("Free text"),
    "check": _l("Audit check (met / not met)"),
}
RATING_WORDS = {
    1: _l("Very poor"),
    2: _l("Poor"),
    3: _l("Fair"),
    4: _l("Good"),
    5: _l("Very good"),
}


class CsrfForm(FlaskForm):
    """A form with only the CSRF token; the answers are read from ``request.form``."""


def _private(html: str, status: int = 200) -> HttpResponse:
    response = make_response(html, status)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _digits(text: str) -> bool:
    """Whether ``int(text)`` reads ``text``: ASCII digits only (``"²".isdigit()`` is
    true, and ``int("²")`` raises)."""
    return text.isascii() and text.isdigit()


def _invitation(token: str, *, questions: bool = True) -> Any:
    try:
        return current_desk().invitation(token, questions=questions)
    except NotFound:
        abort(404)


# -- answering -------------------------------------------------------------------------


@blueprint.app_template_global("survey_unsubscribe_key")
def survey_unsubscribe_key(email: str) -> str:
    """The signed key of ``email``'s unsubscribe link, for the invitation and reminder
    e-mails (derived when the worker renders them, not stored with each one)."""
    return unsubscribe_token(str(email))


@blueprint.route("/s/<invitation>", methods=["GET", "POST"], endpoint="answer")
@limit("public_submit", methods=("POST",))
@public  # the link's unguessable token is the credential; a wrong one is a 404
def answer_page(invitation: str) -> HttpResponse:
    """One page of the survey. A GET records nothing (mail scanners open every link):
    ``?v=9`` only preselects the first question's value. A POST keeps the page's
    answers (a partial response) and goes on; the last page's POST finishes."""
    token = invitation
    posted = request.method == "POST"
    found = _invitation(token, questions=posted)
    desk = current_desk()
    version = found.version
    if found.status == "completed":
        return redirect(url_for("shopcare.surveys.done", invitation=token))
    if found.status not in OPEN or found.expires_at <= utcnow():
        return _private(render_template("shopcare/surveys/closed.html", invitation=found), 410)
    try:
        number = min(max(int(request.values.get("page", "1")), 1), 20)
    except ValueError:
        number = 1
    # An invitation still "sent" (just read) has no response: the first answers move it
    # to "started" in the transaction that makes the response.
    response = desk.response_for(found) if found.status != "sent" else None
    form = CsrfForm()
    picked = request.args.get("v")
    # Nothing answered yet: the page's questions are the same for every shopper of this
    # version, page, language and preselected value (a version that has invitations is
    # never edited in place: its id and creation time are its stamp).
    cache = page_cache() if not posted and response is None else None
    key = (
        "survey-page",
        version.id,
        version.created_at,
        number,
        str(get_locale()),  # what the templates render in (shopcare_locale)
        picked if picked is not None and _digits(picked) and len(picked) <= 2 else None,
    )
    cached = cache.get(key) if cache is not None else None
    if isinstance(cached, tuple):
        number, pages_count, questions_html = cached
        return _private(
            _render_answer(found, version, token, form, number, pages_count, questions_html)
        )
    pages = version.pages
    number = min(number, len(pages))
    questions = pages[number - 1]
    values: dict[str, Any] = {}
    if response is not None:
        for saved in response.answers:
            values[saved.question.key] = (
                saved.value
                if saved.value is not None
                else (
                    saved.choice.split()
                    if saved.question.type == "multi" and saved.choice
                    else saved.choice
                    if saved.choice is not None
                    else saved.text
                )
            )
    errors: dict[str, str] = {}
    may_contact = bool(response.may_contact) if response is not None else False
    if not posted:  # GET and HEAD: show, record nothing
        first = version.questions[0] if version.questions else None
        if picked is not None and first is not None and number == 1 and first.type in SCALES:
            low, high = SCALES[first.type]
            if _digits(picked) and low <= int(picked) <= high:
                values[first.key] = int(picked)
    else:
        if not form.validate_on_submit():
            errors["form"] = _("The form expired. Please send it again.")
        given: dict[str, Any] = {}
        for question in questions:
            if question.type == "multi":
                given[question.key] = request.form.getlist(question.key)
            else:
                given[question.key] = request.form.get(question.key)
        values.update({key: value for key, value in given.items()})
        last = number == len(pages)
        going_back = request.form.get("action") == "back"
        if last:
            may_contact = request.form.get("may_contact") == "yes"
        if not errors:
            missing = {
                q.key: _("Please answer this question.")
                for q in questions
                if q.required and not going_back and given.get(q.key) in (None, "", [])
            }
            kinds = {q.key: q.type for q in questions}
            try:
                check_answers(version, given)
            except ValidationError as error:
                missing.update(
                    {key: _answer_error(kinds.get(key), why) for key, why in error.fields.items()}
                )
            try:
                if missing:
                    raise ValidationError(missing)
                desk.answer(
                    token,
                    given,
                    final=last and not going_back,
                    may_contact=may_contact if last else None,
                )
                session().commit()
            except ValidationError as error:
                session().rollback()
                errors = {
                    key: missing.get(key) or _answer_error(kinds.get(key), why)
                    for key, why in error.fields.items()
                }
            except TransitionError:
                session().rollback()
                return redirect(url_for("shopcare.surveys.done", invitation=token))
            else:
                if going_back:
                    return redirect(
                        url_for("shopcare.surveys.answer", invitation=token, page=number - 1)
                    )
                if last:
                    return redirect(url_for("shopcare.surveys.done", invitation=token))
                return redirect(
                    url_for("shopcare.surveys.answer", invitation=token, page=number + 1)
                )
    questions_html = Markup(  # nosec B704: an autoescaped template, rendered
        render_template(
            "shopcare/surveys/_questions.html",
            questions=questions,
            values=values,
            errors=errors,
            scales=SCALES,
            rating_words=RATING_WORDS,
        )
    )
    if cache is not None and not errors:
        cache.set(key, (number, len(pages), questions_html))
    html = _render_answer(
        found,
        version,
        token,
        form,
        number,
        len(pages),
        questions_html,
        errors=errors,
        may_contact=may_contact,
    )
    return _private(html, 400 if errors else 200)


def _answer_error(kind: str | None, why: str) -> str:
    """The shopper's words for a refused answer (``why`` is the check's own)."""
    if kind == "text":
        if "characters" in why and "control" not in why:
            return _("Please keep this to %(limit)s characters or fewer.", limit="4,000")
        return _("This text holds characters we cannot keep. Please remove them.")
    return _("Please choose one of the answers.")


def _render_answer(
    invitation: Any,
    version: Any,
    token: str,
    form: CsrfForm,
    page: int,
    pages: int,
    questions_html: Markup,
    *,
    errors: dict[str, str] | None = None,
    may_contact: bool = False,
) -> str:
    return render_template(
        "shopcare/surveys/answer.html",
        invitation=invitation,
        version=version,
        page=page,
        pages=pages,
        questions_html=questions_html,
        errors=errors or {},
        form=form,
        may_contact=may_contact,
        token=token,
    )


@blueprint.route("/s/<invitation>/done")
@public
def done(invitation: str) -> HttpResponse:
    """Thanks, once the survey is finished (or if it was already)."""
    found = _invitation(invitation)
    if found.status != "completed" and (found.status not in OPEN or found.expires_at <= utcnow()):
        # expired or withdrawn before it was finished: no "continue" that leads nowhere
        return _private(render_template("shopcare/surveys/closed.html", invitation=found), 410)
    return _private(render_template("shopcare/surveys/done.html", invitation=found))


@blueprint.route("/unsubscribe/<signature>", methods=["GET", "POST"])
@public  # the signed address is the credential
def unsubscribe(signature: str) -> HttpResponse:
    """No more surveys for an address. A GET (or HEAD: mail scanners) only shows the
    button; a POST unsubscribes — the page's button, or a mail client's RFC 8058
    one-click POST (``List-Unsubscribe=One-Click``). The signed key is the credential,
    so the host's CSRF check does not apply here (a mail client has no token)."""
    try:
        email = read_unsubscribe_token(signature)
    except NotFound:
        abort(404)
    desk = current_desk()
    form = CsrfForm()
    if request.method == "POST":
        one_click = request.form.get("List-Unsubscribe") == "One-Click"
        if not one_click and not form.validate_on_submit():
            abort(400)  # neither a mail client's RFC 8058 POST nor the page's button
        desk.unsubscribe(email)
        session().commit()
        if one_click:
            return make_response("", 204)
        return _private(render_template("shopcare/surveys/unsubscribed.html", done=True))
    return _private(
        render_template(
            "shopcare/surveys/unsubscribed.html",
            done=desk.is_unsubscribed(email),
            signature=signature,
            form=form,
        )
    )


def exempt_unsubscribe_from_csrf() -> None:
    """The one-click unsubscribe POST carries no CSRF token (RFC 8058)."""
    csrf = current_app.extensions.get("csrf")
    if csrf is not None:
        name = "shopcare.surveys.unsubscribe"
        view = current_app.view_functions.get(name)
        if view is not None and name not in csrf._exempt_views:
            csrf._exempt_views.add(name)


# -- staff -----------------------------------------------------------------------------


def _forget_surveys() -> None:
    """After a rollback, let go of the surveys this session holds: one made on first use
    in this request is gone and will be made again, maybe under the same ids (SQLite
    reuses them), which SQLAlchemy must not find still in its identity map."""
    db = session()
    for held in list(db.identity_map.values()):
        if isinstance(held, Survey | SurveyVersion | Question):
            db.expunge(held)


def _survey(key: str) -> Survey:
    current_desk().list()
    survey = current_desk().get(key)
    if survey is None:
        abort(404)
    return survey


@staff_pages.route("/surveys", endpoint="surveys")
@staff_required
def staff_surveys() -> str:
    """Every survey with its response rate per version; the audits beside them."""
    desk = current_desk()
    surveys = desk.list()
    rates = {survey.id: desk.response_rates(survey) for survey in surveys}
    audits = list(
        session().scalars(
            select(Response)
            .where(Response.kind == "audit")
            .order_by(Response.completed_at.desc())
            .limit(20)
        )
    )
    return render_template(
        "shopcare/staff/surveys/index.html", surveys=surveys, rates=rates, audits=audits
    )


@staff_pages.route("/surveys/<survey>/responses", endpoint="survey_responses")
@staff_required
def staff_responses(survey: str) -> str:
    """The answers browser: one survey's responses, newest first, filtered by version,
    status, area of a low answer, and kind."""
    found = _survey(survey)
    query = select(Response).where(Response.survey_id == found.id)
    version = request.args.get("version", "")
    status = request.args.get("status", "")
    low = request.args.get("low", "")
    if _digits(version) and len(version) <= 9:
        query = query.where(
            Response.version_id.in_([v.id for v in found.versions if v.number == int(version)])
        )
    if status in ("partial", "complete"):
        query = query.where(Response.status == status)
    if low == "yes":
        query = query.where(
            Response.id.in_(
                select(Answer.response_id).where(
                    ((Answer.type == "nps") & (Answer.value <= 6))
                    | ((Answer.type == "rating") & (Answer.value <= 2))
                )
            )
        )
    page = page_number()
    per_page = 25
    total = session().scalar(select(func.count()).select_from(query.subquery())) or 0
    responses = list(
        session().scalars(
            query.order_by(Response.updated_at.desc(), Response.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    return render_template(
        "shopcare/staff/surveys/responses.html",
        survey=found,
        responses=responses,
        total=total,
        page=page,
        pages=max(1, (total + per_page - 1) // per_page),
        filters={"version": version, "status": status, "low": low},
        answer_label=answer_label,
        form=CsrfForm(),
    )


@staff_pages.post(
    "/surveys/responses/<int(min=1, max=2147483647):response_id>/anonymise",
    endpoint="survey_anonymise",
)
@staff_required
def staff_anonymise(response_id: int) -> HttpResponse:
    """Blank a response's free text (GDPR request)."""
    form = CsrfForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        response = current_desk().anonymise(response_id, actor=Actor.current())
    except NotFound:
        abort(404)
    session().commit()
    flash(_("The response's free text was removed."))
    return redirect(url_for("shopcare.staff.survey_responses", survey=response.survey.key))


#: Characters that make a spreadsheet read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: a string starting with ``=``, ``+``,
    ``-``, ``@``, tab or carriage return gets a leading apostrophe (OWASP, "CSV
    injection"); numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def export_rows(survey: Survey) -> tuple[list[str], list[list[Any]]]:
    """The CSV of ``survey``'s responses: one row per response, one column per question
    key in a stable order across versions (each key where it first appeared, by
    version then position); a key a version lacks is empty."""
    keys: list[str] = []
    for version in survey.versions:
        for question in version.questions:
            if question.key not in keys:
                keys.append(question.key)
    header = [
        "response",
        "version",
        "kind",
        "status",
        "order",
        "completed_at",
        "may_contact",
        *keys,
    ]
    rows: list[list[Any]] = []
    responses = session().scalars(
        select(Response).where(Response.survey_id == survey.id).order_by(Response.id)
    )
    numbers = {version.id: version.number for version in survey.versions}
    orders = dict(
        session()
        .execute(
            select(Order.id, Order.reference).where(
                Order.id.in_(select(Response.order_id).where(Response.survey_id == survey.id))
            )
        )
        .all()
    )
    for response in responses:
        by_key = {answer.question.key: answer for answer in response.answers}
        cells: list[Any] = [
            response.id,
            numbers.get(response.version_id),
            response.kind,
            response.status,
            orders.get(response.order_id, "") if response.order_id is not None else "",
            response.completed_at.isoformat() if response.completed_at else "",
            "yes" if response.may_contact else "no",
        ]
        for key in keys:
            answer = by_key.get(key)
            if answer is None:
                cells.append("")
            elif answer.value is not None:
                cells.append(answer.value)  # a number stays a number
            else:
                cells.append(answer_label(answer, "en"))
        rows.append(cells)
    return header, rows


@staff_pages.route("/surveys/<survey>/export.csv", endpoint="survey_export")
@staff_required
def staff_export(survey: str) -> HttpResponse:
    """The responses as CSV: UTF-8 with a BOM (accents intact in a spreadsheet), text
    cells made inert against formulas."""
    found = _survey(survey)
    header, rows = export_rows(found)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([inert(cell) for cell in header])
    for row in rows:
        writer.writerow([inert(cell) for cell in row])
    response = make_response("\ufeff" + buffer.getvalue())
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="survey-{found.key}.csv"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@staff_pages.route("/surveys/<survey>/edit", methods=["GET", "POST"], endpoint="survey_edit")
@staff_required
def staff_edit(survey: str) -> HttpResponse:
    """The survey editor: titles and the questions as a table. Saving a survey that
    has answers makes a new version; the old answers keep theirs."""
    found = _survey(survey)
    form = CsrfForm()
    errors: dict[str, str] = {}
    current = found.current
    questions = _editor_rows(current)
    titles = {"title_en": current.title_en, "title_es": current.title_es}
    base = _stamp(current)
    status = 200
    if request.method == "POST":
        titles = {name: request.form.get(name, "") for name in titles}
        count = request.form.get("count", "0")
        count_ = min(int(count), MAX_QUESTIONS) if _digits(count) else 0
        questions = []
        for index in range(count_ + 1):
            prefix = f"q{index}-"
            if not request.form.get(prefix + "key", "").strip():
                continue
            if request.form.get(prefix + "remove") == "yes":
                continue
            questions.append(
                {
                    "key": request.form.get(prefix + "key", "").strip(),
                    "type": request.form.get(prefix + "type"),
                    "area": request.form.get(prefix + "area"),
                    "dimension": request.form.get(prefix + "dimension") or None,
                    "weight": request.form.get(prefix + "weight", "1"),
                    "required": request.form.get(prefix + "required") == "yes",
                    "page": request.form.get(prefix + "page", "1"),
                    "text_en": request.form.get(prefix + "text_en"),
                    "text_es": request.form.get(prefix + "text_es"),
                    "options": request.form.get(prefix + "options", ""),
                }
            )
        if not form.validate_on_submit():
            errors["form"] = _("The form expired. Please send it again.")
            status = 400
        elif request.form.get("base") != base:
            # Someone saved since this form was opened: saving it would undo their
            # changes without anyone seeing. Show what is current instead.
            return make_response(_stale_editor(found, form), 409)
        else:
            try:
                parsed = []
                for index, question in enumerate(questions):
                    raw = str(question["options"])
                    try:
                        options = json.loads(raw) if raw.strip() else None
                    except ValueError:
                        raise ValidationError(
                            f"questions[{index}].options", _("Options must be a JSON list.")
                        ) from None
                    parsed.append({**question, "options": options})
                version = current_desk().edit(
                    found, questions=parsed, actor=Actor.current(), **titles
                )
                session().commit()
            except ValidationError as error:
                session().rollback()
                _forget_surveys()
                found = _survey(survey)  # made again if it was made on first use here
                base = _stamp(found.current)
                errors = _editor_errors(error.fields, len(questions))
                status = 400
            else:
                flash(_("Saved as version %(number)s.", number=version.number))
                return redirect(url_for("shopcare.staff.survey_edit", survey=found.key))
    return make_response(_render_editor(found, form, titles, questions, errors, base=base), status)


#: The most questions the editor reads from one form (a forged ``count`` reads no more).
MAX_QUESTIONS = 200

#: What the editor says next to a field the check refused, by the field's name.
EDITOR_MESSAGES = {
    "key": _l("Use letters, digits and _ only, different from the other questions' keys."),
    "type": _l("Choose a type from the list."),
    "area": _l("Choose an index area from the list."),
    "dimension": _l("Choose a quality dimension from the list, or none."),
    "weight": _l("A number from 0 to 100."),
    "page": _l("A whole number from 1 to 20."),
    "text_en": _l("Write the question, in up to 500 characters."),
    "text_es": _l("Write the question, in up to 500 characters."),
    "options": _l('A JSON list of options, each {"value", "en", "es"}; needed for choices.'),
    "title_en": _l("Write a title, in up to 200 characters."),
    "title_es": _l("Write a title, in up to 200 characters."),
    "questions": _l("A survey needs at least one question."),
}


#: What a question's stamp covers: everything the editor changes.
STAMPED: tuple[str, ...] = ("key", "type", "area", "dimension", "weight", "required", "page")
STAMPED += ("text_en", "text_es", "options")


def _stamp(version: Any) -> str:
    """What the editor's form was opened on: the version's number and a digest of its
    titles and questions (an unsent version is edited in place, so its number is not
    enough; not its id, which differs each time a survey made on first use was not
    kept)."""
    content = json.dumps(
        [
            version.title_en,
            version.title_es,
            [{name: getattr(q, name) for name in STAMPED} for q in version.questions],
        ],
        sort_keys=True,
        default=str,
    )
    return f"{version.number}-{hashlib.sha256(content.encode()).hexdigest()[:16]}"


def _editor_errors(fields: dict[str, str], count: int) -> dict[str, str]:
    """A check's ``{"questions[2].options[0].en": why}`` as ``{"q2-options": message}``
    (the page shown again lists the kept questions in order, so row 2 is the third kept
    question) in the staff's language."""
    errors: dict[str, str] = {}
    for name in fields:
        match = re.fullmatch(r"questions\[(\d+)\]\.(\w+)(?:\[.*)?", name)
        if match and int(match.group(1)) < count:
            field = match.group(2)
            errors[f"q{match.group(1)}-{field}"] = str(
                EDITOR_MESSAGES.get(field, _l("Please check this field."))
            )
        else:
            errors[name if name in ("title_en", "title_es") else "questions"] = str(
                EDITOR_MESSAGES.get(name, EDITOR_MESSAGES["questions"])
            )
    return errors


def _stale_editor(survey: Survey, form: CsrfForm) -> str:
    """The editor showing the current version, saying why the edit was not saved."""
    current = survey.current
    return _render_editor(
        survey,
        form,
        {"title_en": current.title_en, "title_es": current.title_es},
        _editor_rows(current),
        {
            "form": _(
                "Someone changed this survey since you opened it, so your edit was not"
                " saved. Here is the survey as it is now: make your changes again."
            )
        },
        base=_stamp(current),
    )


def _editor_rows(version: Any) -> list[dict[str, Any]]:
    return [
        {
            "key": q.key,
            "type": q.type,
            "area": q.area,
            "dimension": q.dimension or "",
            "weight": q.weight,
            "required": q.required,
            "page": q.page,
            "text_en": q.text_en,
            "text_es": q.text_es,
            "options": json.dumps(q.options, ensure_ascii=False) if q.options else "",
        }
        for q in version.questions
    ]


def _render_editor(
    survey: Survey,
    form: CsrfForm,
    titles: dict[str, str],
    questions: list[dict[str, Any]],
    errors: dict[str, str],
    *,
    base: str,
) -> str:
    return render_template(
        "shopcare/staff/surveys/edit.html",
        survey=survey,
        form=form,
        titles=titles,
        questions=questions,
        errors=errors,
        base=base,
        types=QUESTION_TYPES,
        type_labels=TYPE_LABELS,
        areas=AREAS,
        dimensions=DIMENSIONS,
        area_label=area_label,
    )


@staff_pages.route("/surveys/audits/new", methods=["GET", "POST"], endpoint="survey_audit")
@staff_required
def staff_audit() -> HttpResponse | str:
    """Record a mystery-shopper audit of an order placed as a normal customer."""
    survey = current_desk().audit_survey()
    form = CsrfForm()
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if request.method == "POST":
        values = {q.key: request.form.get(q.key) for q in survey.current.questions}
        values["order"] = request.form.get("order", "")
        values["auditor"] = request.form.get("auditor", "")
        if not form.validate_on_submit():
            errors["form"] = _("The form expired. Please send it again.")
        else:
            try:
                current_desk().record_audit(
                    values["order"],
                    {q.key: values[q.key] for q in survey.current.questions},
                    auditor=values["auditor"],
                    actor=Actor.current(),
                )
                session().commit()
            except NotFound:
                session().rollback()
                survey = current_desk().audit_survey()  # made again if made here
                errors["order"] = _("No order with this number.")
            except ValidationError as error:
                session().rollback()
                survey = current_desk().audit_survey()
                kinds = {q.key: q.type for q in survey.current.questions}
                errors = {
                    name: str(
                        _("Please write who did the audit.")
                        if name == "auditor"
                        else _("Please choose met or not met.")
                        if kinds.get(name) == "check"
                        else _answer_error("text", why)
                    )
                    for name, why in error.fields.items()
                }
            else:
                flash(_("The audit was recorded."))
                return redirect(url_for("shopcare.staff.surveys"))
    return render_template(
        "shopcare/staff/surveys/audit.html",
        survey=survey,
        form=form,
        errors=errors,
        values=values,
        area_label=area_label,
    )
