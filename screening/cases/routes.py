"""The counselor workspace: queue, case page, claim, contact, notes, close-out, register."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from openpyxl import Workbook
from sqlalchemy import select
from werkzeug.wrappers import Response

from screening import db
from screening.audit.services import append as audit
from screening.auth.access import roles_required
from screening.auth.models import Faculty, Role, User
from screening.auth.services import person
from screening.cases import services
from screening.cases.forms import CaseActionForm, CloseForm, NoteForm, ReassignForm
from screening.cases.models import OUTCOMES, Case
from screening.csvexport import escape_cell, to_csv
from screening.db import utcnow
from screening.forms import choices
from screening.responses.services import screening_history

bp = Blueprint("cases", __name__, url_prefix="/cases")
STAFF = (Role.COUNSELOR, Role.SUPERVISOR)
TIER_ORDER = {"crisis": 0, "high": 1, "moderate": 2}


def _case(case_id: int) -> Case:
    try:
        return services.get_case(db.session(), current_user, case_id)
    except services.CaseError:
        abort(404)


def _names(users: set[int | None]) -> dict[int, str]:
    s = db.session()
    return {
        u.id: (person(s, u).name or u.username or "")
        for u in s.scalars(select(User).where(User.id.in_([x for x in users if x])))
    }


@bp.route("/")
@roles_required(*STAFF)
def queue() -> str:
    """Open cases in scope, most urgent first, overdue marked."""
    s = db.session()
    cases = list(
        s.scalars(select(Case).where(services.scoped(current_user), Case.status != "closed"))
    )
    cases.sort(key=lambda c: (TIER_ORDER[c.tier], c.due_at))
    names = _names({c.assignee_id for c in cases})
    return render_template(
        "cases/queue.html", cases=cases, names=names, now=utcnow(), form=CaseActionForm()
    )


@bp.route("/<int:case_id>")
@roles_required(*STAFF)
def detail(case_id: int) -> str:
    """Why the case exists, the student's earlier screenings, and everything done (audited)."""
    s = db.session()
    case = _case(case_id)
    student = s.get(User, case.student_id)
    history = services.history(s, case)
    audit(
        s, actor_id=current_user.id, action="case.view", target_type="case", target_id=str(case.id)
    )
    s.commit()
    counselors = list(
        s.scalars(select(User).where(User.role == Role.COUNSELOR, User.active.is_(True)))
    )
    reassign = ReassignForm()
    reassign.assignee.choices = choices((str(u.id), u.username or str(u.id)) for u in counselors)
    close = CloseForm()
    close.outcome.choices = choices((o, _outcome_label(o)) for o in OUTCOMES)
    return render_template(
        "cases/detail.html",
        case=case,
        student=person(s, student) if student else None,
        faculty=s.get(Faculty, case.faculty_id),
        history=history,
        screenings=screening_history(s, case.student_id, current_app.extensions["library"]),
        names=_names(
            {case.assignee_id, case.closed_by, case.signed_off_by}
            | {h.event.actor_id for h in history}
        ),
        now=utcnow(),
        action=CaseActionForm(),
        note=NoteForm(),
        close=close,
        reassign=reassign,
        outcome_label=_outcome_label,
    )


def _outcome_label(code: str) -> str:
    labels = {
        "resolved_contacted": _("Contacted; support given; resolved"),
        "referred_campus_clinic": _("Referred to the campus clinic"),
        "referred_hospital": _("Referred to a hospital"),
        "hospitalised": _("Hospitalised"),
        "declined_support": _("Student declined support"),
        "false_positive": _("No risk found on contact"),
        "left_university": _("Student left the university"),
        "other": _("Other (see note)"),
    }
    return labels.get(code, code)


def _act(case_id: int, action: str) -> Response:
    s = db.session()
    case = _case(case_id)
    messages = {
        "taken": _("Another counselor claimed this case a moment ago. It is theirs now."),
        "state": _("This case cannot do that in its current state."),
        "outcome": _("Choose an outcome."),
        "empty": _("Write a note."),
        "scope": _("Only a supervisor can do this."),
        "kind": _("Unknown kind of note."),
    }
    try:
        if action == "claim":
            services.claim(s, current_user, case)
        elif action == "acknowledge":
            services.acknowledge(s, current_user, case, request.form.get("text", ""))
        elif action == "note":
            form = NoteForm()
            if not form.validate_on_submit():
                raise services.CaseError("empty")
            services.add_note(s, current_user, case, form.kind.data or "note", form.text.data or "")
        elif action == "close":
            form = CloseForm()
            form.outcome.choices = choices((o, o) for o in OUTCOMES)
            if not form.validate_on_submit():
                raise services.CaseError("outcome" if not form.outcome.data else "empty")
            services.close(s, current_user, case, form.outcome.data or "", form.note.data or "")
        elif action == "signoff":
            services.sign_off(s, current_user, case, request.form.get("text", ""))
        elif action == "reassign":
            target = s.get(User, int(request.form.get("assignee") or 0))
            if target is None:
                raise services.CaseError("scope")
            services.reassign(s, current_user, case, target)
    except services.CaseError as exc:
        s.rollback()
        flash(messages.get(exc.code, _("That did not work.")), "error")
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
    """Sign off a crisis case's close-out."""
    return _act(case_id, "signoff")


