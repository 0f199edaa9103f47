"""Retention: the stored policy, what is held about a student and who looked at it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from screening.audit.models import AuditEntry
from screening.audit.services import append as audit
from screening.auth.models import User
from screening.campaigns.models import Assignment, Campaign, Consent
from screening.cases.models import Case, CaseEvent
from screening.keys.services import vault_of
from screening.responses.models import Draft, Submission
from screening.retention import policy as pol
from screening.retention.models import LegalHold, RetentionPeriod


def current_policy(session: Session) -> dict[str, int]:
    """The effective retention policy: defaults overridden by what admins stored, at least the
    minimum the install's configuration sets."""
    stored = {r.category: r.days for r in session.scalars(select(RetentionPeriod))}
    floor = pol.minimums(session.info["app"].config.get("RETENTION_MINIMUM_DAYS"))
    return pol.merged(stored, floor)


@dataclass(frozen=True)
class Access:
    """One look at or change to a student's record by someone else (never the content)."""

    at: datetime
    action: str
    role: str | None
    actor_id: int | None


def accesses(session: Session, student_id: int) -> list[Access]:
    """Audit entries whose target is this student's record, by anyone but the student."""
    case_ids = [
        str(i) for i in session.scalars(select(Case.id).where(Case.student_id == student_id))
    ]
    sub_ids = [
        str(i)
        for i in session.scalars(select(Submission.id).where(Submission.student_id == student_id))
    ]
    assignment_ids = [
        str(i)
        for i in session.scalars(select(Assignment.id).where(Assignment.student_id == student_id))
    ]
    targets = [and_(AuditEntry.target_type == "user", AuditEntry.target_id == str(student_id))]
    for kind, ids in (("case", case_ids), ("submission", sub_ids), ("assignment", assignment_ids)):
        if ids:
            targets.append(and_(AuditEntry.target_type == kind, AuditEntry.target_id.in_(ids)))
    rows = session.execute(
        select(AuditEntry.at, AuditEntry.action, AuditEntry.actor_id, User.role)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(or_(*targets))
        .where(or_(AuditEntry.actor_id.is_(None), AuditEntry.actor_id != student_id))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    return [Access(r.at, r.action, r.role, r.actor_id) for r in rows]


@dataclass(frozen=True)
class Held:
    """One category of data held about a student: how many items and until when."""

    category: str
    count: int
    #: The last retention date of the category's items; None when it is not yet counting.
    until: datetime | None
    #: Items whose retention has not started (open cases: counted from close-out).
    waiting: int = 0


def _latest(dates: list[datetime]) -> datetime | None:
    return max(dates) if dates else None


def held(session: Session, student_id: int, policy: pol.Policy) -> list[Held]:
    """What is held about the student per category, with its retention date."""
    subs = list(session.scalars(select(Submission).where(Submission.student_id == student_id)))
    drafts = list(
        session.scalars(
            select(Draft.updated_at)
            .join(Assignment, Assignment.id == Draft.assignment_id)
            .where(Assignment.student_id == student_id)
        )
    )
    cases = list(session.scalars(select(Case).where(Case.student_id == student_id)))
    notes = session.scalars(
        select(CaseEvent.id).where(CaseEvent.case_id.in_([c.id for c in cases]))
    ).all()
    consents = list(
        session.scalars(
            select(Consent.decided_at)
            .join(Assignment, Assignment.id == Consent.assignment_id)
            .where(Assignment.student_id == student_id)
        )
    )
    answers_until = [pol.until(policy, "answers", s.submitted_at) for s in subs if s.answers_sealed]
    answers_until += [pol.until(policy, "answers", d) for d in drafts]
    scores_until = [pol.until(policy, "scores", s.submitted_at) for s in subs if s.score_sealed]
    closed = [c for c in cases if c.closed_at is not None]
    cases_until = [pol.until(policy, "cases", c.closed_at) for c in closed if c.closed_at]
    everything = answers_until + scores_until + cases_until
    open_cases = len(cases) - len(closed)
    last = None if open_cases else _latest(everything)
    return [
        Held("answers", len(answers_until), _latest(answers_until)),
        Held("scores", len(scores_until), _latest(scores_until)),
        Held(
            "cases",
            len(cases) + len(notes),
            None if open_cases else _latest(cases_until),
            open_cases,
        ),
        # Contact data and consents serve the rest: kept as long as any of it, then shredded.
        Held("contact", 1, last, open_cases),
        Held("consents", len(consents), last, open_cases),
    ]


@dataclass(frozen=True)
class ConsentRecord:
    """A consent decision of the student, with the notice version it was given for."""

    campaign: str
    version: str
    agreed: bool
    decided_at: datetime


def consents(session: Session, student_id: int) -> list[ConsentRecord]:
    """The student's consent decisions, newest first."""
    rows = session.execute(
        select(Campaign.name, Consent.version, Consent.agreed, Consent.decided_at)
        .join(Assignment, Assignment.id == Consent.assignment_id)
        .join(Campaign, Campaign.id == Assignment.campaign_id)
        .where(Assignment.student_id == student_id)
        .order_by(Consent.decided_at.desc())
    )
    return [ConsentRecord(r.name, r.version, r.agreed, r.decided_at) for r in rows]


def on_hold(session: Session, student_id: int) -> bool:
    """True while a legal hold on one of the student's cases is in force."""
    return (
        session.scalar(
            select(LegalHold.id).where(
                LegalHold.student_id == student_id, LegalHold.lifted_at.is_(None)
            )
        )
        is not None
    )


def record_document(
    session: Session, student_id: int, policy: pol.Policy, names: dict[int, str]
) -> dict[str, Any]:
    """The parts of the student's download that are not answers: accesses, holdings, consents."""
    iso = lambda d: d.isoformat() if d else None  # noqa: E731 - local shorthand
    return {
        "accesses": [
            {
                "at": iso(a.at),
                "action": a.action,
                "role": a.role,
                "name": names.get(a.actor_id or 0),
            }
            for a in accesses(session, student_id)
        ],
        "held": [
            {"category": h.category, "count": h.count, "until": iso(h.until), "waiting": h.waiting}
            for h in held(session, student_id, policy)
        ],
        "consents": [
            {
                "campaign": c.campaign,
                "version": c.version,
                "agreed": c.agreed,
                "decided_at": iso(c.decided_at),
            }
            for c in consents(session, student_id)
        ],
        "policy_days": dict(policy),
    }


class PolicyTooShort(ValueError):
    """Some periods are below their configured minimum; nothing was stored."""

    def __init__(self, problems: list[pol.TooShort]) -> None:
        super().__init__(", ".join(f"{p.category} < {p.minimum}" for p in problems))
        self.problems = problems


def set_policy(
    session: Session,
    actor_id: int | None,
    days: dict[str, int],
    minimum: dict[str, int],
    now: datetime,
) -> dict[str, int]:
    """Store an admin's retention periods, all or none; PolicyTooShort below a minimum."""
    problems = pol.check(days, minimum)
    if problems:
        raise PolicyTooShort(problems)
    stored = {r.category: r for r in session.scalars(select(RetentionPeriod))}
    for category in pol.CATEGORIES:
        if category not in days:
            continue
        row = stored.get(category)
        if row is None:
            row = RetentionPeriod(category=category, days=0)
            session.add(row)
        if row.days != int(days[category]):
            row.days, row.updated_at, row.updated_by = int(days[category]), now, actor_id
    session.flush()
    effective = current_policy(session)
    audit(
        session,
        actor_id=actor_id,
        action="retention.policy",
        target_type="settings",
        reason=",".join(f"{c}={effective[c]}" for c in pol.CATEGORIES),
    )
    return effective


class HoldError(ValueError):
    """A legal hold that cannot be placed or lifted; the code names why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def active_hold(session: Session, case_id: int) -> LegalHold | None:
    """The legal hold in force on a case, if any."""
    return session.scalar(
        select(LegalHold).where(LegalHold.case_id == case_id, LegalHold.lifted_at.is_(None))
    )


def place_hold(
    session: Session, actor_id: int, case: Case, reason: str, now: datetime
) -> LegalHold:
    """Suspend purging of the case's student until lifted; the reason is sealed (audited)."""
    if len(reason.strip()) < 10:
        raise HoldError("reason")
    if active_hold(session, case.id) is not None:
        raise HoldError("held")
    hold = LegalHold(case_id=case.id, student_id=case.student_id, placed_by=actor_id, placed_at=now)
    session.add(hold)
    session.flush()
    vault_of(session).seal(
        session, case.student_id, hold, {LegalHold.reason_sealed: reason.strip()}
    )
    audit(
        session, actor_id=actor_id, action="case.hold", target_type="case", target_id=str(case.id)
    )
    session.flush()
    return hold


def lift_hold(session: Session, actor_id: int, case: Case, now: datetime) -> LegalHold:
    """Lift the hold in force on a case; the next purge catches up (audited)."""
    hold = active_hold(session, case.id)
    if hold is None:
        raise HoldError("not_held")
    hold.lifted_by, hold.lifted_at = actor_id, now
    audit(
        session,
        actor_id=actor_id,
        action="case.release",
        target_type="case",
        target_id=str(case.id),
    )
    session.flush()
    return hold


def hold_reason(session: Session, hold: LegalHold) -> str | None:
    """The opened reason of a hold, for the supervisors who see the case."""
    opened: str | None = vault_of(session).open(
        session, hold.student_id, LegalHold.reason_sealed, hold
    )
    return opened


def record_own_access(session: Session, student_id: int, action: str) -> None:
    """Audit a student's look at (or download of) their own record."""
    from screening.audit.services import append as audit

    audit(
        session,
        actor_id=student_id,
        action=action,
        target_type="user",
        target_id=str(student_id),
    )
