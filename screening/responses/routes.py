"""The student's pages: campaigns, consent, one instrument per page, receipt, downloads."""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_datetime, format_time, get_locale, to_user_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from screening import db
from screening.audit import security
from screening.auth.access import roles_required
from screening.auth.models import Role
from screening.campaigns.centre import counselling_centre_or_none, tel
from screening.campaigns.models import Assignment
from screening.campaigns.services import assignments_for
from screening.campaigns.services import crisis_resources_or_defaults as crisis_resources
from screening.db import utcnow
from screening.i18n import current_locale
from screening.instruments import Instrument, Library, score, visible_items
from screening.instruments.answers import MAX_TEXT
from screening.instruments.fhir import to_fhir_response
from screening.instruments.forms import build_form_class, form_item_lang
from screening.responses import pages, services, titles
from screening.responses.contact import contact_due
from screening.responses.forms import ConsentForm, TokenForm
from screening.responses.models import Submission

bp = Blueprint("responses", __name__, url_prefix="/screening")

ERROR_MESSAGES = {
    "required": _l("Please answer this question."),
    "invalid_choice": _l("Please choose one of the answers shown."),
    "invalid_text": _l("Please write your answer as text."),
    "too_long": _l("This answer is too long."),
    "not_applicable": _l("This question does not apply to your earlier answers."),
    "unknown_item": _l("This is not a question of this questionnaire."),
    "too_few_answers": _l(
        "Too few questions of this part are answered to give a score: please answer more of them."
    ),
}


#: A result word in the student's language where a definition has no band label in it.
TIER_WORDS = {
    "none": _l("No sign of strain on this questionnaire"),
    "moderate": _l("Some signs of strain"),
    "high": _l("Clear signs of strain"),
    "crisis": _l("Please talk with a counsellor soon"),
}

#: What the student reads when a post did not answer the page asked now (nothing was kept).
PAGE_MESSAGES = {
    "invalid": _l(
        "This page could not be checked, so nothing from it was saved. "
        "Please answer the questionnaire below."
    ),
    "other_instrument": _l(
        "That page belonged to another questionnaire, so nothing from it was saved here. "
        "Please answer the questionnaire below."
    ),
    "other_version": _l(
        "This questionnaire was updated after the page was opened, so nothing from it was "
        "saved. Please answer it again below."
    ),
}


#: A rendered questionnaire page: body, status and headers.
Rendered = tuple[str, int, dict[str, str]]

#: Longest answer kept from a form field: one past the limit, so it is still refused as too long.
MAX_ANSWER = MAX_TEXT + 1


def _library() -> Library:
    return current_app.extensions["library"]  # type: ignore[no-any-return]


def _lang() -> str:
    return "zh-Hans" if current_locale().startswith("zh") else "en"


def _assignment(assignment_id: int) -> Any:
    try:
        return services.get_assignment(db.session(), current_user, assignment_id)
    except services.FlowError:
        if db.session().get(Assignment, assignment_id) is not None:
            security.denied("assignment", assignment_id)  # another student's: audited
        abort(404)


@bp.app_template_global()
def student_title(instrument: Instrument) -> str:
    """An instrument's title as students read it: neutral, in their language where it can be."""
    return titles.student_title(instrument, _lang())


def _result_line(instrument: Instrument | None, result: dict[str, Any] | None) -> str | None:
    """The receipt's result in the student's language: the band's label where the definition
    has it in that language, else a plain word for its tier (never an English word in Chinese)."""
    if instrument is None or not result or not isinstance(result.get("band"), str):
        return None
    try:
        band = instrument.band(result["band"])
    except KeyError:
        return None
    label = band.label.get(_lang()) or str(TIER_WORDS.get(band.tier, TIER_WORDS["moderate"]))
    return str(_("%(title)s: %(band)s", title=student_title(instrument), band=label))


def _flow_error(code: str) -> Response:
    messages = {
        "closed": _("This screening has closed. Thank you for your interest."),
        "not_open": _("This screening has not opened yet."),
        "no_consent": _("Please read and agree to the consent notice first."),
    }
    flash(messages.get(code, _("This is not available.")), "error")
    return redirect(url_for("responses.index"))


