"""Opening, routing, working, escalating and closing cases; every step recorded on the case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from screening.auth.models import Role, User
from screening.cases import routing
from screening.cases.intake import event, on_call, sla, supervisors_for
from screening.cases.models import OUTCOMES, BreakGlassGrant, Case, CaseEvent
from screening.db import utcnow
from screening.keys.services import vault_of
from screening.notify.services import enqueue

REFERRALS = ("campus_clinic", "hospital", "other")
BREAK_GLASS_MINUTES = 60


class CaseError(Exception):
    """A case action was refused; `code` says why (taken, scope, state, outcome...)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# ---- access -----------------------------------------------------------------------------


def in_scope(user: User, case: Case) -> bool:
    """Counselors: cases assigned to them or in their faculties; supervisors: their faculties
    (every faculty when they serve none)."""
    faculties = {f.id for f in user.faculties}
    if user.role == Role.COUNSELOR:
        return case.assignee_id == user.id or case.faculty_id in faculties
    if user.role == Role.SUPERVISOR:
        return not faculties or case.faculty_id in faculties
    return False


def scoped(user: User) -> ColumnElement[bool]:
    """A WHERE clause selecting the cases a user may see."""
    faculties = [f.id for f in user.faculties]
    if user.role == Role.COUNSELOR:
        return or_(Case.assignee_id == user.id, Case.faculty_id.in_(faculties))
    if user.role == Role.SUPERVISOR and faculties:
        return Case.faculty_id.in_(faculties)
    if user.role in (Role.SUPERVISOR, Role.ADMIN):
        return Case.id.is_not(None)
    return Case.id.is_(None)


QUEUE_PAGE = 50


def queue_page(session: Session, user: User, page: int) -> tuple[list[Case], int]:
    """One page of the open cases in the user's scope, most urgent first, and how many in all.

    Ordered and cut in SQL, so a centre with ten thousand open cases loads fifty rows.
    """
    where = (scoped(user), Case.status != "closed")
    total = session.scalar(select(func.count()).select_from(Case).where(*where)) or 0
    query = (  # most urgent tier first, then the earliest due first contact (ix_cases_queue)
        select(Case)
        .where(*where)
        .order_by(Case.urgency, Case.due_at, Case.id)
        .limit(QUEUE_PAGE)
        .offset((max(page, 1) - 1) * QUEUE_PAGE)
    )
    return list(session.scalars(query)), int(total)


def granted(session: Session, user: User, case: Case, now: datetime | None = None) -> bool:
    """Whether the user holds an unexpired break-glass grant for this case."""
    return (
        session.scalar(
            select(BreakGlassGrant.id).where(
                BreakGlassGrant.user_id == user.id,
                BreakGlassGrant.case_id == case.id,
                BreakGlassGrant.expires_at > (now or utcnow()),
            )
        )
        is not None
    )


def get_case(session: Session, user: User, case_id: int) -> Case:
    """A case the user may see (in scope or by a break-glass grant).

    Raises CaseError('not_found') when there is no such case and CaseError('scope') when it
    exists outside the user's scope (staff may then break the glass, with a reason).
    """
    case = session.get(Case, case_id)
    if case is None or user.role not in (Role.COUNSELOR, Role.SUPERVISOR):
        raise CaseError("not_found")
    if not in_scope(user, case) and not granted(session, user, case):
        raise CaseError("scope")
    return case


def break_glass(session: Session, user: User, case_id: int, reason: str) -> BreakGlassGrant:
    """Grant emergency access to one case for an hour; the reason is sealed and supervisors told."""
    case = session.get(Case, case_id)
    if case is None or user.role not in (Role.COUNSELOR, Role.SUPERVISOR):
        raise CaseError("not_found")
    if len(reason.strip()) < 10:
        raise CaseError("reason")
    now = utcnow()
    grant = BreakGlassGrant(
        user_id=user.id,
        case_id=case.id,
        granted_at=now,
        expires_at=now + timedelta(minutes=BREAK_GLASS_MINUTES),
    )
    session.add(grant)
    session.flush()
    vault_of(session).seal(
        session, case.student_id, grant, {BreakGlassGrant.reason_sealed: reason.strip()}
    )
    event(session, case, "break_glass", actor_id=user.id, detail={"text": reason.strip()})
    for uid in supervisors_for(session, case.faculty_id):
        if uid != user.id:
            enqueue(
                session, recipient_id=uid, kind="case.breakglass", link_path=f"/cases/{case.id}"
            )
    return grant


# ---- work -------------------------------------------------------------------------------


def claim(session: Session, user: User, case: Case) -> None:
    """Take an unassigned case; when two claim at once exactly one wins."""
    won = session.execute(
        update(Case)
        .where(Case.id == case.id, Case.assignee_id.is_(None), Case.status == "open")
        .values(assignee_id=user.id, version=Case.version + 1)
    ).rowcount
    if not won:
        raise CaseError("taken")
    session.refresh(case)
    event(session, case, "claimed", actor_id=user.id)


def acknowledge(session: Session, user: User, case: Case, note: str) -> None:
    """Record first contact: stops the escalation clock (an unassigned case is claimed)."""
    if case.status != "open":
        raise CaseError("state")
    if case.assignee_id is None:
        claim(session, user, case)
    case.acknowledged_at = case.acknowledged_at or utcnow()
    event(session, case, "acknowledged", actor_id=user.id, detail={"note": note} if note else None)


