"""The counselor workspace: queue, case page, claim, contact, notes, close-out, break-glass,
and the supervisors' risk register and process measures."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from screening import db
from screening.audit import security
from screening.audit.services import append as audit
from screening.auth.access import roles_required
from screening.auth.models import Faculty, Role, User
from screening.auth.services import person
from screening.cases import register as reg
from screening.cases import services
from screening.cases.forms import (
    REFERRAL_LABELS,
    BreakGlassForm,
    CaseActionForm,
    CloseForm,
    NoteForm,
    ReassignForm,
    SignOffForm,
    outcome_label,
)
from screening.cases.measures import process_measures
from screening.cases.models import OUTCOMES, Case
from screening.csvexport import escape_cell, to_csv
from screening.db import utcnow
from screening.forms import choices
from screening.responses.history import screening_history

bp = Blueprint("cases", __name__, url_prefix="/cases")
STAFF = (Role.COUNSELOR, Role.SUPERVISOR)
MESSAGES = {
    "taken": _l("Another counselor claimed this case a moment ago. It is theirs now."),
    "state": _l("This case cannot do that in its current state."),
    "outcome": _l("Choose an outcome."),
    "empty": _l("Write a note."),
    "scope": _l("Only a supervisor can do this."),
    "kind": _l("Unknown kind of note."),
    "referral": _l("Choose where the student was referred to."),
    "four_eyes": _l("Another supervisor must sign off a close-out you requested yourself."),
}


def _case(case_id: int) -> Case:
    try:
        return services.get_case(db.session(), current_user, case_id)
    except services.CaseError as exc:
        if exc.code == "scope":
            app = current_app._get_current_object()  # type: ignore[attr-defined]
            security.refused(app, security.OUT_OF_SCOPE_CASE, "case", case_id)
            abort(redirect(url_for("cases.break_glass", case_id=case_id)))
        abort(404)


@bp.route("/")
@roles_required(*STAFF)
def queue() -> str:
    """Open cases in scope, most urgent first (tier, then due time), overdue marked."""
    s = db.session()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    cases, total = services.queue_page(s, current_user, page)
    pages = max((total + services.QUEUE_PAGE - 1) // services.QUEUE_PAGE, 1)
    if page > pages:
        return redirect(url_for("cases.queue", page=pages))  # type: ignore[return-value]
    names = reg.staff_names(s, {c.assignee_id for c in cases})
    first = (page - 1) * services.QUEUE_PAGE + 1
    return render_template(
        "cases/queue.html",
        cases=cases,
        names=names,
        now=utcnow(),
        form=CaseActionForm(),
        page=page,
        pages=pages,
        total=total,
        first=first,
        last=first + len(cases) - 1,
    )


@bp.route("/<int:case_id>")
@roles_required(*STAFF)
def detail(case_id: int) -> str:
    """Why the case exists, the student's earlier screenings, and everything done (audited)."""
    s = db.session()
    case = _case(case_id)
    student = s.get(User, case.student_id)
    history = services.history(s, case)
    via_grant = not services.in_scope(current_user, case)
    audit(
        s,
        actor_id=current_user.id,
        action="case.view",
        target_type="case",
        target_id=str(case.id),
        reason="break_glass" if via_grant else None,
    )
    s.commit()
    counselors = list(
        s.scalars(select(User).where(User.role == Role.COUNSELOR, User.active.is_(True)))
    )
    reassign = ReassignForm()
    reassign.assignee.choices = choices((str(u.id), u.username or str(u.id)) for u in counselors)
    close = CloseForm()
    close.outcome.choices = choices(
        [("", _("Choose…"))] + [(o, outcome_label(o)) for o in OUTCOMES]
    )
    return render_template(
        "cases/detail.html",
        case=case,
        via_grant=via_grant,
        student=person(s, student) if student else None,
        faculty=s.get(Faculty, case.faculty_id),
        history=history,
        screenings=screening_history(s, case.student_id, current_app.extensions["library"]),
        names=reg.staff_names(
            s,
            {case.assignee_id, case.closed_by, case.signed_off_by}
            | {h.event.actor_id for h in history},
        ),
        overdue=reg.overdue(case, utcnow()),
        outcome_label=outcome_label,
        referral_label=lambda code: str(REFERRAL_LABELS.get(code, code)),
        action=CaseActionForm(),
        note=NoteForm(),
        close=close,
        signoff=SignOffForm(),
        reassign=reassign,
    )


@bp.route("/<int:case_id>/break-glass", methods=["GET", "POST"])
@roles_required(*STAFF)
def break_glass(case_id: int) -> str | Response | tuple[str, int]:
    """Emergency access outside one's scope: a written reason, one hour, supervisors told."""
    s = db.session()
    if s.get(Case, case_id) is None:
        abort(404)
    form = BreakGlassForm()
    if form.validate_on_submit():
        try:
            services.break_glass(s, current_user, case_id, form.reason.data or "")
        except services.CaseError:
            s.rollback()
            form.reason.errors = [_("Write why you need this case now (at least 10 characters).")]
        else:
            audit(
                s,
                actor_id=current_user.id,
                action="case.break_glass",
                target_type="case",
                target_id=str(case_id),
            )
            s.commit()
            flash(
                _("Emergency access granted for one hour. Your supervisors were told."), "warning"
            )
            return redirect(url_for("cases.detail", case_id=case_id))
    return render_template("cases/break_glass.html", form=form, case_id=case_id), 403


