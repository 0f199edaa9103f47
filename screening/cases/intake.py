"""Intake: a flag (a scored response, a registrar signal) opens or joins a case, and notifies.

How the student flow uses it
----------------------------
`responses.services.submit` calls `for_submission` inside the submission's transaction, for
every scored response: there is no hook to register and no caller that can skip it. It tiers
the score with the admins' current mapping (`cases.tiers`) and calls `open_or_raise`. Nothing
here commits: the request's unit of work commits once, so the response, the case, its events,
its routing, the e-mails and the in-app alerts land together or not at all. Other callers
(the academic import) do the same: call `open_or_raise(session, student=..., kind=...,
tier=..., source=...)` inside their unit of work.

`source` says why, in counselor-facing terms; it is clinical and is sealed on the case event:
``{"instrument": "phq9", "version": 1, "band": "moderate", "total": 12, "subscales": {},
"fired": [{"rule_id": ..., "description": ..., "values": {...}, "tier": ...}],
"submission_id": 42, "tier_mapping_id": 3}`` (academic: ``{"signal": "academic", "term":
..., "failed_credits": ..., "gpa": ..., "absences": ..., "reasons": [...]}``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from screening.auth.models import Role, User, counselor_faculties
from screening.cases import routing, tiers
from screening.cases.models import Case, CaseEvent, OnCallShift
from screening.db import utcnow
from screening.keys.services import vault_of
from screening.notify.services import enqueue

#: psych: a questionnaire; academic: registrar data; self_referral: the student asked for
#: contact; concern: a report from staff, a class committee member or a dorm head.
KINDS = ("psych", "academic", "self_referral", "concern")


def sla(session: Session) -> Mapping[str, float]:
    """Hours to first contact per tier (config CASE_SLA_HOURS)."""
    return session.info["app"].config.get("CASE_SLA_HOURS") or routing.DEFAULT_SLA_HOURS


def event(
    session: Session,
    case: Case,
    type_: str,
    *,
    actor_id: int | None = None,
    detail: Mapping[str, Any] | None = None,
    submission_id: int | None = None,
    tier_mapping_id: int | None = None,
) -> CaseEvent:
    """Record what happened; the detail is sealed under the student's key."""
    row = CaseEvent(
        case_id=case.id,
        type=type_,
        actor_id=actor_id,
        tier=case.tier,
        submission_id=submission_id,
        tier_mapping_id=tier_mapping_id,
        at=utcnow(),
    )
    session.add(row)
    session.flush()
    if detail:
        vault_of(session).seal(
            session, case.student_id, row, {CaseEvent.detail_sealed: dict(detail)}
        )
    return row


