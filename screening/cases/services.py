"""Opening, routing, working, escalating and closing cases; every step recorded on the case."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from screening.auth.models import Role, User, counselor_faculties
from screening.cases import routing
from screening.cases.models import OUTCOMES, Case, CaseEvent, OnCallShift
from screening.db import utcnow
from screening.keys.services import vault_of
from screening.notify.services import enqueue


class CaseError(Exception):
    """A case action was refused; `code` says why (taken, scope, state, outcome...)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _sla(session: Session) -> Mapping[str, float]:
    return session.info["app"].config.get("CASE_SLA_HOURS") or routing.DEFAULT_SLA_HOURS


def event(
    session: Session,
    case: Case,
    type_: str,
    *,
    actor_id: int | None = None,
    detail: Mapping[str, Any] | None = None,
    submission_id: int | None = None,
) -> CaseEvent:
    """Record what happened; the detail is sealed under the student's key."""
    row = CaseEvent(
        case_id=case.id,
        type=type_,
        actor_id=actor_id,
        tier=case.tier,
        submission_id=submission_id,
        at=utcnow(),
    )
    session.add(row)
    session.flush()
    if detail:
        row.detail_sealed = vault_of(session).seal_data(
            session, case.student_id, "case_events", "detail", row.id, dict(detail)
        )
    return row


def _counselors(session: Session, faculty_id: int, advisors: bool) -> list[routing.Candidate]:
    open_count = (
        select(func.count())
        .where(Case.assignee_id == User.id, Case.status != "closed")
        .correlate(User)
        .scalar_subquery()
    )
    rows = session.execute(
        select(User.id, open_count)
        .join(counselor_faculties, counselor_faculties.c.user_id == User.id)
        .where(
            User.role == Role.COUNSELOR,
            User.active.is_(True),
            User.is_advisor.is_(advisors),
            counselor_faculties.c.faculty_id == faculty_id,
        )
    ).all()
    return [routing.Candidate(uid, n) for uid, n in rows]


def on_call(session: Session, now: datetime) -> list[int]:
    """Counselors on call now."""
    return list(
        session.scalars(
            select(OnCallShift.user_id).where(
                OnCallShift.starts_at <= now, OnCallShift.ends_at > now
            )
        )
    )


def supervisors_for(session: Session, faculty_id: int) -> list[int]:
    """Supervisors serving a faculty; all supervisors when none serves it."""
    serving = list(
        session.scalars(
            select(User.id)
            .join(counselor_faculties, counselor_faculties.c.user_id == User.id)
            .where(
                User.role == Role.SUPERVISOR,
                User.active.is_(True),
                counselor_faculties.c.faculty_id == faculty_id,
            )
        )
    )
    return serving or list(
        session.scalars(select(User.id).where(User.role == Role.SUPERVISOR, User.active.is_(True)))
    )


def _notify_new(session: Session, case: Case, now: datetime) -> None:
    link = f"/cases/{case.id}"
    recipients = (
        {case.assignee_id} if case.assignee_id else set(supervisors_for(session, case.faculty_id))
    )
    if case.tier == "crisis":
        recipients |= set(on_call(session, now))
    for uid in sorted(r for r in recipients if r):
        enqueue(session, recipient_id=uid, kind="case.new", link_path=link)


def open_or_raise(
    session: Session,
    *,
    student: User,
    kind: str,
    tier: str,
    why: Mapping[str, Any],
    submission_id: int | None = None,
    now: datetime | None = None,
) -> Case:
    """Open a case for a flag, or join the student's open case of this kind (raising its tier).

    Call inside the transaction that stored the flagged response: the case, its routing, its
    events and its notifications commit with the response or not at all. `why` (instrument,
    band, scores, rules fired) is sealed on the case's event.
    """
    now = now or utcnow()
    existing = session.scalar(
        select(Case).where(
            Case.student_id == student.id, Case.kind == kind, Case.status != "closed"
        )
    )
    if existing is None:
        case = Case(
            student_id=student.id,
            faculty_id=student.faculty_id,
            kind=kind,
            tier=tier,
            status="open",
            opened_at=now,
            due_at=routing.due(now, tier, _sla(session)),
        )
        try:
            with session.begin_nested():
                session.add(case)
                session.flush()
        except IntegrityError:
            existing = session.scalar(
                select(Case).where(
                    Case.student_id == student.id, Case.kind == kind, Case.status != "closed"
                )
            )
        else:
            case.assignee_id = routing.pick(
                _counselors(session, student.faculty_id or 0, kind == "academic")
            )
            event(session, case, "opened", detail=why, submission_id=submission_id)
            if case.assignee_id:
                event(session, case, "routed", detail={"assignee_id": case.assignee_id})
            _notify_new(session, case, now)
            session.flush()
            return case
    assert existing is not None
    raised = routing.higher(tier, existing.tier)
    if raised != existing.tier:
        existing.tier = raised
        existing.due_at = min(existing.due_at, routing.due(now, raised, _sla(session)))
        existing.version += 1
        if existing.acknowledged_at is None:
            _notify_new(session, existing, now)
    event(session, existing, "flag", detail=why, submission_id=submission_id)
    session.flush()
    return existing


