"""Opening, routing, working, escalating and closing cases; every step recorded on the case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from screening.audit.services import append as audit
from screening.auth.models import Role, User
from screening.cases import routing
from screening.cases.intake import event, on_call, sla, supervisors_for
from screening.cases.models import OUTCOMES, BreakGlassGrant, Case, CaseEvent, OnCallShift
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
#: Orders the queue offers: most urgent (the index order), earliest due, oldest, newest.
QUEUE_SORTS = ("urgency", "due", "oldest", "newest")


@dataclass(frozen=True)
class QueueFilter:
    """What the counselor narrowed the queue to; the defaults list every open case in scope."""

    tier: str = ""
    status: str = ""
    faculty_id: int | None = None
    overdue: bool = False
    escalated: bool = False
    unassigned: bool = False
    mine: bool = False
    followup_overdue: bool = False
    #: Students found by exact student number or phone (blind index); None: no search.
    student_ids: tuple[int, ...] | None = None
    sort: str = "urgency"


def _filtered(user: User, f: QueueFilter, now: datetime) -> list[ColumnElement[bool]]:
    where = [scoped(user)]
    if not f.followup_overdue:  # an overdue follow-up shows even after close-out
        where.append(Case.status != "closed")
    if f.tier:
        where.append(Case.tier == f.tier)
    if f.status in ("open", "pending_signoff"):
        where.append(Case.status == f.status)
    if f.faculty_id:
        where.append(Case.faculty_id == f.faculty_id)
    if f.overdue:
        where += [Case.status == "open", Case.acknowledged_at.is_(None), Case.due_at < now]
    if f.escalated:
        where.append(Case.escalation_level > 0)
    if f.unassigned:
        where.append(Case.assignee_id.is_(None))
    if f.mine:
        where.append(Case.assignee_id == user.id)
    if f.followup_overdue:
        where.append(Case.followup_due_at < now)
    if f.student_ids is not None:
        where.append(Case.student_id.in_(f.student_ids))
    return where


def queue_page(
    session: Session, user: User, page: int, f: QueueFilter | None = None
) -> tuple[list[Case], int]:
    """One page of the open cases in the user's scope, most urgent first, and how many in all.

    Filtered, ordered and cut in SQL, so a centre with ten thousand open cases loads fifty rows.
    """
    f = f or QueueFilter()
    where = _filtered(user, f, utcnow())
    total = session.scalar(select(func.count()).select_from(Case).where(*where)) or 0
    order = {  # most urgent tier first, then the earliest due first contact (ix_cases_queue)
        "urgency": (Case.urgency, Case.due_at, Case.id),
        "due": (Case.due_at, Case.id),
        "oldest": (Case.opened_at, Case.id),
        "newest": (Case.opened_at.desc(), Case.id.desc()),
    }.get(f.sort, (Case.urgency, Case.due_at, Case.id))
    query = (
        select(Case)
        .where(*where)
        .order_by(*order)
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
    _audit(session, user, case, "break_glass")
    return grant


def _audit(
    session: Session, user: User, case: Case, action: str, reason: str | None = None
) -> None:
    """The audit entry of a staff action on a case: `case.<action>`."""
    audit(
        session,
        actor_id=user.id,
        action=f"case.{action}",
        target_type="case",
        target_id=str(case.id),
        reason=reason,
    )


def record_view(session: Session, user: User, case: Case, via_grant: bool) -> None:
    """Audit a staff member's reading of a case (through a break-glass grant, if so)."""
    _audit(session, user, case, "view", "break_glass" if via_grant else None)


# ---- work -------------------------------------------------------------------------------


def claim(session: Session, user: User, case: Case) -> None:
    """Take an unassigned case; when two claim at once exactly one wins (audited)."""
    _claim(session, user, case)
    _audit(session, user, case, "claim")


def _claim(session: Session, user: User, case: Case) -> None:
    won = session.execute(
        update(Case)
        .where(Case.id == case.id, Case.assignee_id.is_(None), Case.status == "open")
        .values(assignee_id=user.id, version=Case.version + 1)
    ).rowcount  # type: ignore[attr-defined]  # a CursorResult at run time
    if not won:
        raise CaseError("taken")
    session.refresh(case)
    event(session, case, "claimed", actor_id=user.id)


def acknowledge(session: Session, user: User, case: Case, note: str) -> None:
    """Record first contact: stops the escalation clock (an unassigned case is claimed)."""
    if case.status != "open":
        raise CaseError("state")
    if case.assignee_id is None:
        _claim(session, user, case)
    case.acknowledged_at = case.acknowledged_at or utcnow()
    event(session, case, "acknowledged", actor_id=user.id, detail={"note": note} if note else None)
    _audit(session, user, case, "acknowledge")


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
    _audit(session, user, case, "note")


def close(
    session: Session,
    user: User,
    case: Case,
    outcome: str,
    note: str,
    *,
    plan: str = "",
    safety_plan: bool = False,
    override: str = "",
) -> None:
    """Close out (销号) with an outcome, a note and a follow-up plan; a crisis case needs a
    safety plan and then awaits a supervisor. Only after a recorded first contact, unless a
    supervisor overrides that with a written reason."""
    if case.status != "open":
        raise CaseError("state")
    if outcome not in OUTCOMES:
        raise CaseError("outcome")
    if not note.strip():
        raise CaseError("empty")
    if not plan.strip():
        raise CaseError("plan")
    if case.acknowledged_at is None:
        if user.role != Role.SUPERVISOR:
            raise CaseError("no_contact")
        if len(override.strip()) < 10:
            raise CaseError("override")
    if case.tier == "crisis" and not safety_plan:
        raise CaseError("safety_plan")
    case.outcome, case.closed_by = outcome, user.id
    detail: dict[str, Any] = {"note": note.strip(), "outcome": outcome, "plan": plan.strip()}
    if case.tier == "crisis":
        detail["safety_plan"] = True
    if case.acknowledged_at is None:
        detail["override"] = override.strip()
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
    _audit(session, user, case, "close")


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
    _audit(session, user, case, "signoff")


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
    _audit(session, user, case, "reassign")


def add_shift(
    session: Session, actor: User, user_id: int, starts: datetime, ends: datetime
) -> None:
    """Put a counselor on the on-call rota for a time (audited)."""
    session.add(OnCallShift(user_id=user_id, starts_at=starts, ends_at=ends))
    session.flush()
    audit(session, actor_id=actor.id, action="rota.add", target_type="user", target_id=str(user_id))


def remove_shift(session: Session, actor: User, shift: OnCallShift) -> None:
    """Take a shift off the rota (audited)."""
    session.delete(shift)
    session.flush()
    audit(
        session,
        actor_id=actor.id,
        action="rota.remove",
        target_type="user",
        target_id=str(shift.user_id),
    )


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
