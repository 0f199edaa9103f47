"""我想找人聊聊 (a student asks for contact), concern reports and their receipts, the
counselor's "unfounded", and the admins' reporter flags."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from screening import db
from screening.auth.access import roles_required
from screening.auth.models import Role
from screening.campaigns.services import crisis_resources_or_defaults as crisis_resources
from screening.cases import signals
from screening.cases.forms import CaseActionForm
from screening.cases.services import CaseError
from screening.referrals import notices, services, staff
from screening.referrals.forms import (
    REPORTER_LABELS,
    STATE_LABELS,
    ConcernForm,
    ReporterForm,
    TalkForm,
)

bp = Blueprint("referrals", __name__, url_prefix="/referrals")
REPORTERS = (Role.STUDENT, Role.COUNSELOR, Role.SUPERVISOR)  # deans see statistics only
MESSAGES = {
    "choice": _l("Choose one of the answers shown."),
    "text": _l("Please keep it under 2000 characters."),
    "signs": _l("Choose at least one thing you noticed."),
    "student_number": _l("Enter the student number."),
    "rate_limited": _l(
        "You have sent as many reports as one person may send in a day. If a student is in "
        "danger now, call the counselling centre or 110/120."
    ),
    "not_found": _l("No such report."),
    "state": _l("This report is already marked unfounded."),
    "no_class_counselor": _l("No class counselor is on file for this student."),
}


@bp.app_template_global("reporter_kind")
def reporter_kind_global() -> str | None:
    """The current user's reporter role (for the home page's link), or None."""
    if not current_user.is_authenticated:
        return None
    return services.reporter_kind(db.session(), current_user)


_VOCABULARIES = {
    "self_urgency": signals.SELF_URGENCY,
    "contact_by": signals.CONTACT_WAYS,
    "contact_when": signals.CONTACT_TIMES,
    "concern_urgency": signals.CONCERN_URGENCY,
    "signs": signals.SIGNS,
    "reporter": REPORTER_LABELS,
}


@bp.app_template_global("told_label")
def told_label(vocabulary: str, code: object) -> str:
    """A request's or report's code (or list of sign codes) in the reader's language."""
    labels = _VOCABULARIES.get(vocabulary, {})
    if isinstance(code, list):
        return signals.labels(labels, [str(c) for c in code]) or "—"
    return signals.label(labels, str(code or "")) or "—"


@bp.route("/talk", methods=["GET", "POST"])
@roles_required(Role.STUDENT)
def talk() -> str | Response:
    """I'd like to talk to someone: how urgent, how and when to be contacted, a few words."""
    form = TalkForm()
    if form.validate_on_submit():
        s = db.session()
        db.for_writing(s)  # this view writes (an audit entry)
        try:
            row, _case = services.request_contact(
                s,
                current_user,
                urgency=form.urgency.data or "",
                contact_by=form.contact_by.data or "",
                contact_when=form.contact_when.data or "",
                text=form.text.data or "",
            )
        except services.ReferralError as exc:
            db.discard(s)
            form.urgency.errors = [str(MESSAGES.get(exc.code, _("That did not work.")))]
        else:
            return redirect(url_for("referrals.talk_received", request_id=row.id))
    return render_template("referrals/talk.html", form=form)


@bp.route("/talk/<int:request_id>")
@roles_required(Role.STUDENT)
def talk_received(request_id: int) -> str:
    """Received: when to expect contact, and the crisis lines first when it felt most urgent."""
    s = db.session()
    try:
        row, case = services.own_request(s, current_user, request_id)
    except services.ReferralError:
        abort(404)
    detail = services.request_detail(s, row)
    return render_template(
        "referrals/talk_received.html",
        urgent=detail.get("urgency") == next(iter(signals.SELF_URGENCY)),
        by=services.contact_expected_by(case),
        way=signals.label(signals.CONTACT_WAYS, str(detail.get("contact_by", ""))),
        when=signals.label(signals.CONTACT_TIMES, str(detail.get("contact_when", ""))),
        resources=crisis_resources(s),
    )


def _reporter() -> str:
    kind = services.reporter_kind(db.session(), current_user)
    if kind is None:
        abort(403)
    return kind


