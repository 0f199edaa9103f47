"""A student's own request for contact and concern reports: both open or join a case through
the case intake (routing, time limits, alerts, escalation as for every case), in the caller's
transaction. Nothing here commits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from screening.audit.services import append as audit
from screening.auth.contact import contact_of
from screening.auth.models import Role, User
from screening.auth.services import find_student
from screening.cases import intake, routing, signals
from screening.cases.models import Case
from screening.crypto import blind
from screening.db import utcnow
from screening.keys.services import vault_of
from screening.referrals.models import ConcernReport, ContactRequest, ReporterRole

MAX_TEXT = 2000
#: Staff roles that may report a concern about a student of their faculties.
REPORTING_STAFF = frozenset({Role.COUNSELOR, Role.SUPERVISOR})  # deans see statistics only


class ReferralError(Exception):
    """A request or report was refused; `code` says why (choice, text, rate_limited...)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _config(session: Session) -> Mapping[str, Any]:
    return session.info["app"].config  # type: ignore[no-any-return]


def _tier(configured: Any, default: Mapping[str, str], urgency: str) -> str:
    """The configured tier of an urgency; the default where the setting is missing or wrong."""
    tier = (configured or {}).get(urgency) if isinstance(configured, Mapping) else None
    return tier if tier in routing.TIER_RANK else default[urgency]


def _join_notice(session: Session, case: Case, opened_before: bool, now: datetime) -> None:
    """A request or report joining a case already contacted tells its counselor again (the
    intake alerts only for new cases and raised tiers that nobody has contacted yet)."""
    if opened_before and case.acknowledged_at is not None:
        intake.notify_new(session, case, now)


def _existing(session: Session, student: User, kind: str) -> bool:
    return (
        session.scalar(
            select(Case.id).where(
                Case.student_id == student.id, Case.kind == kind, Case.status != "closed"
            )
        )
        is not None
    )


# ---- a student's own request ------------------------------------------------------------


def request_contact(
    session: Session,
    student: User,
    *,
    urgency: str,
    contact_by: str,
    contact_when: str,
    text: str = "",
    now: datetime | None = None,
) -> tuple[ContactRequest, Case]:
    """Record a student's request to talk and open or join their self-referral case."""
    if student.role != Role.STUDENT:
        raise ReferralError("role")
    if (
        urgency not in signals.SELF_URGENCY
        or contact_by not in signals.CONTACT_WAYS
        or contact_when not in signals.CONTACT_TIMES
    ):
        raise ReferralError("choice")
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise ReferralError("text")
    now = now or utcnow()
    row = ContactRequest(student_id=student.id, created_at=now)
    session.add(row)
    session.flush()
    detail = {
        "urgency": urgency,
        "contact_by": contact_by,
        "contact_when": contact_when,
        "text": text,
    }
    vault_of(session).seal(session, student.id, row, {ContactRequest.detail_sealed: detail})
    tier = _tier(_config(session).get("REFERRAL_SELF_TIERS"), signals.DEFAULT_SELF_TIERS, urgency)
    joined = _existing(session, student, "self_referral")
    source = {
        "signal": "self_referral",
        "request_id": row.id,
        "urgency": urgency,
        "contact_by": contact_by,
        "contact_when": contact_when,
    }
    case = intake.open_or_raise(
        session, student=student, kind="self_referral", tier=tier, source=source, now=now
    )
    assert case is not None  # every urgency maps to a tier
    row.case_id = case.id
    _join_notice(session, case, joined, now)
    audit(
        session,
        actor_id=student.id,
        action="referral.request",
        target_type="contact_request",
        target_id=str(row.id),
    )
    session.flush()
    return row, case


def own_request(session: Session, student: User, request_id: int) -> tuple[ContactRequest, Case]:
    """A request of this student's, with its case (ReferralError('not_found') otherwise)."""
    row = session.get(ContactRequest, request_id)
    if row is None or row.student_id != student.id or row.case_id is None:
        raise ReferralError("not_found")
    case = session.get(Case, row.case_id)
    if case is None:
        raise ReferralError("not_found")
    return row, case


def request_detail(session: Session, row: ContactRequest) -> dict[str, Any]:
    """Open a request's choices and words (callers showing them to staff audit the view)."""
    data = vault_of(session).open(session, row.student_id, ContactRequest.detail_sealed, row)
    return dict(data or {})


def contact_expected_by(case: Case) -> datetime | None:
    """When the student may expect contact: the case's due time, until first contact."""
    return case.due_at if case.acknowledged_at is None and case.status == "open" else None


# ---- who may report whom -----------------------------------------------------------------


def reporter_kind(session: Session, user: User) -> str | None:
    """'staff', 'class_committee', 'dorm_head', or None for someone who may not report."""
    if user.role in REPORTING_STAFF:
        return "staff"
    if user.role == Role.STUDENT:
        flag = session.get(ReporterRole, user.id)
        return flag.kind if flag is not None else None
    return None


