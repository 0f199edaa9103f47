"""The counselor workspace: queue, case page, claim, contact, notes, close-out, break-glass,
and the supervisors' risk register and process measures."""

from __future__ import annotations

import io
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from screening import db
from screening.audit import security
from screening.auth import mfa, stepup
from screening.auth.access import roles_required
from screening.auth.contact import dial
from screening.auth.forms import CodeForm
from screening.auth.models import Faculty, Role, User
from screening.campaigns.services import enabled_instrument_ids
from screening.cases import followup, reads, services, signals
from screening.cases import register as reg
from screening.cases.forms import (
    REFERRAL_LABELS,
    BreakGlassForm,
    CaseActionForm,
    CloseForm,
    FollowUpForm,
    NoteForm,
    ReassignForm,
    SignOffForm,
    outcome_label,
)
from screening.cases.measures import process_measures
from screening.cases.models import OUTCOMES, TIERS, Case
from screening.cases.wording import PHRASES, band_label, duration, instrument_name, score_chart
from screening.csvexport import escape_cell, to_csv
from screening.db import utcnow
from screening.forms import choices
from screening.referrals import staff as referrals
from screening.responses.history import screening_history
from screening.responses.sheets import answer_sheets

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
    "plan": _l("Write the follow-up plan."),
    "no_contact": _l("Record the first contact before closing out (or ask a supervisor)."),
    "override": _l("Write why the case closes without a recorded first contact."),
    "safety_plan": _l("A crisis case closes only with a safety plan: confirm it was made."),
    "instrument": _l("Choose a questionnaire that is enabled."),
    "date": _l("Choose a date from today on."),
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


def _queue_filter() -> services.QueueFilter:
    """The queue's filters from the query string; unknown values are ignored."""
    args = request.args
    flags = {name: args.get(name) == "1" for name in QUEUE_FLAGS}
    search = (args.get("q") or "").strip()
    return services.QueueFilter(
        tier=args.get("tier", "") if args.get("tier") in TIERS else "",
        status=args.get("status", "") if args.get("status") in ("open", "pending_signoff") else "",
        faculty_id=args.get("faculty", type=int),
        student_ids=reads.find_students(db.session(), search) if search else None,
        sort=args.get("sort", "urgency") if args.get("sort") in services.QUEUE_SORTS else "urgency",
        **flags,
    )


QUEUE_FLAGS = ("overdue", "escalated", "unassigned", "mine", "followup_overdue")