@bp.route("/concern", methods=["GET", "POST"])
@roles_required(*REPORTERS)
def concern() -> str | Response | tuple[str, int]:
    """Report a concern about a student by student number (reporters only)."""
    _reporter()
    form = ConcernForm()
    if form.validate_on_submit():
        s = db.session()
        db.for_writing(s)  # this view writes (an audit entry)
        try:
            services.report_concern(
                s,
                current_user,
                student_number=form.student_number.data or "",
                signs=list(form.signs.data or []),
                urgency=form.urgency.data or "",
                text=form.text.data or "",
            )
        except services.ReferralError as exc:
            if exc.code == "rate_limited":
                flash(str(MESSAGES["rate_limited"]), "error")
                return render_template("referrals/concern.html", form=form), 429
            db.discard(s)
            where = {"student_number": form.student_number, "text": form.text}
            where.get(exc.code, form.signs).errors = [
                str(MESSAGES.get(exc.code, _("That did not work.")))
            ]
        else:
            return redirect(url_for("referrals.concern_received"))
    return render_template("referrals/concern.html", form=form)


@bp.route("/concern/received")
@roles_required(*REPORTERS)
def concern_received() -> str:
    """已收到: the same page whichever student was reported."""
    _reporter()
    return render_template("referrals/concern_received.html")


@bp.route("/mine")
@roles_required(*REPORTERS)
def mine() -> str:
    """The reporter's own reports and their state; nothing of the case."""
    _reporter()
    return render_template(
        "referrals/mine.html",
        reports=services.my_reports(db.session(), current_user),
        state_label=lambda code: str(STATE_LABELS.get(code, code)),
    )


@bp.route("/reports/<int:report_id>/unfounded", methods=["POST"])
@roles_required(Role.COUNSELOR, Role.SUPERVISOR)
def unfounded(report_id: int) -> Response:
    """The counselor marks a concern report unfounded (recorded on the case, audited)."""
    s = db.session()
    if not CaseActionForm().validate_on_submit():
        abort(400)
    try:
        row = staff.mark_unfounded(s, current_user, report_id)
    except (services.ReferralError, CaseError):
        db.discard(s)
        abort(404)
    case_id = row.case_id
    flash(_("Saved."), "success")
    return redirect(url_for("cases.detail", case_id=case_id))


@bp.route("/reporters", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def reporters() -> str | tuple[str, int]:
    """Admins flag students as class psychological committee members or dorm heads."""
    s = db.session()
    db.for_writing(s)  # this view writes (an audit entry)
    form = ReporterForm()
    status = 200
    if form.validate_on_submit():
        try:
            staff.set_reporter(s, current_user, form.student_number.data or "", form.kind.data)
        except services.ReferralError:
            db.discard(s)
            form.student_number.errors = [_("No student has this student number.")]
            status = 400
        else:
            flash(_("Saved."), "success")
            form = ReporterForm(formdata=None)
    rows = staff.reporters(s, current_user)
    return render_template(
        "referrals/reporters.html",
        form=form,
        rows=rows,
        remove=CaseActionForm(),
        kind_label=lambda k: str(REPORTER_LABELS.get(k, k)),
    ), status


@bp.route("/reporters/<int:user_id>/remove", methods=["POST"])
@roles_required(Role.ADMIN)
def reporter_remove(user_id: int) -> Response:
    """Take a student's reporter flag away."""
    s = db.session()
    if not CaseActionForm().validate_on_submit():
        abort(400)
    try:
        staff.remove_reporter(s, current_user, user_id)
    except services.ReferralError:
        abort(404)
    flash(_("Saved."), "success")
    return redirect(url_for("referrals.reporters"))


@bp.route("/cases/<int:case_id>/ask-class-counselor", methods=["POST"])
@roles_required(Role.COUNSELOR, Role.SUPERVISOR)
def ask_class_counselor(case_id: int) -> Response:
    """Ask the student's class counselor to help reach the student (recorded on the case)."""
    s = db.session()
    if not CaseActionForm().validate_on_submit():
        abort(400)
    try:
        notices.ask_class_counselor(s, current_user, case_id)
    except CaseError:
        db.discard(s)
        abort(404)
    except services.ReferralError as exc:
        db.discard(s)
        flash(str(MESSAGES.get(exc.code, _("That did not work."))), "error")
        return redirect(url_for("cases.detail", case_id=case_id))
    flash(_("The class counselor was asked to help reach the student."), "success")
    return redirect(url_for("cases.detail", case_id=case_id))


@bp.route("/class")
@roles_required(Role.COUNSELOR, Role.SUPERVISOR, Role.ADMIN)
def class_notices() -> str:
    """A class counselor's students with an open crisis case or a request to help reach them."""
    s = db.session()
    db.for_writing(s)  # this view writes (an audit entry)
    rows = notices.for_class_counselor(s, current_user)
    return render_template("referrals/class.html", rows=rows)
