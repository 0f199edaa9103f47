"""The staff side of requests and reports: what the counselor holding the case reads (who
reported, audited), marking a report unfounded, and the admins' reporter flags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.audit.services import append as audit
from screening.auth.models import Role, User
from screening.auth.services import find_student, person
from screening.cases import intake
from screening.cases import services as cases
from screening.cases.models import Case
from screening.db import utcnow
from screening.keys.services import vault_of
from screening.referrals.models import REPORTER_KINDS, ConcernReport, ContactRequest, ReporterRole
from screening.referrals.services import ReferralError, request_detail


@dataclass(frozen=True)
class CaseRequest:
    """A student's own request on their case, opened for the counselor."""

    row: ContactRequest
    detail: dict[str, Any]


@dataclass(frozen=True)
class CaseReport:
    """A concern report on a case, with who reported, opened for the counselor."""

    row: ConcernReport
    detail: dict[str, Any]
    reporter: str
    reporter_kind: str


def on_case(
    session: Session, viewer: User, case: Case
) -> tuple[list[CaseRequest], list[CaseReport]]:
    """The requests and reports behind a case for a viewer who may see it; reading who
    reported is audited. Raises CaseError('scope') outside the viewer's scope."""
    if not cases.in_scope(viewer, case) and not cases.granted(session, viewer, case):
        raise cases.CaseError("scope")
    requests = [
        CaseRequest(r, request_detail(session, r))
        for r in session.scalars(
            select(ContactRequest)
            .where(ContactRequest.case_id == case.id)
            .order_by(ContactRequest.id)
        )
    ]
    vault = vault_of(session)
    reports = []
    for r in session.scalars(
        select(ConcernReport).where(ConcernReport.case_id == case.id).order_by(ConcernReport.id)
    ):
        detail = dict(vault.open(session, case.student_id, ConcernReport.detail_sealed, r) or {})
        who = session.get(User, int(detail.get("reporter_id") or 0))
        name = ""
        if who is not None:
            opened = person(session, who)
            name = str(opened.name or who.username or opened.student_number or "")
        reports.append(CaseReport(r, detail, name, str(detail.get("reporter_kind", ""))))
    if reports:
        audit(
            session,
            actor_id=viewer.id,
            action="concern.reporters_view",
            target_type="case",
            target_id=str(case.id),
        )
    return requests, reports


def mark_unfounded(
    session: Session, viewer: User, report_id: int, now: datetime | None = None
) -> ConcernReport:
    """A counselor in scope marks a report unfounded; recorded on the case and audited."""
    row = session.get(ConcernReport, report_id)
    if row is None or row.case_id is None:
        raise ReferralError("not_found")
    case = cases.get_case(session, viewer, row.case_id)  # scope, or CaseError
    if row.state == "unfounded":
        raise ReferralError("state")
    row.state, row.unfounded_at, row.unfounded_by = "unfounded", now or utcnow(), viewer.id
    intake.event(
        session, case, "report_unfounded", actor_id=viewer.id, detail={"report_id": row.id}
    )
    audit(
        session,
        actor_id=viewer.id,
        action="concern.unfounded",
        target_type="concern_report",
        target_id=str(row.id),
    )
    session.flush()
    return row


# ---- reporter flags -----------------------------------------------------------------------


@dataclass(frozen=True)
class Reporter:
    """A flagged student as the admins' page lists them."""

    user_id: int
    name: str
    student_number: str
    kind: str
    set_at: datetime


def reporters(session: Session, admin: User) -> list[Reporter]:
    """Every flagged student, with name and number (the view is audited)."""
    rows = list(session.scalars(select(ReporterRole).order_by(ReporterRole.set_at)))
    vault_of(session).load_keys(session, [r.user_id for r in rows])
    found = []
    for r in rows:
        user = session.get(User, r.user_id)
        if user is None:
            continue
        opened = person(session, user)
        found.append(
            Reporter(r.user_id, opened.name or "", opened.student_number or "", r.kind, r.set_at)
        )
    audit(session, actor_id=admin.id, action="reporters.view", target_type="reporters")
    return found


def set_reporter(session: Session, admin: User, student_number: str, kind: str) -> ReporterRole:
    """Flag a student as class committee member or dorm head (or change the flag); audited."""
    if kind not in REPORTER_KINDS:
        raise ReferralError("choice")
    student = find_student(session, student_number.strip()) if student_number.strip() else None
    if student is None or student.role != Role.STUDENT:
        raise ReferralError("student_number")
    flag = session.get(ReporterRole, student.id)
    if flag is None:
        flag = ReporterRole(user_id=student.id, kind=kind, set_by=admin.id, set_at=utcnow())
        session.add(flag)
    else:
        flag.kind, flag.set_by, flag.set_at = kind, admin.id, utcnow()
    audit(
        session,
        actor_id=admin.id,
        action="reporters.set",
        target_type="user",
        target_id=str(student.id),
        reason=kind,
    )
    session.flush()
    return flag


def remove_reporter(session: Session, admin: User, user_id: int) -> None:
    """Take a student's reporter flag away; audited."""
    flag = session.get(ReporterRole, user_id)
    if flag is None:
        raise ReferralError("not_found")
    session.delete(flag)
    audit(
        session,
        actor_id=admin.id,
        action="reporters.remove",
        target_type="user",
        target_id=str(user_id),
    )
    session.flush()
