"""The student's pages: campaigns, consent, one instrument per page, receipt, downloads."""

from __future__ import annotations

import json
import secrets
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
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from screening import db
from screening.audit import security
from screening.audit.services import append as audit
from screening.auth.access import roles_required
from screening.auth.models import Role
from screening.campaigns.models import Assignment
from screening.campaigns.services import assignments_for
from screening.campaigns.services import crisis_resources_or_defaults as crisis_resources
from screening.db import utcnow
from screening.i18n import current_locale
from screening.instruments import Instrument, Library
from screening.instruments.answers import MAX_TEXT
from screening.instruments.fhir import to_fhir_response
from screening.instruments.forms import build_form_class, form_item_lang
from screening.responses import services
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
}


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
    s.commit()  # newly targeted campaigns are assigned on first look
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
        s.commit()
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
    return render_template(
        "responses/consent.html",
        assignment=assignment,
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
    html = Markup(template.render(instrument=instrument, form=form))  # noqa: S704 - autoescaped
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
) -> tuple[str, int]:
    lang = _lang()
    shown_lang = form_item_lang(instrument, lang)
    form_class = build_form_class(instrument, shown_lang)
    form = form_class(formdata=None, data={k: str(v) for k, v in answers.items()})
    for item_id, code in errors.items():
        if item_id in form:
            form[item_id].errors = [str(ERROR_MESSAGES.get(code, _l("Please check this answer.")))]
    position = next(n for n, s in enumerate(steps) if s.instrument_id == instrument.id) + 1
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
        token=token,
        error_count=len(errors),
    )
    return body, status


def _keep_answers(assignment_id: int, instrument_id: str, answers: dict[str, Any]) -> None:
    """After a failed submit, keep the answers as a sealed draft in a new transaction."""
    s = db.session()
    try:
        s.rollback()
        assignment = services.get_assignment(s, current_user, assignment_id)
        services.save_draft(s, assignment, instrument_id, answers)
        s.commit()
        g.answers_kept = True  # the error page tells the student, and only when true
    except Exception:
        s.rollback()
        current_app.logger.exception("answers of assignment %s not kept as a draft", assignment_id)


@bp.route("/<int:assignment_id>/take", methods=["GET", "POST"])
@roles_required(Role.STUDENT)
def take(assignment_id: int) -> str | Response | tuple[str, int]:
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
        return _render_take(assignment, instrument, steps, answers, {}, secrets.token_urlsafe(24))
    posted = request.form.get("instrument")
    if posted not in (None, instrument.id):
        # A page of another questionnaire: never score its answers against this one.
        answered = done.get(posted or "")
        if answered is not None:  # a resubmission of one already answered: its receipt
            return redirect(
                url_for("responses.receipt", assignment_id=assignment.id, submission_id=answered.id)
            )
        flash(_("The screening moved on in another window. Please answer this page."), "info")
        return redirect(url_for("responses.take", assignment_id=assignment.id))
    answers = {item.id: request.form.get(item.id, "")[:MAX_ANSWER] for item in instrument.items}
    answers = {k: v for k, v in answers.items() if v != ""}
    token = (request.form.get("token") or "")[:64] or secrets.token_urlsafe(24)
    if request.form.get("action") == "save":
        services.save_draft(s, assignment, instrument.id, answers)
        s.commit()
        flash(_("Your answers are saved. You can continue later."), "success")
        return redirect(url_for("responses.index"))
    try:
        result = services.submit(
            s,
            student=current_user,
            assignment=assignment,
            instrument=instrument,
            answers=answers,
            token=token,
            lang=form_item_lang(instrument, _lang()),
            now=now,
            hooks=tuple(current_app.extensions.get("submit_hooks", ())),
            done=done,
        )
        s.commit()  # response, statistics, case, notifications and audit, or none of them
    except services.FlowError as exc:
        if exc.code != "retry":
            raise
        s.commit()  # the sealed draft keeps the answers
        flash(_("Your answers are kept. Please press Submit again."), "info")
        return redirect(url_for("responses.take", assignment_id=assignment.id))
    except Exception:
        _keep_answers(assignment_id, instrument.id, answers)
        raise  # the error page shows the crisis lines to students
    if result.errors:  # committed above: the draft keeps every answer given
        return _render_take(assignment, instrument, steps, answers, dict(result.errors), token, 422)
    assert result.submission is not None
    return redirect(
        url_for(
            "responses.receipt", assignment_id=assignment.id, submission_id=result.submission.id
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
            "responses/crisis.html", resources=resources, assignment=assignment, upcoming=upcoming
        )
    return render_template(
        "responses/receipt.html",
        assignment=assignment,
        result=result,
        instrument=instrument,
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
    answers = services.open_answers(s, submission) or {}
    instrument = _library().get(submission.instrument_id, submission.instrument_version)
    if fmt == "fhir":
        document: dict[str, Any] = to_fhir_response(
            instrument, answers, submission.lang, submission.submitted_at.isoformat()
        )
    else:
        document = {
            "instrument": submission.instrument_id,
            "version": submission.instrument_version,
            "definition_digest": submission.definition_digest,
            "submitted_at": submission.submitted_at.isoformat(),
            "answers": answers,
        }
    audit(
        s,
        actor_id=current_user.id,
        action="response.download",
        target_type="submission",
        target_id=str(submission.id),
    )
    s.commit()
    name = f"{submission.instrument_id}-{submission.id}{'-fhir' if fmt == 'fhir' else ''}.json"
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
