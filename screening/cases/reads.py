"""Identified reads of a case for staff: scope checked, audited, then opened.

Every page that shows who a student is (the case page, the print summary, the student's
timeline) goes through one of these functions, so web, print and export agree on scope and
on the audit entry each read leaves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from screening.audit.services import append as audit
from screening.auth.contact import Contact, contact_of
from screening.auth.models import Cohort, Faculty, User
from screening.auth.services import person
from screening.cases import services
from screening.cases.models import Case
from screening.db import utcnow


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
        (h.event.submission_id, h.event.type)
        for h in history
        if h.event.type in ("opened", "flag") and h.event.submission_id is not None
    ]
    return CaseFile(case, student_card(session, student), history, submissions, via_grant)


def first_contact_left(case: Case, now: datetime | None = None) -> float | None:
    """Hours left until first contact is due (negative when overdue); None once contacted."""
    if case.acknowledged_at is not None or case.status != "open":
        return None
    return (case.due_at - (now or utcnow())).total_seconds() / 3600