def add_note(
    session: Session, user: User, case: Case, kind: str, text: str, referral: str = ""
) -> None:
    """A sealed note: a contact attempt, a note, or a referral (where to, and why)."""
    if kind not in ("note", "contact", "referred"):
        raise CaseError("kind")
    if not text.strip():
        raise CaseError("empty")
    if case.status == "closed":
        raise CaseError("state")
    detail: dict[str, Any] = {"text": text.strip()}
    if kind == "referred":
        if referral not in REFERRALS:
            raise CaseError("referral")
        detail["referral"] = referral
    event(session, case, kind, actor_id=user.id, detail=detail)


def close(session: Session, user: User, case: Case, outcome: str, note: str) -> None:
    """Close out (销号) with an outcome and a note; a crisis case then awaits a supervisor."""
    if case.status != "open":
        raise CaseError("state")
    if outcome not in OUTCOMES:
        raise CaseError("outcome")
    if not note.strip():
        raise CaseError("empty")
    case.outcome, case.closed_by = outcome, user.id
    detail = {"note": note.strip(), "outcome": outcome}
    if case.tier == "crisis":
        case.status = "pending_signoff"
        event(session, case, "close_requested", actor_id=user.id, detail=detail)
        for uid in supervisors_for(session, case.faculty_id):
            if uid != user.id:
                enqueue(
                    session, recipient_id=uid, kind="case.signoff", link_path=f"/cases/{case.id}"
                )
    else:
        case.status, case.closed_at = "closed", utcnow()
        event(session, case, "closed", actor_id=user.id, detail=detail)
    case.version += 1


def sign_off(session: Session, user: User, case: Case, note: str, approve: bool = True) -> None:
    """A second person, a supervisor, signs off a crisis close-out, or sends it back open."""
    if user.role != Role.SUPERVISOR:
        raise CaseError("scope")
    if case.status != "pending_signoff":
        raise CaseError("state")
    if case.closed_by == user.id:
        raise CaseError("four_eyes")
    if approve:
        case.status, case.closed_at, case.signed_off_by = "closed", utcnow(), user.id
        event(
            session, case, "signed_off", actor_id=user.id, detail={"note": note} if note else None
        )
    else:
        if not note.strip():
            raise CaseError("empty")
        case.status, case.outcome, case.closed_by = "open", None, None
        event(session, case, "signoff_refused", actor_id=user.id, detail={"note": note.strip()})
        if case.assignee_id:
            enqueue(
                session,
                recipient_id=case.assignee_id,
                kind="case.new",
                link_path=f"/cases/{case.id}",
            )
    case.version += 1


def reassign(session: Session, user: User, case: Case, assignee: User) -> None:
    """A supervisor hands the case to another counselor."""
    if user.role != Role.SUPERVISOR or assignee.role != Role.COUNSELOR or not assignee.active:
        raise CaseError("scope")
    if case.status == "closed":
        raise CaseError("state")
    case.assignee_id = assignee.id
    case.version += 1
    event(session, case, "reassigned", actor_id=user.id, detail={"assignee_id": assignee.id})
    enqueue(session, recipient_id=assignee.id, kind="case.new", link_path=f"/cases/{case.id}")


def escalate(session: Session, now: datetime) -> int:
    """Escalate cases without first contact past their time: level 1 tells the faculty's
    supervisors, level 2 every supervisor and the safety office (admins); the responsible
    counselor (and for a crisis the on-call counselor) is re-notified each time."""
    overdue = list(
        session.scalars(
            select(Case)
            .where(
                Case.status == "open",
                Case.acknowledged_at.is_(None),
                Case.escalate_at <= now,
                Case.escalation_level < 2,
            )
            .with_for_update(skip_locked=True)
        )
    )
    for case in overdue:
        case.escalation_level += 1
        if case.escalation_level == 1:
            recipients = set(supervisors_for(session, case.faculty_id))
        else:
            recipients = set(
                session.scalars(
                    select(User.id).where(
                        User.role.in_([Role.SUPERVISOR, Role.ADMIN]), User.active.is_(True)
                    )
                )
            )
        if case.assignee_id:  # the responsible counselor is reminded at every level
            recipients.add(case.assignee_id)
        if case.tier == "crisis":
            recipients |= set(on_call(session, now))
        # The next level after the same time limit again; the due time itself stays.
        case.escalate_at = routing.due(now, case.tier, sla(session))
        case.version += 1
        event(session, case, "escalated", detail={"level": case.escalation_level})
        for uid in sorted(recipients):
            enqueue(session, recipient_id=uid, kind="case.escalated", link_path=f"/cases/{case.id}")
    session.flush()
    return len(overdue)


@dataclass(frozen=True)
class Opened:
    """An event with its opened detail, for the case page."""

    event: CaseEvent
    detail: dict[str, Any] | None


def history(session: Session, case: Case) -> list[Opened]:
    """The case's events with their sealed details opened (the caller audits the view)."""
    vault = vault_of(session)
    rows = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    )
    return [
        Opened(
            r,
            vault.open(session, case.student_id, CaseEvent.detail_sealed, r),
        )
        for r in rows
    ]