def in_scope(session: Session, reporter: User, kind: str, student: User) -> bool:
    """Staff: students of their faculties (or whose class counselor they are); a class committee
    member: students of their own class and faculty; a dorm head: students of their own dorm."""
    if student.role != Role.STUDENT or not student.active or student.id == reporter.id:
        return False
    if kind == "staff":
        faculties = {f.id for f in reporter.faculties}
        if reporter.faculty_id:
            faculties.add(reporter.faculty_id)
        return student.faculty_id in faculties or student.class_counselor_id == reporter.id
    mine, theirs = contact_of(session, reporter), contact_of(session, student)
    if kind == "class_committee":
        return bool(mine.class_name) and (
            mine.class_name == theirs.class_name and reporter.faculty_id == student.faculty_id
        )
    if kind == "dorm_head":
        return bool(mine.dorm) and mine.dorm == theirs.dorm
    return False


def _reporter_index(session: Session, reporter: User) -> str:
    return vault_of(session).index(blind.REPORTER, str(reporter.id))


def reports_today(session: Session, reporter: User, now: datetime) -> int:
    """Reports the reporter sent in the last 24 hours (all of them, matched or not)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(ConcernReport)
            .where(
                ConcernReport.reporter_index == _reporter_index(session, reporter),
                ConcernReport.created_at > now - timedelta(hours=24),
            )
        )
        or 0
    )


def concern_tier(session: Session, signs: Iterable[str], urgency: str) -> str:
    """Talk of death or self-harm: crisis; otherwise the configured tier of the urgency."""
    if signals.CRISIS_SIGNS & set(signs):
        return "crisis"
    return _tier(
        _config(session).get("REFERRAL_CONCERN_TIERS"), signals.DEFAULT_CONCERN_TIERS, urgency
    )


def report_concern(
    session: Session,
    reporter: User,
    *,
    student_number: str,
    signs: list[str],
    urgency: str,
    text: str = "",
    now: datetime | None = None,
) -> ConcernReport:
    """Record a concern report; for a student in the reporter's scope open or join a concern case.

    A student number that is unknown or outside the reporter's scope gives the same result (a
    report in the reporter's list, state received) and nothing more: no existence oracle.
    """
    kind = reporter_kind(session, reporter)
    if kind is None:
        raise ReferralError("not_reporter")
    number = student_number.strip()
    if not number or len(number) > 32:
        raise ReferralError("student_number")
    if not signs or any(s not in signals.SIGNS for s in signs):
        raise ReferralError("signs")
    if urgency not in signals.CONCERN_URGENCY:
        raise ReferralError("choice")
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise ReferralError("text")
    now = now or utcnow()
    limit = int(_config(session).get("REFERRAL_REPORTS_PER_DAY") or 10)
    if reports_today(session, reporter, now) >= limit:
        audit(
            session,
            actor_id=reporter.id,
            action="security.rate_limited",
            target_type="concern_report",
            reason=f"{limit} per day",
        )
        raise ReferralError("rate_limited")
    vault = vault_of(session)
    row = ConcernReport(reporter_index=_reporter_index(session, reporter), created_at=now)
    session.add(row)
    session.flush()
    vault.seal(session, reporter.id, row, {ConcernReport.copy_sealed: {"student_number": number}})
    student = find_student(session, number)
    if student is not None and in_scope(session, reporter, kind, student):
        chosen = [s for s in signals.SIGNS if s in set(signs)]
        row.student_id = student.id
        vault.seal(
            session,
            student.id,
            row,
            {
                ConcernReport.detail_sealed: {
                    "reporter_id": reporter.id,
                    "reporter_kind": kind,
                    "signs": chosen,
                    "urgency": urgency,
                    "text": text,
                }
            },
        )
        joined = _existing(session, student, "concern")
        source = {"signal": "concern", "report_id": row.id, "signs": chosen, "urgency": urgency}
        case = intake.open_or_raise(
            session,
            student=student,
            kind="concern",
            tier=concern_tier(session, chosen, urgency),
            source=source,
            now=now,
        )
        assert case is not None
        row.case_id = case.id
        _join_notice(session, case, joined, now)
    audit(
        session,
        actor_id=reporter.id,
        action="concern.report",
        target_type="concern_report",
        target_id=str(row.id),
        reason=None if row.case_id else "unmatched",
    )
    session.flush()
    return row


@dataclass(frozen=True)
class MyReport:
    """One of a reporter's own reports as they see it: when, about whom (as typed), its state."""

    id: int
    created_at: datetime
    student_number: str
    state: str  # received | followed_up


def my_reports(session: Session, reporter: User) -> list[MyReport]:
    """The reporter's own reports, newest first; never the case, its tier or anything in it."""
    rows = list(
        session.scalars(
            select(ConcernReport)
            .where(ConcernReport.reporter_index == _reporter_index(session, reporter))
            .order_by(ConcernReport.created_at.desc(), ConcernReport.id.desc())
        )
    )
    cases = {
        c.id: c for c in session.scalars(select(Case).where(Case.id.in_([r.case_id for r in rows])))
    }
    vault = vault_of(session)
    found = []
    for r in rows:
        copy = vault.open(session, reporter.id, ConcernReport.copy_sealed, r)
        case = cases.get(r.case_id or 0)
        followed = r.state == "unfounded" or (
            case is not None and (case.acknowledged_at is not None or case.status != "open")
        )
        found.append(
            MyReport(
                id=r.id,
                created_at=r.created_at,
                student_number=str((copy or {}).get("student_number", "")),
                state="followed_up" if followed else "received",
            )
        )
    return found