@bp.route("/")
@roles_required(*STAFF)
def queue() -> str:
    """Open cases in scope as a table: filters, sort and exact search by number or phone."""
    s = db.session()
    db.for_writing(s)  # this view writes (an audit entry)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    wanted = _queue_filter()
    cases, total = services.queue_page(s, current_user, page, wanted)
    pages = max((total + services.QUEUE_PAGE - 1) // services.QUEUE_PAGE, 1)
    kept: dict[str, Any] = {k: v for k, v in request.args.items() if k != "page" and v}
    if page > pages:
        return redirect(url_for("cases.queue", page=pages, **kept))  # type: ignore[return-value]
    locale = str(get_locale() or "zh_Hans")
    rows = reads.queue_rows(s, current_user, cases, current_app.extensions["library"], locale)
    served = current_user.faculties or list(s.scalars(select(Faculty).order_by(Faculty.code)))
    first = (page - 1) * services.QUEUE_PAGE + 1
    return render_template(
        "cases/queue.html",
        rows=rows,
        now=utcnow(),
        form=CaseActionForm(),
        page=page,
        pages=pages,
        total=total,
        first=first,
        last=first + len(rows) - 1,
        wanted=wanted,
        search=request.args.get("q", ""),
        kept=kept,
        faculties=[(f.id, f.name(locale)) for f in served],
        case_text=str(PHRASES["case"]),
        tiers=TIERS,
    )


@bp.route("/<int:case_id>")
@roles_required(*STAFF)
def detail(case_id: int) -> str:
    """Who to call and how, why the case exists (the answers), earlier screenings and
    everything done; the read is scoped and audited."""
    s = db.session()
    case = _case(case_id)
    locale = str(get_locale() or "zh_Hans")
    library = current_app.extensions["library"]
    db.for_writing(s)  # the identified reads below are audited
    file = reads.open_case(s, current_user, case)
    sheets = answer_sheets(s, file, library, locale)
    history = file.history
    referral_requests, referral_reports = referrals.on_case(s, current_user, case)
    counselors = list(
        s.scalars(select(User).where(User.role == Role.COUNSELOR, User.active.is_(True)))
    )
    reassign = ReassignForm()
    shown = reg.staff_names(s, {u.id for u in counselors})
    reassign.assignee.choices = choices((str(u.id), shown.get(u.id, str(u.id))) for u in counselors)
    close = CloseForm()
    close.outcome.choices = choices(
        [("", _("Choose…"))] + [(o, outcome_label(o)) for o in OUTCOMES]
    )
    schedule = FollowUpForm()
    enabled = enabled_instrument_ids(s, library)
    schedule.instrument.choices = choices(
        (i.id, instrument_name(i, i.id, locale)) for i in library.latest() if i.id in enabled
    )
    return render_template(
        "cases/detail.html",
        case=case,
        followups=followup.followups(s, case),
        now=utcnow(),
        schedule=schedule,
        via_grant=file.via_grant,
        card=file.student,
        sheets=sheets,
        left=reads.first_contact_left(case),
        dial=dial,
        hours=duration,
        history=history,
        screenings=screening_history(s, case.student_id, library),
        instrument_label=lambda i: instrument_name(_instrument(library, i), i, locale),
        band_text=lambda i, b: band_label(_instrument(library, i), b, locale),
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
        referral_requests=referral_requests,
        referral_reports=referral_reports,
    )


def _instrument(library: Any, instrument_id: str) -> Any:
    """The latest definition of an instrument (None when it is no longer installed)."""
    try:
        return library.get(instrument_id)
    except KeyError:
        return None


@bp.route("/<int:case_id>/print")
@roles_required(*STAFF)
def print_summary(case_id: int) -> str:
    """A printable summary of this case only (no other case, no earlier screening); audited."""
    s = db.session()
    db.for_writing(s)  # this view writes (an audit entry)
    case = _case(case_id)
    locale = str(get_locale() or "zh_Hans")
    library = current_app.extensions["library"]
    file = reads.open_case(s, current_user, case, action="case.print")
    sheets = answer_sheets(s, file, library, locale)
    return render_template(
        "cases/print.html",
        case=case,
        card=file.student,
        sheets=sheets,
        history=file.history,
        printed_at=utcnow(),
        names=reg.staff_names(
            s, {case.assignee_id, current_user.id} | {h.event.actor_id for h in file.history}
        ),
        outcome_label=outcome_label,
        referral_label=lambda code: str(REFERRAL_LABELS.get(code, code)),
    )


@bp.route("/student/<int:student_id>")
@roles_required(*STAFF)
def student(student_id: int) -> str:
    """One student over time: every screening with its band, every case in scope and
    everything done on them (contacts, notes, referrals, follow-ups); scoped and audited."""
    s = db.session()
    try:
        line = reads.timeline(s, current_user, student_id)
    except services.CaseError:
        abort(404)
    library = current_app.extensions["library"]
    locale = str(get_locale() or "zh_Hans")
    screenings = screening_history(s, student_id, library)
    return render_template(
        "cases/student.html",
        line=line,
        screenings=screenings,
        charts={i: score_chart(rows) for i, rows in screenings.items()},
        instrument_label=lambda i: instrument_name(_instrument(library, i), i, locale),
        band_text=lambda i, b: band_label(_instrument(library, i), b, locale),
        names=reg.staff_names(s, {h.event.actor_id for _, h in line.events}),
        outcome_label=outcome_label,
        referral_label=lambda code: str(REFERRAL_LABELS.get(code, code)),
        dial=dial,
    )


@bp.route("/<int:case_id>/break-glass", methods=["GET", "POST"])
@roles_required(*STAFF)
def break_glass(case_id: int) -> str | Response | tuple[str, int]:
    """Emergency access outside one's scope: a written reason and a fresh second factor (within
    5 minutes), one hour, supervisors told."""
    s = db.session()
    db.for_writing(s)  # this view writes (an audit entry)
    if s.get(Case, case_id) is None:
        abort(404)
    form = BreakGlassForm()
    code = None if stepup.fresh() else CodeForm()
    if code is not None:
        code.code.label.text = _("Two-step verification code")
    if form.validate_on_submit():
        if code is not None and not mfa.enrolled(s, current_user):
            flash(_("Set up two-step verification before using emergency access."), "error")
            return redirect(url_for("mfa.setup"))
        if code is not None and not stepup.confirm(s, code.code.data or "", "break_glass"):
            code.code.errors = [_("This code is not valid. Try the next one.")]
            page = render_template("cases/break_glass.html", form=form, code=code, case_id=case_id)
            return page, 401
        try:
            services.break_glass(s, current_user, case_id, form.reason.data or "")
        except services.CaseError:
            db.discard(s)
            form.reason.errors = [_("Write why you need this case now (at least 10 characters).")]
        else:
            flash(
                _("Emergency access granted for one hour. Your supervisors were told."), "warning"
            )
            return redirect(url_for("cases.detail", case_id=case_id))
    page = render_template("cases/break_glass.html", form=form, code=code, case_id=case_id)
    return page, 403


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
                missing = "outcome" if not form.outcome.data else "empty"
                raise services.CaseError("plan" if form.note.data else missing)
            services.close(
                s,
                current_user,
                case,
                form.outcome.data or "",
                form.note.data or "",
                plan=form.plan.data or "",
                safety_plan=bool(form.safety_plan.data),
                override=form.override.data or "",
            )
        elif action == "followup":
            library = current_app.extensions["library"]
            form = FollowUpForm()
            form.instrument.choices = choices((i.id, i.id) for i in library.latest())
            if not form.validate_on_submit() or form.on.data is None:
                raise services.CaseError("date" if form.instrument.data else "instrument")
            zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
            if form.on.data < utcnow().astimezone(zone).date():
                raise services.CaseError("date")
            on = datetime.combine(form.on.data, time(0), tzinfo=zone)
            followup.schedule(s, current_user, case, library, form.instrument.data or "", on)
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
        db.discard(s)
        flash(str(MESSAGES.get(exc.code, _("That did not work."))), "error")
        return redirect(url_for("cases.detail", case_id=case_id))
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


@bp.route("/<int:case_id>/followup", methods=["POST"])
@roles_required(*STAFF)
def schedule_followup(case_id: int) -> Response:
    """Schedule a follow-up re-screening of the student from a date."""
    return _act(case_id, "followup")


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


def _register_kind() -> str:
    """The kind the register is narrowed to (?kind=), or "" for every kind."""
    kind = request.args.get("kind", "")
    return kind if kind in signals.KIND_LABELS else ""


def _register_table(kind: str = "") -> list[list[Any]]:
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
    rows: list[list[Any]] = [[headers[c] for c in reg.COLUMNS]]
    for e in reg.entries(db.session(), current_user, now):
        c = e.case
        if kind and c.kind != kind:
            continue
        rows.append(
            [
                c.id,
                e.faculty,
                signals.label(signals.KIND_LABELS, c.kind),
                str(TIER_LABELS.get(c.tier, c.tier)),
                str(STATUS_LABELS.get(c.status, c.status)),
                c.opened_at,
                e.age_days,
                e.responsible,
                c.due_at,
                _("yes") if e.overdue else _("no"),
                c.escalation_level,
                outcome_label(c.outcome) if c.outcome else "",
                e.closed_by,
                e.signed_off_by,
                c.closed_at,
            ]
        )
    return rows


@bp.route("/register")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def register() -> str:
    """The risk register (台账): every case in scope, open and closed (the view is audited)."""
    kind = _register_kind()
    rows = _register_table(kind)
    s = db.session()
    kinds = {k: str(v) for k, v in signals.KIND_LABELS.items()}
    page = render_template(
        "cases/register.html", rows=rows, is_time=_is_time, kinds=kinds, kind=kind
    )
    db.for_writing(s)
    reg.record_view(s, current_user)
    return page


def _is_time(value: Any) -> bool:
    return isinstance(value, datetime)


def _local(value: Any) -> Any:
    """A stored UTC time as the app's local wall-clock time (Excel cells carry no zone)."""
    if not isinstance(value, datetime):
        return value
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return value.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)