def student_screenings(template: str) -> str:
    """Render a page listing the student's screenings and their own answers to download."""
    s = db.session()
    assignments = assignments_for(s, current_user, utcnow())
    library = _library()
    submitted = {
        a.id: [
            (sub, library.get(sub.instrument_id, sub.instrument_version))
            for sub in sorted(
                services.submissions_of(s, a).values(), key=lambda sub: sub.submitted_at
            )
        ]
        for a in assignments
    }
    return render_template(
        template,
        assignments=assignments,
        submitted=submitted,
        download_form=TokenForm(),
        now=utcnow(),
    )


@bp.route("/")
@roles_required(Role.STUDENT)
def index() -> str:
    """The student's screenings: open, completed and closed."""
    return student_screenings("responses/index.html")


@bp.route("/<int:assignment_id>/consent", methods=["GET", "POST"])
@roles_required(Role.STUDENT)
def consent(assignment_id: int) -> str | Response:
    """Read the informed-consent notice, then agree or decline."""
    assignment = _assignment(assignment_id)
    try:
        services.require_open(assignment, utcnow())
    except services.FlowError as exc:
        return _flow_error(exc.code)
    s = db.session()
    form = ConsentForm()
    if form.validate_on_submit():
        agreed = bool(form.agree.data)
        services.decide_consent(s, assignment, agreed)
        if not agreed:
            flash(
                _(
                    "Your decision is recorded. "
                    "You can change your mind while the screening is open."
                ),
                "info",
            )
            return redirect(url_for("responses.index"))
        return redirect(url_for("responses.take", assignment_id=assignment.id))
    from screening.campaigns import consent as notices

    shown = notices.notice(s, assignment.campaign.consent_version)
    return render_template(
        "responses/consent.html",
        assignment=assignment,
        notice_blocks=notices.blocks(shown.text(current_locale())) if shown else [],
        form=form,
        decision=services.consent_of(s, assignment),
        resources=crisis_resources(s),
    )


def _items_html(instrument: Instrument, form: Any, lang: str, *, blank: bool) -> Markup:
    """The questions of the page. A blank page (no draft answers, no errors) is the same for
    every student, so it is rendered once per definition, form language and page language."""
    key = (instrument.id, instrument.version, instrument.digest, lang, str(get_locale()))
    cache: dict[tuple[Any, ...], Markup] = current_app.extensions.setdefault("blank_items", {})
    if blank and key in cache:
        return cache[key]
    template = current_app.jinja_env.get_template("responses/_items.html")
    show_when = {
        it.id: pages.show_when(instrument.id, it.condition)
        for it in instrument.items
        if it.condition
    }
    html = Markup(  # noqa: S704 - autoescaped
        template.render(instrument=instrument, form=form, show_when=show_when)
    )
    if blank:
        cache[key] = html
    return html


def _render_take(
    assignment: Any,
    instrument: Instrument,
    steps: list[Any],
    answers: dict[str, Any],
    errors: dict[str, str],
    token: str,
    status: int = 200,
    notice: str | None = None,
) -> Rendered:
    lang = _lang()
    shown_lang = form_item_lang(instrument, lang)
    form_class = build_form_class(instrument, shown_lang)
    # Field names carry the instrument id (phq9-q1): no two questionnaires share a name.
    form = form_class(
        formdata=None, prefix=instrument.id, data={k: str(v) for k, v in answers.items()}
    )
    for item_id, code in errors.items():
        if item_id in form:
            form[item_id].errors = [str(ERROR_MESSAGES.get(code, _l("Please check this answer.")))]
    position = next(n for n, s in enumerate(steps) if s.instrument_id == instrument.id) + 1
    # Progress without a script: the items that apply given the answers kept so far.
    applying = [it.id for it in visible_items(instrument, answers) if it.id in form]
    body = render_template(
        "responses/take.html",
        assignment=assignment,
        instrument=instrument,
        form=form,
        items=_items_html(instrument, form, shown_lang, blank=not answers and not errors),
        lang=shown_lang,
        language_missing=shown_lang != lang,
        position=position,
        total=len(steps),
        title=titles.student_title(instrument, lang),
        minutes=titles.minutes(sum(1 for it in instrument.items if it.id in form)),
        answered=sum(1 for item_id in applying if answers.get(item_id) not in (None, "")),
        applying=len(applying),
        token=token,
        error_count=len(errors),
        notice=notice,
    )
    # Never kept or restored by the browser: Back shows the page the server asks now.
    return body, status, {"Cache-Control": "no-store"}


def _page_token(assignment: Any, instrument: Instrument) -> str:
    """A signed token naming this page's assignment, instrument and version."""
    page = pages.new_page(assignment.id, instrument.id, instrument.version)
    return pages.issue(current_app.config["SECRET_KEY"], page)