def submission_hook(session: Session, student: User, submission: Any, score: Any) -> None:
    """The student flow's hook: a flagged score opens or joins a psychological case."""
    if score.alert_level not in routing.TIER_RANK:
        return
    why = {
        "instrument": score.instrument,
        "version": score.version,
        "total": score.total,
        "subscales": dict(score.subscales),
        "band": score.band if not isinstance(score.band, Mapping) else dict(score.band),
        "critical": score.critical,
        "fired": [f.to_json() for f in score.fired],
    }
    open_or_raise(
        session,
        student=student,
        kind="psych",
        tier=score.alert_level,
        why=why,
        submission_id=submission.id,
        now=submission.submitted_at,
    )


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


def scoped(user: User):  # type: ignore[no-untyped-def]
    """A WHERE clause selecting the cases a user may see."""
    faculties = [f.id for f in user.faculties]
    if user.role == Role.COUNSELOR:
        return or_(Case.assignee_id == user.id, Case.faculty_id.in_(faculties))
    if user.role == Role.SUPERVISOR and faculties:
        return Case.faculty_id.in_(faculties)
    if user.role in (Role.SUPERVISOR, Role.ADMIN):
        return Case.id.is_not(None)
    return Case.id.is_(None)


def get_case(session: Session, user: User, case_id: int) -> Case:
    """A case the user may see, else CaseError('not_found') (no hint whether it exists)."""
    case = session.get(Case, case_id)
    if case is None or not in_scope(user, case):
        raise CaseError("not_found")
    return case


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
    """Record first contact (or the attempt): stops the escalation clock."""
    if case.status != "open":
        raise CaseError("state")
    if case.assignee_id is None:
        claim(session, user, case)
    case.acknowledged_at = case.acknowledged_at or utcnow()
    event(session, case, "acknowledged", actor_id=user.id, detail={"note": note} if note else None)


def add_note(session: Session, user: User, case: Case, kind: str, text: str) -> None:
    """A sealed note: a contact attempt, a note, or a referral with its reason."""
    if kind not in ("note", "contact", "referred"):
        raise CaseError("kind")
    if not text.strip():
        raise CaseError("empty")
    event(session, case, kind, actor_id=user.id, detail={"text": text.strip()})


def close(session: Session, user: User, case: Case, outcome: str, note: str) -> None:
    """Close out with an outcome and a note; a crisis case waits for a supervisor's sign-off."""
    if case.status != "open":
        raise CaseError("state")
    if outcome not in OUTCOMES:
        raise CaseError("outcome")
    if not note.strip():
        raise CaseError("empty")
    case.outcome, case.closed_by = outcome, user.id
    if case.tier == "crisis" and user.role != Role.SUPERVISOR:
        case.status = "pending_signoff"
        event(
            session,
            case,
            "close_requested",
            actor_id=user.id,
            detail={"note": note.strip(), "outcome": outcome},
        )
        for uid in supervisors_for(session, case.faculty_id):
            enqueue(session, recipient_id=uid, kind="case.signoff", link_path=f"/cases/{case.id}")
    else:
        case.status, case.closed_at = "closed", utcnow()
        if case.tier == "crisis":
            case.signed_off_by = user.id
        event(
            session,
            case,
            "closed",
            actor_id=user.id,
            detail={"note": note.strip(), "outcome": outcome},
        )
    case.version += 1


def sign_off(session: Session, user: User, case: Case, note: str) -> None:
    """A supervisor signs off a crisis case's close-out (销号)."""
    if user.role != Role.SUPERVISOR:
        raise CaseError("scope")
    if case.status != "pending_signoff":
        raise CaseError("state")
    case.status, case.closed_at, case.signed_off_by = "closed", utcnow(), user.id
    case.version += 1
    event(session, case, "signed_off", actor_id=user.id, detail={"note": note} if note else None)


def reassign(session: Session, user: User, case: Case, assignee: User) -> None:
    """A supervisor hands the case to another counselor."""
    if user.role != Role.SUPERVISOR or assignee.role != Role.COUNSELOR or not assignee.active:
        raise CaseError("scope")
    case.assignee_id = assignee.id
    case.version += 1
    event(session, case, "reassigned", actor_id=user.id, detail={"assignee_id": assignee.id})
    enqueue(session, recipient_id=assignee.id, kind="case.new", link_path=f"/cases/{case.id}")


def escalate(session: Session, now: datetime) -> int:
    """Escalate cases without first contact past their due time; re-notify each level up."""
    overdue = list(
        session.scalars(
            select(Case)
            .where(
                Case.status == "open",
                Case.acknowledged_at.is_(None),
                Case.due_at <= now,
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
        # Next look-up after the same time limit again.
        case.due_at = routing.due(now, case.tier, _sla(session))
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
            vault.open_data(
                session, case.student_id, "case_events", "detail", r.id, r.detail_sealed
            ),
        )
        for r in rows
    ]