def _act(case_id: int, action: str) -> Response:
    s = db.session()
    case = _case(case_id)
    try:
        if action == "claim":
            services.claim(s, current_user, case)
        elif action == "acknowledge":
            services.acknowledge(s, current_user, case, request.form.get("text", ""))
        elif action == "note":
            form = NoteForm()
            if not form.validate_on_submit():
                raise services.CaseError("empty")
            services.add_note(
                s, current_user, case, form.kind.data, form.text.data or "", form.referral.data
            )
        elif action == "close":
            form = CloseForm()
            form.outcome.choices = choices((o, o) for o in OUTCOMES)
            if not form.validate_on_submit():
                raise services.CaseError("outcome" if not form.outcome.data else "empty")
            services.close(s, current_user, case, form.outcome.data or "", form.note.data or "")
        elif action == "signoff":
            form = SignOffForm()
            form.validate_on_submit()
            approve = request.form.get("decision", "approve") != "refuse"
            services.sign_off(s, current_user, case, form.note.data or "", approve=approve)
        elif action == "reassign":
            target = s.get(User, request.form.get("assignee", type=int) or 0)
            if target is None:
                raise services.CaseError("scope")
            services.reassign(s, current_user, case, target)
    except services.CaseError as exc:
        s.rollback()
        flash(str(MESSAGES.get(exc.code, _("That did not work."))), "error")
        return redirect(url_for("cases.detail", case_id=case_id))
    audit(
        s,
        actor_id=current_user.id,
        action=f"case.{action}",
        target_type="case",
        target_id=str(case_id),
    )
    s.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("cases.detail", case_id=case_id))


@bp.route("/<int:case_id>/claim", methods=["POST"])
@roles_required(*STAFF)
def claim(case_id: int) -> Response:
    """Take an unassigned case."""
    return _act(case_id, "claim")


@bp.route("/<int:case_id>/acknowledge", methods=["POST"])
@roles_required(*STAFF)
def acknowledge(case_id: int) -> Response:
    """Record first contact."""
    return _act(case_id, "acknowledge")


@bp.route("/<int:case_id>/notes", methods=["POST"])
@roles_required(*STAFF)
def note(case_id: int) -> Response:
    """Add a sealed note, contact attempt or referral."""
    return _act(case_id, "note")


@bp.route("/<int:case_id>/close", methods=["POST"])
@roles_required(*STAFF)
def close(case_id: int) -> Response:
    """Close out with an outcome and a note."""
    return _act(case_id, "close")


@bp.route("/<int:case_id>/signoff", methods=["POST"])
@roles_required(Role.SUPERVISOR)
def signoff(case_id: int) -> Response:
    """Sign off a crisis case's close-out, or send it back."""
    return _act(case_id, "signoff")


@bp.route("/<int:case_id>/reassign", methods=["POST"])
@roles_required(Role.SUPERVISOR)
def reassign(case_id: int) -> Response:
    """Hand the case to another counselor."""
    return _act(case_id, "reassign")


def _register_table() -> list[list[Any]]:
    from screening.templating import STATUS_LABELS, TIER_LABELS

    now = utcnow()
    headers = {
        "case": _("Case"),
        "faculty": _("Faculty"),
        "kind": _("Kind"),
        "tier": _("Tier"),
        "status": _("Status"),
        "opened": _("Opened"),
        "age_days": _("Age (days)"),
        "responsible": _("Responsible"),
        "due": _("First contact due"),
        "overdue": _("Overdue"),
        "escalation": _("Escalation level"),
        "outcome": _("Outcome"),
        "closed_by": _("Closed by"),
        "signed_off_by": _("Signed off by"),
        "closed": _("Closed"),
    }
    kinds = {"psych": _("Psychological"), "academic": _("Academic")}
    rows: list[list[Any]] = [[headers[c] for c in reg.COLUMNS]]
    for e in reg.entries(db.session(), current_user, now):
        c = e.case
        rows.append(
            [
                c.id,
                e.faculty,
                kinds.get(c.kind, c.kind),
                str(TIER_LABELS.get(c.tier, c.tier)),
                str(STATUS_LABELS.get(c.status, c.status)),
                c.opened_at.isoformat(timespec="minutes"),
                e.age_days,
                e.responsible,
                c.due_at.isoformat(timespec="minutes"),
                _("yes") if e.overdue else _("no"),
                c.escalation_level,
                outcome_label(c.outcome) if c.outcome else "",
                e.closed_by,
                e.signed_off_by,
                c.closed_at.isoformat(timespec="minutes") if c.closed_at else "",
            ]
        )
    return rows


@bp.route("/register")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def register() -> str:
    """The risk register (台账): every case in scope, open and closed (the view is audited)."""
    rows = _register_table()
    s = db.session()
    audit(s, actor_id=current_user.id, action="register.view", target_type="register")
    s.commit()
    return render_template("cases/register.html", rows=rows)


@bp.route("/register.<any(csv, xlsx):fmt>")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def register_export(fmt: str) -> Response:
    """The register as CSV or XLSX, formula-injection escaped, audited."""
    s = db.session()
    rows = _register_table()
    audit(s, actor_id=current_user.id, action="register.export", target_type="register", reason=fmt)
    s.commit()
    stamp = utcnow().strftime("%Y%m%d")
    if fmt == "csv":
        return Response(
            to_csv(rows, bom=True),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="risk-register-{stamp}.csv"'},
        )
    from openpyxl import Workbook  # loaded on the first export: it slows start-up

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append([v if isinstance(v, int) else escape_cell(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(
        buffer.getvalue(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="risk-register-{stamp}.xlsx"'},
    )


@bp.route("/measures")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def measures() -> str:
    """Process measures per tier and faculty: time to first contact, share within time, overdue."""
    now = utcnow()
    facts = reg.facts(reg.entries(db.session(), current_user, now))
    return render_template(
        "cases/measures.html",
        by_group=process_measures(facts, now),
        by_tier=process_measures(facts, now, key=lambda c: c.tier),
    )