def _refuse_page(
    assignment: Any,
    instrument: Instrument,
    steps: list[Any],
    done: dict[str, Submission],
    page: pages.Page | None,
    problem: str,
) -> Response | Rendered:
    """A post that does not answer the page asked now: keep none of it, show the right page.

    The same page posted again (a double submit) goes to the receipt of its first post.
    """
    s = db.session()
    answered = done.get(page.instrument_id) if page is not None else None
    if answered is not None and page is not None and answered.token == page.nonce:
        return redirect(
            url_for("responses.receipt", assignment_id=assignment.id, submission_id=answered.id)
        )
    if problem == "invalid":
        services.record_forged_page(s, current_user.id, assignment.id)
    answers = services.load_draft(s, assignment, instrument.id)
    token = _page_token(assignment, instrument)
    notice = str(PAGE_MESSAGES[problem])
    return _render_take(assignment, instrument, steps, answers, {}, token, 409, notice)


def _keep_answers(assignment_id: int, instrument_id: str, answers: dict[str, Any]) -> None:
    """After a failed submit, keep the answers as a sealed draft in a new transaction, ended
    here: the error that follows rolls back only what comes after it."""
    s = db.session()
    try:
        db.discard(s)
        assignment = services.get_assignment(s, current_user, assignment_id)
        services.save_draft(s, assignment, instrument_id, answers)
        db.complete(s)
        g.answers_kept = True  # the error page tells the student, and only when true
    except Exception:
        db.discard(s)
        current_app.logger.exception("answers of assignment %s not kept as a draft", assignment_id)


@bp.route("/<int:assignment_id>/take", methods=["GET", "POST"])
@roles_required(Role.STUDENT)
def take(assignment_id: int) -> Response | Rendered:
    """One instrument per page: save a draft, or submit and go to the receipt."""
    s = db.session()
    assignment = _assignment(assignment_id)
    now = utcnow()
    try:
        services.require_open(assignment, now)
    except services.FlowError as exc:
        return _flow_error(exc.code)
    decision = services.consent_of(s, assignment)
    if decision is None or not decision.agreed:
        return redirect(url_for("responses.consent", assignment_id=assignment.id))
    done = services.submissions_of(s, assignment)
    steps, upcoming = services.plan(s, assignment, done)
    if upcoming is None:
        return redirect(url_for("responses.done", assignment_id=assignment.id))
    instrument = services.instrument_of(_library(), upcoming)
    if request.method == "GET":
        answers = services.load_draft(s, assignment, instrument.id)
        db.end_reading(s)
        token = _page_token(assignment, instrument)
        return _render_take(assignment, instrument, steps, answers, {}, token)
    token = request.form.get("token") or ""
    page = pages.read(current_app.config["SECRET_KEY"], token)
    problem = pages.mismatch(
        page,
        request.form,
        assignment_id=assignment.id,
        instrument_id=instrument.id,
        version=instrument.version,
    )
    if page is None or problem is not None:
        # Never score one page's answers against another questionnaire or version.
        return _refuse_page(assignment, instrument, steps, done, page, problem or "invalid")
    answers = {
        item.id: request.form.get(pages.field_name(instrument.id, item.id), "")[:MAX_ANSWER]
        for item in instrument.items
    }
    answers = {k: v for k, v in answers.items() if v != ""}
    if request.form.get("action") == "save":
        services.save_draft(s, assignment, instrument.id, answers)
        flash(_("Your answers are saved. You can continue later."), "success")
        return redirect(url_for("responses.index"))
    try:
        result = services.submit(
            s,
            student=current_user,
            assignment=assignment,
            instrument=instrument,
            answers=answers,
            token=page.nonce,
            lang=form_item_lang(instrument, _lang()),
            now=now,
            done=done,
        )
    except services.FlowError as exc:
        if exc.code != "retry":
            raise
        flash(_("Your answers are kept. Please press Submit again."), "info")
        return redirect(url_for("responses.take", assignment_id=assignment.id))
    except Exception:
        _keep_answers(assignment_id, instrument.id, answers)
        raise  # the error page shows the crisis lines to students
    if result.errors:  # committed after the view: the draft keeps every answer given
        return _render_take(assignment, instrument, steps, answers, dict(result.errors), token, 422)
    assert result.submission is not None
    return redirect(
        url_for(
            "responses.receipt", assignment_id=assignment.id, submission_id=result.submission.id
        )
    )


