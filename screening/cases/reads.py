"""Identified reads of a case for staff: scope checked, audited, then opened.

Every page that shows who a student is (the case page, the print summary, the student's
timeline) goes through one of these functions, so web, print and export agree on scope and
on the audit entry each read leaves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.audit.services import append as audit
from screening.auth.contact import Contact, contact_of, students_by_phone
from screening.auth.models import Cohort, Faculty, User
from screening.auth.services import find_student, person
from screening.cases import services, signals
from screening.cases.models import Case, CaseEvent
from screening.cases.register import staff_names
from screening.cases.wording import band_label, duration, instrument_name, item_number, phrases
from screening.db import utcnow
from screening.instruments import Instrument, Library
from screening.keys.services import vault_of

#: The abbreviation at the end of a display name: "患者健康问卷（PHQ-9）" -> "PHQ-9".
_ABBREVIATION = re.compile(r"[（(]([^（()）]+)[）)]\s*$")


@dataclass(frozen=True)
class StudentCard:
    """Who the student is and how to reach them, for the counselor holding the case."""

    user_id: int
    name: str
    student_number: str
    email: str
    faculty: Faculty | None
    cohort: int | None
    contact: Contact
    class_counselor: str


@dataclass(frozen=True)
class CaseFile:
    """A case opened for one viewer: the student's card, its history, the submissions behind it."""

    case: Case
    student: StudentCard
    history: list[services.Opened]
    #: Submissions that opened or joined the case, in order, with the event type (opened, flag).
    submissions: list[tuple[int, str]]
    via_grant: bool


def student_card(session: Session, student: User) -> StudentCard:
    """Open a student's identity and contact data (callers have checked scope and audit)."""
    opened = person(session, student)
    counselor = (
        session.get(User, student.class_counselor_id) if student.class_counselor_id else None
    )
    counselor_name = ""
    if counselor is not None:
        counselor_name = person(session, counselor).name or counselor.username or ""
    cohort = session.get(Cohort, student.cohort_id) if student.cohort_id else None
    return StudentCard(
        user_id=student.id,
        name=opened.name or "",
        student_number=opened.student_number or "",
        email=opened.email or "",
        faculty=session.get(Faculty, student.faculty_id) if student.faculty_id else None,
        cohort=cohort.year if cohort else None,
        contact=contact_of(session, student),
        class_counselor=counselor_name,
    )


def _allowed(session: Session, viewer: User, case: Case) -> bool:
    """In scope, or through an unexpired break-glass grant (raises for anyone else)."""
    if services.in_scope(viewer, case):
        return False
    if services.granted(session, viewer, case):
        return True
    raise services.CaseError("scope")


def open_case(session: Session, viewer: User, case: Case, action: str = "case.view") -> CaseFile:
    """The case with its student's card and history for a viewer in scope; audited."""
    via_grant = _allowed(session, viewer, case)
    student = session.get(User, case.student_id)
    if student is None:
        raise services.CaseError("not_found")
    audit(
        session,
        actor_id=viewer.id,
        action=action,
        target_type="case",
        target_id=str(case.id),
        reason="break_glass" if via_grant else None,
    )
    history = services.history(session, case)
    submissions = [
        (int(h.event.submission_id or 0), h.event.type)
        for h in history
        if h.event.type in ("opened", "flag", "followup_done") and h.event.submission_id is not None
    ]
    return CaseFile(case, student_card(session, student), history, submissions, via_grant)


def first_contact_left(case: Case, now: datetime | None = None) -> float | None:
    """Hours left until first contact is due (negative when overdue); None once contacted."""
    if case.acknowledged_at is not None or case.status != "open":
        return None
    return (case.due_at - (now or utcnow())).total_seconds() / 3600


@dataclass(frozen=True)
class QueueRow:
    """One line of the queue: the case and who it is about, opened for this page only."""

    case: Case
    name: str
    student_number: str
    faculty: str
    reason: str
    assignee: str
    #: Display texts, filled from phrases translated once per page (fifty rows stay cheap).
    age: str = ""
    first_contact: str = ""
    overdue: bool = False
    followup_overdue: bool = False
    status_note: str = ""


def short_reason(library: Library, detail: dict[str, Any] | None, locale: str) -> str:
    """Why a case opened, in a few words: the instrument, its band and the fired items."""
    if not detail:
        return "—"
    if detail.get("signal") == "academic":
        return str(_("Registrar data"))
    told = signals.short_reason(detail)
    if told is not None:
        return told
    instrument_id = str(detail.get("instrument", ""))
    try:
        instrument: Instrument | None = library.get(instrument_id, detail.get("version"))
    except KeyError:
        instrument = None
    name = instrument_name(instrument, instrument_id, locale)
    short = _ABBREVIATION.search(name)
    parts = [short.group(1) if short else name]
    if detail.get("band"):
        parts.append(band_label(instrument, detail["band"], locale))
    items = sorted(
        {
            item_number(instrument, k)
            for f in detail.get("fired") or []
            for k in (f.get("values") or {})
            if instrument is not None and item_number(instrument, k)
        }
    )
    if items:
        parts.append(_("item %(n)s", n="、".join(str(i) for i in items)))
    return " · ".join(parts)


def _name_and_number(session: Session, student: User) -> tuple[str, str]:
    """Only the two fields a queue row shows (not the e-mail address)."""
    vault = vault_of(session)
    name = vault.open(session, student.id, User.name_sealed, student)
    number = vault.open(session, student.id, User.student_number_sealed, student)
    return name or "", number or ""


