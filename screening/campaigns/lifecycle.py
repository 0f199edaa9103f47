"""A campaign after creation: edited until it opens, then extended or closed early.

Every change is audited by the caller's view; extending or closing tells the students who
have not finished by e-mail through the outbox, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from screening.auth.models import Cohort, Faculty, User
from screening.campaigns.models import Assignment, Campaign, CampaignInstrument
from screening.campaigns.services import (
    CampaignError,
    check_plan,
    check_settings,
    enabled_instrument_ids,
    sync_assignments,
)
from screening.instruments import Library
from screening.notify.services import enqueue

UNFINISHED = ("pending", "started")


def require_editable(campaign: Campaign, now: datetime) -> None:
    """Refuse changes to the plan once the campaign has opened (answers may exist)."""
    if campaign.opens_at <= now:
        raise CampaignError(
            "This campaign has opened: its plan can no longer change. Extend or close it instead."
        )


def update_campaign(
    session: Session,
    library: Library,
    campaign: Campaign,
    *,
    now: datetime,
    name: str,
    instruments: Sequence[str],
    steps: dict[str, str],
    faculties: Sequence[Faculty],
    cohorts: Sequence[Cohort],
    opens_at: datetime,
    closes_at: datetime,
    show_results: bool,
    consent_version: str,
    reminder_days: str,
    languages: Sequence[str] | None = None,
    actor_id: int | None = None,
) -> Campaign:
    """Change a campaign that has not opened; re-target its assignments (audited)."""
    require_editable(campaign, now)
    days = check_settings(name, opens_at, closes_at, faculties, cohorts, reminder_days)
    served = tuple(dict.fromkeys(languages or campaign.languages.split(",")))
    chosen = check_plan(
        library, enabled_instrument_ids(session, library), instruments, steps, served
    )
    campaign.languages = ",".join(served)
    campaign.name = name.strip()
    campaign.opens_at, campaign.closes_at = opens_at, closes_at
    campaign.show_results = show_results
    campaign.consent_version = consent_version
    campaign.reminder_days = ",".join(days)
    campaign.faculties = list(faculties)
    campaign.cohorts = list(cohorts)
    campaign.instruments.clear()
    session.flush()  # the old steps go before the new ones take their (campaign, id) slots
    campaign.instruments.extend(
        CampaignInstrument(
            position=n,
            instrument_id=inst.id,
            version=inst.version,
            when_positive_of=steps.get(inst.id),
        )
        for n, inst in enumerate(chosen)
    )
    session.flush()
    # Not open yet: nobody has begun, so assignments simply follow the new targeting.
    targeted = {f.id for f in faculties}, {c.id for c in cohorts}
    stale = [
        a.id
        for a, user in session.execute(
            select(Assignment, User)
            .join(User, User.id == Assignment.student_id)
            .where(Assignment.campaign_id == campaign.id)
        )
        if user.faculty_id not in targeted[0] or user.cohort_id not in targeted[1]
    ]
    if stale:
        session.execute(delete(Assignment).where(Assignment.id.in_(stale)))
    sync_assignments(session, campaign)
    _audit(session, actor_id, "campaign.edit", campaign)
    return campaign


def open_now(
    session: Session, campaign: Campaign, now: datetime, actor_id: int | None = None
) -> None:
    """Open a campaign that has not opened yet, now (its plan is frozen from then on)."""
    require_editable(campaign, now)
    if campaign.closes_at <= now:
        raise CampaignError("The campaign must close after it opens.")
    campaign.opens_at = now
    _audit(session, actor_id, "campaign.open", campaign)
    session.flush()


def _tell_unfinished(session: Session, campaign: Campaign, kind: str) -> int:
    """Queue an e-mail (no content but the kind) to each student who has not finished."""
    students = list(
        session.scalars(
            select(Assignment.student_id)
            .join(User, User.id == Assignment.student_id)
            .where(
                Assignment.campaign_id == campaign.id,
                Assignment.status.in_(UNFINISHED),
                User.active.is_(True),
            )
        )
    )
    for student_id in students:
        enqueue(session, recipient_id=student_id, kind=kind, link_path="/screening/", alert=False)
    return len(students)


def extend(
    session: Session,
    campaign: Campaign,
    closes_at: datetime,
    now: datetime,
    actor_id: int | None = None,
) -> int:
    """Move the closing time later; tell unfinished students. Returns how many were told."""
    before = campaign.closes_at
    if campaign.closes_at <= now:
        raise CampaignError("This campaign has closed already.")
    if closes_at <= campaign.closes_at:
        raise CampaignError("The new closing time must be later than the current one.")
    campaign.closes_at = closes_at
    session.flush()
    told = _tell_unfinished(session, campaign, "campaign.extended")
    reason = f"closes={before.isoformat()} new={closes_at.isoformat()} told={told}"
    _audit(session, actor_id, "campaign.extend", campaign, reason)
    return told


def close_early(
    session: Session, campaign: Campaign, now: datetime, actor_id: int | None = None
) -> int:
    """Close an open campaign now; tell unfinished students. Returns how many were told."""
    if campaign.opens_at > now:
        raise CampaignError("This campaign has not opened yet: edit its dates instead.")
    if campaign.closes_at <= now:
        raise CampaignError("This campaign has closed already.")
    campaign.closes_at = max(now, campaign.opens_at + timedelta(seconds=1))
    session.flush()
    told = _tell_unfinished(session, campaign, "campaign.closed")
    _audit(session, actor_id, "campaign.close", campaign, f"told={told}")
    return told


@dataclass(frozen=True)
class ReminderStep:
    """One reminder day of a campaign: when it is due and to how many it went."""

    day: int
    due_at: datetime
    sent: int


def reminder_steps(session: Session, campaign: Campaign) -> list[ReminderStep]:
    """The campaign's reminder days with their dates and how many students each reached."""
    sent_lists = list(
        session.scalars(
            select(Assignment.reminders_sent).where(Assignment.campaign_id == campaign.id)
        )
    )
    steps = []
    for day in (d for d in campaign.reminder_days.split(",") if d):
        count = sum(1 for s in sent_lists if day in s.split(","))
        steps.append(ReminderStep(int(day), campaign.opens_at + timedelta(days=int(day)), count))
    return steps


def _audit(
    session: Session, actor_id: int | None, action: str, campaign: Campaign, reason: str = ""
) -> None:
    """Record a change of a campaign's life (edited, opened, extended, closed early)."""
    from screening.audit.services import append as audit

    audit(
        session,
        actor_id=actor_id,
        action=action,
        target_type="campaign",
        target_id=str(campaign.id),
        reason=reason or None,
    )
