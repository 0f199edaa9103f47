"""Follow-up re-screening (复测) from a case: an assignment for the student, reminders through
the campaigns' outbox reminders, and the result attached to the case when it comes in."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from screening.auth.models import User
from screening.campaigns.models import Assignment, Campaign, CampaignInstrument
from screening.campaigns.services import enabled_instrument_ids
from screening.cases.intake import event
from screening.cases.models import Case, FollowUp
from screening.cases.services import CaseError
from screening.db import utcnow
from screening.instruments import Library

#: The student has two weeks from the date to take it; reminders on the day and three days on.
WINDOW_DAYS = 14
REMINDER_DAYS = "0,3"
#: One neutral name in both languages, as campaign names are: the student sees it.
NAME = "复测 · Follow-up screening"


def schedule(
    session: Session,
    user: User,
    case: Case,
    library: Library,
    instrument_id: str,
    on: datetime,
) -> FollowUp:
    """Assign one instrument to the case's student from a date; the student is told by e-mail."""
    if case.status == "closed":
        raise CaseError("state")
    if instrument_id not in enabled_instrument_ids(session, library):
        raise CaseError("instrument")
    if on < utcnow() - timedelta(days=2):  # the page checks the local date; this, nonsense
        raise CaseError("date")
    student = session.get(User, case.student_id)
    if student is None or not student.active:
        raise CaseError("state")
    instrument = library.get(instrument_id)
    campaign = Campaign(
        name=NAME,
        opens_at=on,
        closes_at=on + timedelta(days=WINDOW_DAYS),
        show_results=False,
        consent_version="v1",
        reminder_days=REMINDER_DAYS,
        created_by=user.id,
        faculties=[],  # targets nobody by faculty: only the assignment below
        cohorts=[],
    )
    campaign.instruments = [
        CampaignInstrument(position=0, instrument_id=instrument.id, version=instrument.version)
    ]
    session.add(campaign)
    session.flush()
    assignment = Assignment(
        campaign_id=campaign.id,
        student_id=student.id,
        faculty_id=student.faculty_id,
        status="pending",
    )
    session.add(assignment)
    session.flush()
    followup = FollowUp(
        case_id=case.id,
        assignment_id=assignment.id,
        instrument_id=instrument.id,
        due_at=on,
        scheduled_by=user.id,
    )
    session.add(followup)
    session.flush()
    event(
        session,
        case,
        "followup_scheduled",
        actor_id=user.id,
        detail={"instrument": instrument.id, "due_at": on.isoformat()},
    )
    refresh_due(session, case)
    return followup


def refresh_due(session: Session, case: Case) -> None:
    """The case's earliest follow-up not taken yet (the queue's follow-up overdue filter)."""
    session.flush()
    case.followup_due_at = session.scalar(
        select(func.min(FollowUp.due_at)).where(
            FollowUp.case_id == case.id, FollowUp.done_at.is_(None)
        )
    )


def attach_result(
    session: Session, assignment_id: int, submission_id: int, at: datetime, score: Any
) -> None:
    """A submitted follow-up: record its result on the case it was scheduled from."""
    followup = session.scalar(
        select(FollowUp).where(FollowUp.assignment_id == assignment_id, FollowUp.done_at.is_(None))
    )
    if followup is None:
        return
    case = session.get(Case, followup.case_id)
    if case is None:
        return
    followup.submission_id, followup.done_at = submission_id, at
    result = score.to_json()
    event(
        session,
        case,
        "followup_done",
        detail={
            "instrument": result["instrument"],
            "version": result["version"],
            "total": result["total"],
            "band": result["band"],
            "fired": result["fired"],
            "submission_id": submission_id,
        },
    ).submission_id = submission_id
    refresh_due(session, case)


def followups(session: Session, case: Case) -> list[FollowUp]:
    """The case's follow-ups, earliest first."""
    return list(
        session.scalars(
            select(FollowUp).where(FollowUp.case_id == case.id).order_by(FollowUp.due_at)
        )
    )