def candidates(session: Session, faculty_id: int, advisors: bool) -> list[routing.Candidate]:
    """Active counselors (advisors for academic cases) serving a faculty, with open caseloads."""
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
    """Counselors on call now (the admins' rota)."""
    return list(
        session.scalars(
            select(OnCallShift.user_id)
            .join(User, User.id == OnCallShift.user_id)
            .where(OnCallShift.starts_at <= now, OnCallShift.ends_at > now, User.active.is_(True))
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


def notify_new(session: Session, case: Case, now: datetime) -> None:
    """Tell the assignee (or, unassigned, the supervisors); crises also the on-call counselor."""
    recipients = (
        {case.assignee_id} if case.assignee_id else set(supervisors_for(session, case.faculty_id))
    )
    if case.tier == "crisis":
        recipients |= set(on_call(session, now))
    for uid in sorted(r for r in recipients if r):
        enqueue(session, recipient_id=uid, kind="case.new", link_path=f"/cases/{case.id}")
    if case.tier == "crisis":
        # The class counselor (辅导员) learns only that there is a crisis case (when configured).
        from screening.referrals.notices import tell_class_counselor  # referrals builds on this

        tell_class_counselor(session, case, now)


def _open_case(session: Session, student: User, kind: str) -> Case | None:
    return session.scalar(
        select(Case)
        .where(Case.student_id == student.id, Case.kind == kind, Case.status != "closed")
        .with_for_update()
    )


def open_or_raise(
    session: Session,
    *,
    student: User,
    kind: str,
    tier: str,
    source: Mapping[str, Any],
    now: datetime | None = None,
) -> Case | None:
    """Open a case for a flag, or join the student's open case of this kind; None for tier none.

    One open case per student and kind (a partial unique index; a concurrent opener loses the
    insert and joins the winner's case). Joining records a 'flag' event and raises the tier
    (and pulls the due time in) when the new flag is more urgent. Opening routes the case
    (`routing.pick` over counselors, or advisors for academic cases, serving the student's
    faculty), sets the due time from the tier's time limit and enqueues e-mails and alerts.
    """
    if tier not in routing.TIER_RANK:
        return None
    if kind not in KINDS:
        raise ValueError(f"unknown case kind {kind!r}")
    now = now or utcnow()
    submission_id = source.get("submission_id")
    mapping_id = source.get("tier_mapping_id")
    existing = _open_case(session, student, kind)
    if existing is None:
        case = Case(
            student_id=student.id,
            faculty_id=student.faculty_id,
            kind=kind,
            tier=tier,
            status="open",
            opened_at=now,
            due_at=routing.due(now, tier, sla(session)),
            escalate_at=routing.due(now, tier, sla(session)),
            tier_mapping_id=mapping_id,
        )
        try:
            with session.begin_nested():
                session.add(case)
                session.flush()
        except IntegrityError:
            existing = _open_case(session, student, kind)
        else:
            case.assignee_id = routing.pick(
                candidates(session, student.faculty_id or 0, kind == "academic")
            )
            event(
                session,
                case,
                "opened",
                detail=source,
                submission_id=submission_id,
                tier_mapping_id=mapping_id,
            )
            if case.assignee_id:
                event(session, case, "routed", detail={"assignee_id": case.assignee_id})
            notify_new(session, case, now)
            session.flush()
            return case
    if existing is None:  # the concurrent case closed in between: extremely rare, try again
        return open_or_raise(session, student=student, kind=kind, tier=tier, source=source, now=now)
    raised = routing.higher(tier, existing.tier)
    if raised != existing.tier:
        existing.tier = raised
        sooner = routing.due(now, raised, sla(session))
        existing.due_at = min(existing.due_at, sooner)
        existing.escalate_at = min(existing.escalate_at, sooner)
        existing.version += 1
        if existing.acknowledged_at is None:
            notify_new(session, existing, now)
    event(
        session,
        existing,
        "flag",
        detail=source,
        submission_id=submission_id,
        tier_mapping_id=mapping_id,
    )
    session.flush()
    return existing


def could_flag(score: Any) -> bool:
    """Whether a score can open a case at all: a rule fired, or a band that a mapping may tier.

    A response with neither (an unbanded local instrument, nothing fired) never reaches the
    database here; a banded one needs the admins' mapping, which can raise a band to a tier.
    """
    return bool(score.fired) or score.band is not None


def for_submission(
    session: Session,
    student: User,
    submission_id: int,
    score: Any,
    now: datetime,
    assignment_id: int | None = None,
) -> Case | None:
    """Tier a scored response and open or join the student's psychological case; None if none.

    A follow-up re-screening scheduled from a case gets its result recorded on that case,
    flagged or not.
    """
    if assignment_id is not None:
        from screening.cases.followup import attach_result  # followup builds on this module

        attach_result(session, assignment_id, submission_id, now, score)
    if not could_flag(score):
        return None
    result = score.to_json()
    mapping = tiers.current(session, score.instrument)
    tier = score.alert_level
    if mapping is not None:
        tier = tiers.resolve_with(session, mapping, result)
    if tier not in routing.TIER_RANK:
        return None
    source = {
        "instrument": score.instrument,
        "version": score.version,
        "total": result["total"],
        "subscales": result["subscales"],
        "band": result["band"],
        "critical": score.critical,
        "fired": result["fired"],
        "submission_id": submission_id,
        "tier_mapping_id": mapping.id if mapping is not None else None,
    }
    return open_or_raise(session, student=student, kind="psych", tier=tier, source=source, now=now)