#: Column widths of the XLSX register, in characters, by column key.
XLSX_WIDTHS = {"case": 8, "faculty": 22, "kind": 10, "tier": 10, "status": 12, "responsible": 16}


@bp.route("/register.<any(csv, xlsx):fmt>")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def register_export(fmt: str) -> Response:
    """The register as CSV or XLSX, formula-injection escaped, audited."""
    s = db.session()
    rows = _register_table(_register_kind())
    db.for_writing(s)
    reg.record_view(s, current_user, fmt)
    stamp = utcnow().strftime("%Y%m%d")
    if fmt == "csv":
        as_text = [
            [v.strftime("%Y-%m-%d %H:%M") if isinstance(v, datetime) else v for v in map(_local, r)]
            for r in rows
        ]
        return Response(
            to_csv([[v if v is not None else "" for v in r] for r in as_text], bom=True),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="risk-register-{stamp}.csv"'},
        )
    from openpyxl import Workbook  # loaded on the first export: it slows start-up
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = _("Risk register")[:31]
    for row in rows:
        sheet.append(
            [
                _local(v) if isinstance(v, (int, datetime)) or v is None else escape_cell(v)
                for v in row
            ]
        )
    for n, key in enumerate(reg.COLUMNS, start=1):
        letter = get_column_letter(n)
        times = key in ("opened", "due", "closed")
        sheet.column_dimensions[letter].width = 17 if times else XLSX_WIDTHS.get(key, 12)
        if times:
            for cell in sheet[letter][1:]:
                cell.number_format = "yyyy-mm-dd hh:mm"
    sheet.freeze_panes = "A2"  # the header stays in view while scrolling
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
        by_kind=process_measures(facts, now, key=lambda c: c.kind),
        kind_label=lambda k: signals.label(signals.KIND_LABELS, k),
    )
