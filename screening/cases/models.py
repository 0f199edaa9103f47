"""Cases: a student at risk, who is responsible, by when, what was done, and how it closed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Computed,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from screening.db import Base, utcnow
from screening.keys.sealed import sealed

TIERS = ("crisis", "high", "moderate")
#: A tier's place in the queue, most urgent first, as SQL the database computes and indexes.
URGENCY_SQL = (
    "CASE tier "
    + " ".join(f"WHEN '{tier}' THEN {rank}" for rank, tier in enumerate(TIERS))
    + f" ELSE {len(TIERS)} END"
)
OUTCOMES = (
    "resolved_contacted",
    "referred_campus_clinic",
    "referred_hospital",
    "hospitalised",
    "declined_support",
    "false_positive",
    "left_university",
    "other",
)


class Case(Base):
    """One open concern per student and kind; new flags join it instead of duplicating it."""

    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint("tier IN ('crisis','high','moderate')", name="tier_known"),
        CheckConstraint(
            "kind IN ('psych','academic','self_referral','concern')", name="kind_known"
        ),
        CheckConstraint("status IN ('open','pending_signoff','closed')", name="status_known"),
        # At most one case per student and kind that is not closed (PostgreSQL and SQLite).
        Index(
            "uq_cases_one_open",
            "student_id",
            "kind",
            unique=True,
            postgresql_where=text("status != 'closed'"),
            sqlite_where=text("status != 'closed'"),
        ),
        # The queue's order (urgency, then due time) read straight from an index of open cases:
        # no sort of thousands of rows, whichever page is asked for.
        Index(
            "ix_cases_queue",
            "urgency",
            "due_at",
            "id",
            postgresql_where=text("status != 'closed'"),
            sqlite_where=text("status != 'closed'"),
        ),
        Index("ix_cases_escalation", "status", "escalate_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The student's faculty when the case opened: routing and scope use it.
    faculty_id: Mapped[int] = mapped_column(ForeignKey("faculties.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="psych")
    tier: Mapped[str] = mapped_column(String(16))
    #: 0 for a crisis, 1 high, 2 moderate: computed from tier by the database, never written.
    urgency: Mapped[int] = mapped_column(Integer, Computed(URGENCY_SQL, persisted=True))
    status: Mapped[str] = mapped_column(String(16), default="open")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: First contact is due by then (the tier's time limit from opening); only a raised tier
    #: moves it earlier. Overdue = not acknowledged and past this time.
    due_at: Mapped[datetime] = mapped_column()
    #: When the next escalation step runs if nobody has acknowledged the case by then.
    escalate_at: Mapped[datetime] = mapped_column()
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str | None] = mapped_column(String(32))
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_off_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Optimistic lock for claims and transitions: a stale update changes nothing.
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: The earliest follow-up re-screening still not taken; past it, the queue shows it overdue.
    followup_due_at: Mapped[datetime | None] = mapped_column(index=True)
    #: The admins' tier mapping the opening flag was tiered with (None: definition defaults).
    tier_mapping_id: Mapped[int | None] = mapped_column(ForeignKey("tier_mappings.id"))


class CaseEvent(Base):
    """Everything that happened to a case; the detail (why, notes, reasons) is sealed."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: opened, flag, routed, claimed, acknowledged, contact, note, referred, reassigned,
    #: escalated, close_requested, closed, signed_off
    type: Mapped[str] = mapped_column(String(32))
    #: The tier at that moment, so the register can show how a case evolved.
    tier: Mapped[str | None] = mapped_column(String(16))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    tier_mapping_id: Mapped[int | None] = mapped_column(ForeignKey("tier_mappings.id"))
    detail_sealed: Mapped[bytes | None] = sealed("json")


class OnCallShift(Base):
    """A counselor on call for crises between two times (the rota admins keep)."""

    __tablename__ = "on_call_shifts"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="shift_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()


class TierMapping(Base):
    """One version of the admins' tiers for an instrument's bands and rules; never edited.

    Saving a change adds the next version; cases and their events record the version used.
    """

    __tablename__ = "tier_mappings"
    __table_args__ = (UniqueConstraint("instrument_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    #: {"band:<id>": tier, "rule:<id>": tier} for every band and rule of the instrument.
    tiers: Mapped[dict[str, str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class BreakGlassGrant(Base):
    """Emergency access of one staff member to one case outside their scope, for at most an hour.

    The written reason is sealed under the student's key; the supervisors are alerted.
    """

    __tablename__ = "break_glass_grants"
    __table_args__ = (Index("ix_break_glass_active", "user_id", "case_id", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    reason_sealed: Mapped[bytes | None] = sealed("text")


class FollowUp(Base):
    """A re-screening a counselor scheduled from a case: one instrument, for the student, from a
    date. It is an ordinary assignment (of a one-student campaign), so it appears among the
    student's screenings and gets the campaigns' reminders; the result attaches to the case."""

    __tablename__ = "case_followups"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), unique=True
    )
    instrument_id: Mapped[str] = mapped_column(String(64))
    #: The student may take it from then; after it the follow-up is overdue until taken.
    due_at: Mapped[datetime] = mapped_column()
    scheduled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    done_at: Mapped[datetime | None] = mapped_column()