def queue_rows(
    session: Session, viewer: User, cases: list[Case], library: Library, locale: str
) -> list[QueueRow]:
    """Open names, numbers and reasons of one queue page (fifty rows at most); audited."""
    if not cases:
        return []
    ids = [c.id for c in cases]
    vault = vault_of(session)
    vault.load_keys(session, {c.student_id for c in cases})
    students = {
        u.id: u
        for u in session.scalars(select(User).where(User.id.in_([c.student_id for c in cases])))
    }
    faculties = {f.id: f for f in session.scalars(select(Faculty))}
    opened = {
        e.case_id: e
        for e in session.scalars(
            select(CaseEvent).where(CaseEvent.case_id.in_(ids), CaseEvent.type == "opened")
        )
    }
    staff = staff_names(session, {c.assignee_id for c in cases})
    audit(session, actor_id=viewer.id, action="queue.view", target_type="queue")
    said = phrases()
    now = utcnow()
    rows = []
    for c in cases:
        overdue = c.acknowledged_at is None and c.status == "open" and c.due_at < now
        if c.acknowledged_at is not None:
            contact = ""
        elif overdue:
            contact = said["overdue"] % {
                "time": duration((now - c.due_at).total_seconds() / 3600, said)
            }
        else:
            contact = said["due_in"] % {
                "time": duration((c.due_at - now).total_seconds() / 3600, said)
            }
        student = students.get(c.student_id)
        name, number = _name_and_number(session, student) if student else ("", "")
        event = opened.get(c.id)
        detail = (
            vault.open(session, c.student_id, CaseEvent.detail_sealed, event)
            if event is not None
            else None
        )
        faculty = faculties.get(c.faculty_id)
        rows.append(
            QueueRow(
                case=c,
                name=name or "—",
                student_number=number or "—",
                faculty=faculty.name(locale) if faculty else "—",
                reason=short_reason(library, detail, locale),
                assignee=staff.get(c.assignee_id, "") if c.assignee_id else "",
                age=duration((now - c.opened_at).total_seconds() / 3600, said),
                first_contact=contact,
                overdue=overdue,
                followup_overdue=bool(c.followup_due_at and c.followup_due_at < now),
                status_note=said["escalated"] % {"n": c.escalation_level}
                if c.escalation_level
                else "",
            )
        )
    return rows


def find_students(session: Session, query: str) -> tuple[int, ...]:
    """Students whose student number or phone number is exactly the query (blind indexes)."""
    query = query.strip()
    if not query:
        return ()
    found = {u.id for u in students_by_phone(session, query)}
    student = find_student(session, query)
    if student is not None and student.role == "student":
        found.add(student.id)
    return tuple(sorted(found))


@dataclass(frozen=True)
class AlertCase:
    """What an alert about a case says: tier, number, faculty, and why when in scope."""

    case: Case
    faculty: str
    reason: str


def alert_cases(
    session: Session, viewer: User, case_ids: set[int], library: Library, locale: str
) -> dict[int, AlertCase]:
    """Tier, faculty and short reason of the cases a viewer's alerts point to.

    The reason (clinical, sealed) is opened only for cases in the viewer's scope or under a
    grant; the view is audited when any reason was opened. No name is shown in the inbox.
    """
    if not case_ids:
        return {}
    cases = list(session.scalars(select(Case).where(Case.id.in_(case_ids))))
    faculties = {f.id: f for f in session.scalars(select(Faculty))}
    readable = [
        c for c in cases if services.in_scope(viewer, c) or services.granted(session, viewer, c)
    ]
    opened = {
        e.case_id: e
        for e in session.scalars(
            select(CaseEvent).where(
                CaseEvent.case_id.in_([c.id for c in readable]), CaseEvent.type == "opened"
            )
        )
    }
    vault = vault_of(session)
    found = {}
    for c in cases:
        event = opened.get(c.id)
        detail = (
            vault.open(session, c.student_id, CaseEvent.detail_sealed, event)
            if event is not None
            else None
        )
        faculty = faculties.get(c.faculty_id)
        found[c.id] = AlertCase(
            case=c,
            faculty=faculty.name(locale) if faculty else "—",
            reason=short_reason(library, detail, locale) if event is not None else "",
        )
    if opened:
        audit(session, actor_id=viewer.id, action="inbox.view", target_type="inbox")
    return found


@dataclass(frozen=True)
class Timeline:
    """One student over time for a viewer: the card, their visible cases and what was done."""

    student: StudentCard
    cases: list[Case]
    #: Every event of those cases (contacts, notes, referrals, follow-ups...), oldest first.
    events: list[tuple[Case, services.Opened]]


def timeline(session: Session, viewer: User, student_id: int) -> Timeline:
    """The student's timeline, for a viewer with at least one of their cases in scope; audited.

    Only the cases the viewer may see are listed (in scope, or under a break-glass grant).
    """
    student = session.get(User, student_id)
    if student is None or student.role != "student":
        raise services.CaseError("not_found")
    cases = [
        c
        for c in session.scalars(
            select(Case).where(Case.student_id == student_id).order_by(Case.opened_at)
        )
        if services.in_scope(viewer, c) or services.granted(session, viewer, c)
    ]
    if not cases or viewer.role not in ("counselor", "supervisor"):
        raise services.CaseError("scope")
    audit(
        session,
        actor_id=viewer.id,
        action="student.timeline",
        target_type="student",
        target_id=str(student_id),
    )
    events = [(c, h) for c in cases for h in services.history(session, c)]
    events.sort(key=lambda pair: pair[1].event.at)
    return Timeline(student_card(session, student), cases, events)