@bp.route("/<int:case_id>/reassign", methods=["POST"])
@roles_required(Role.SUPERVISOR)
def reassign(case_id: int) -> Response:
    """Hand the case to another counselor."""
    return _act(case_id, "reassign")


def _register_rows() -> list[list[Any]]:
    s = db.session()
    cases = list(
        s.scalars(select(Case).where(services.scoped(current_user)).order_by(Case.opened_at))
    )
    names = _names({c.assignee_id for c in cases} | {c.signed_off_by for c in cases})
    faculties = {f.id: f.code for f in s.scalars(select(Faculty))}
    now = utcnow()
    rows: list[list[Any]] = [
        [
            "case",
            "faculty",
            "kind",
            "tier",
            "status",
            "opened",
            "age_days",
            "responsible",
            "due",
            "overdue",
            "outcome",
            "signed_off_by",
            "closed",
        ]
    ]
    for c in cases:
        rows.append(
            [
                c.id,
                faculties.get(c.faculty_id, ""),
                c.kind,
                c.tier,
                c.status,
                c.opened_at.isoformat(timespec="minutes"),
                (now - c.opened_at).days,
                names.get(c.assignee_id or 0, ""),
                c.due_at.isoformat(timespec="minutes"),
                "yes"
                if c.acknowledged_at is None and c.status == "open" and c.due_at < now
                else "no",
                c.outcome or "",
                names.get(c.signed_off_by or 0, ""),
                c.closed_at.isoformat(timespec="minutes") if c.closed_at else "",
            ]
        )
    return rows


@bp.route("/register")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def register() -> str:
    """The risk register (台账): every case in scope, open and closed."""
    return render_template("cases/register.html", rows=_register_rows())


@bp.route("/register.<any(csv, xlsx):fmt>")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def register_export(fmt: str) -> Response:
    """The register as CSV or XLSX, formula-injection escaped, audited."""
    s = db.session()
    rows = _register_rows()
    audit(s, actor_id=current_user.id, action="register.export", target_type="register", reason=fmt)
    s.commit()
    if fmt == "csv":
        return Response(
            to_csv(rows, bom=True),
            mimetype="text/csv",
            headers={"Content-Disposition": 'attachment; filename="risk-register.csv"'},
        )
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append([v if isinstance(v, int) else escape_cell(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(
        buffer.getvalue(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="risk-register.xlsx"'},
    )


@bp.route("/rota", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def rota() -> str | Response:
    """The on-call rota: who receives crisis alerts when."""
    from zoneinfo import ZoneInfo

    from screening.cases.forms import ShiftForm
    from screening.cases.models import OnCallShift

    s = db.session()
    counselors = list(
        s.scalars(select(User).where(User.role == Role.COUNSELOR, User.active.is_(True)))
    )
    form = ShiftForm()
    form.user.choices = choices((str(u.id), u.username or str(u.id)) for u in counselors)
    if form.validate_on_submit():
        zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
        starts = form.starts_at.data.replace(tzinfo=zone)
        ends = form.ends_at.data.replace(tzinfo=zone)
        if ends <= starts:
            form.ends_at.errors = [*form.ends_at.errors, _("The shift must end after it starts.")]
        else:
            s.add(OnCallShift(user_id=int(form.user.data), starts_at=starts, ends_at=ends))
            audit(
                s,
                actor_id=current_user.id,
                action="rota.add",
                target_type="user",
                target_id=form.user.data,
            )
            s.commit()
            flash(_("Shift added."), "success")
            return redirect(url_for("cases.rota"))
    shifts = list(
        s.scalars(
            select(OnCallShift)
            .where(OnCallShift.ends_at > utcnow())
            .order_by(OnCallShift.starts_at)
        )
    )
    names = {u.id: u.username for u in counselors}
    return render_template(
        "cases/rota.html", form=form, shifts=shifts, names=names, remove=CaseActionForm()
    )


@bp.route("/rota/<int:shift_id>/remove", methods=["POST"])
@roles_required(Role.ADMIN)
def rota_remove(shift_id: int) -> Response:
    """Remove a shift."""
    from screening.cases.models import OnCallShift

    s = db.session()
    shift = s.get(OnCallShift, shift_id)
    if shift is None:
        abort(404)
    s.delete(shift)
    audit(
        s,
        actor_id=current_user.id,
        action="rota.remove",
        target_type="user",
        target_id=str(shift.user_id),
    )
    s.commit()
    return redirect(url_for("cases.rota"))