def _contact_by(s: Any) -> str | None:
    """When someone from the centre will get in touch, from the case's time limit."""
    try:
        due = contact_due(s, current_user.id)
    except Exception:  # the crisis page renders whatever fails
        current_app.logger.exception("contact time of a crisis page unreadable")
        db.discard(s)
        return None
    if due is None:
        return None
    now = utcnow()
    if due <= now:
        return str(_("Someone from the counselling centre will contact you as soon as possible."))
    days = (to_user_timezone(due).date() - to_user_timezone(now).date()).days
    time = format_time(due, "HH:mm")
    if days == 0:
        return str(
            _("Someone from the counselling centre will contact you by %(time)s today.", time=time)
        )
    if days == 1:
        return str(
            _(
                "Someone from the counselling centre will contact you by %(time)s tomorrow.",
                time=time,
            )
        )
    return str(
        _(
            "Someone from the counselling centre will contact you by %(when)s.",
            when=format_datetime(due, "medium"),
        )
    )


def _submission(assignment: Any, submission_id: int) -> Submission:
    submission = db.session().get(Submission, submission_id)
    if submission is None or submission.assignment_id != assignment.id:
        if submission is not None:
            security.denied("submission", submission_id)  # another's: audited
        abort(404)
    return submission


@bp.route("/<int:assignment_id>/receipt/<int:submission_id>")
@roles_required(Role.STUDENT)
def receipt(assignment_id: int, submission_id: int) -> str:
    """Thanks and what comes next; the crisis page at once when a critical rule fired."""
    s = db.session()
    assignment = _assignment(assignment_id)
    submission = _submission(assignment, submission_id)
    try:
        result = services.open_score(s, submission)
        critical = result is None or bool(result.get("critical"))  # unreadable: err on safety
        _steps, upcoming = services.plan(s, assignment)
        instrument = _library().get(submission.instrument_id, submission.instrument_version)
    except Exception:
        current_app.logger.exception("receipt of submission %s degraded", submission_id)
        result, critical, upcoming, instrument = None, True, None, None
    resources = crisis_resources(s)
    if critical:
        return render_template(
            "responses/crisis.html",
            resources=resources,
            assignment=assignment,
            upcoming=upcoming,
            centre=counselling_centre_or_none(s),
            contact_by=_contact_by(s),
            tel=tel,
        )
    return render_template(
        "responses/receipt.html",
        assignment=assignment,
        result=result,
        result_line=_result_line(instrument, result),
        upcoming=upcoming,
        resources=resources,
    )


@bp.route("/<int:assignment_id>/done")
@roles_required(Role.STUDENT)
def done(assignment_id: int) -> str:
    """The end of a campaign: thanks, and where to find help."""
    assignment = _assignment(assignment_id)
    return render_template(
        "responses/done.html", assignment=assignment, resources=crisis_resources(db.session())
    )


def answers_document(
    assignment: Any, submission: Submission, fmt: str, answers: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One submission's answers as a JSON document or a FHIR QuestionnaireResponse."""
    if answers is None:
        answers = services.open_answers(db.session(), submission) or {}
    instrument = _library().get(submission.instrument_id, submission.instrument_version)
    if fmt == "fhir":
        shown = score(instrument, answers) if assignment.campaign.show_results else None
        return to_fhir_response(
            instrument, answers, submission.lang, submission.submitted_at.isoformat(), shown
        )
    return {
        "instrument": submission.instrument_id,
        "version": submission.instrument_version,
        "definition_digest": submission.definition_digest,
        "submitted_at": submission.submitted_at.isoformat(),
        "answers": answers,
    }


@bp.route(
    "/<int:assignment_id>/submissions/<int:submission_id>/<any(json, fhir):fmt>", methods=["POST"]
)
@roles_required(Role.STUDENT)
def download(assignment_id: int, submission_id: int, fmt: str) -> Response:
    """Download one's own answers as JSON or a FHIR QuestionnaireResponse (POST: audited)."""
    s = db.session()
    assignment = _assignment(assignment_id)
    submission = _submission(assignment, submission_id)
    if not TokenForm().validate_on_submit():
        abort(400)
    answers = services.answers_for_download(s, current_user, submission)  # audited
    document = answers_document(assignment, submission, fmt, answers)
    name = f"{submission.instrument_id}-{submission.id}{'-fhir' if fmt == 'fhir' else ''}.json"
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
