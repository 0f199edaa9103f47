"""Destroying personal data past its retention date, in small idempotent batches.

Each call of `purge_batch` does at most `limit` rows per category and flushes; the caller
commits after each batch, so an interrupted purge keeps what it did and the next run finds only
what is left (every step selects by date, never by a remembered position).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, delete, exists, func, select, update
from sqlalchemy.orm import Session

from screening.audit.models import AuditEntry
from screening.audit.services import append as audit
from screening.auth.models import RecoveryCode, Role, User
from screening.campaigns.models import Assignment, Campaign, Consent
from screening.cases.models import Case, CaseEvent
from screening.keys.models import SubjectKey
from screening.keys.shredding import shred
from screening.notify.models import OutboxMessage
from screening.responses.models import Draft, Submission
from screening.retention import policy as pol
from screening.retention.models import LegalHold
from screening.stats.models import ScoreRecord
from screening.stats.services import DIMENSIONS, add_counts, iso_week

BATCH = 500


@dataclass
class Counts:
    """How many items of each kind one batch (or a whole purge) destroyed."""

    answers: int = 0
    drafts: int = 0
    submissions: int = 0
    cases: int = 0
    outbox: int = 0
    tokens: int = 0
    students: int = 0
    #: De-identified statistics records past their own period: not personal data, counted apart.
    stats_records: int = 0
    #: De-identified statistics records still kept after this batch (a level, not a sum).
    stats_kept: int = field(default=0, compare=False)
    #: Audit entries past their period, kept until the chain can be cut at a checkpoint (a level).
    audit_due: int = field(default=0, compare=False)

    def personal(self) -> int:
        """Personal data items destroyed."""
        return (
            self.answers + self.drafts + self.submissions + self.cases
            + self.outbox + self.tokens + self.students
        )  # fmt: skip

    def add(self, other: Counts) -> None:
        """Add another batch's counts (the statistics figure is a level, not a sum)."""
        for name in (
            "answers", "drafts", "submissions", "cases", "outbox", "tokens", "students",
            "stats_records",
        ):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.stats_kept, self.audit_due = other.stats_kept, other.audit_due

    def summary(self) -> str:
        """Counts only, never a value or an id: safe for the audit log and the console."""
        return (
            f"answers={self.answers},drafts={self.drafts},submissions={self.submissions},"
            f"cases={self.cases},outbox={self.outbox},tokens={self.tokens},"
            f"students={self.students};stats_records={self.stats_records},"
            f"stats_records_kept={self.stats_kept};audit_entries_due={self.audit_due}"
        )


def _held() -> Select[int]:
    """Students under a legal hold in force."""
    return select(LegalHold.student_id).where(LegalHold.lifted_at.is_(None))


def _ids(session: Session, stmt: Select[int], limit: int) -> list[int]:
    return list(session.scalars(stmt.limit(limit)))


def _answers(session: Session, policy: pol.Policy, now: datetime, limit: int) -> int:
    cut = pol.cutoff(policy, "answers", now)
    ids = _ids(
        session,
        select(Submission.id).where(
            Submission.answers_sealed.is_not(None),
            Submission.submitted_at < cut,
            Submission.student_id.not_in(_held()),
        ),
        limit,
    )
    if ids:
        session.execute(
            update(Submission).where(Submission.id.in_(ids)).values(answers_sealed=None)
        )
    return len(ids)


def _drafts(session: Session, policy: pol.Policy, now: datetime, limit: int) -> int:
    cut = pol.cutoff(policy, "answers", now)
    ids = _ids(
        session,
        select(Draft.id)
        .join(Assignment, Assignment.id == Draft.assignment_id)
        .where(Draft.updated_at < cut, Assignment.student_id.not_in(_held())),
        limit,
    )
    if ids:
        session.execute(delete(Draft).where(Draft.id.in_(ids)))
    return len(ids)


def _submissions(session: Session, policy: pol.Policy, now: datetime, limit: int) -> int:
    cut = pol.cutoff(policy, "scores", now)
    ids = _ids(
        session,
        select(Submission.id).where(
            Submission.submitted_at < cut,
            Submission.student_id.not_in(_held()),
            # An open case still serves the student: its counselor reads the scores over time.
            ~exists().where(Case.student_id == Submission.student_id, Case.status != "closed"),
        ),
        limit,
    )
    if ids:
        # A case outlives the score that opened it: its event keeps the why, not the link.
        session.execute(
            update(CaseEvent).where(CaseEvent.submission_id.in_(ids)).values(submission_id=None)
        )
        session.execute(delete(Submission).where(Submission.id.in_(ids)))
    return len(ids)


def _cases(session: Session, policy: pol.Policy, now: datetime, limit: int) -> int:
    cut = pol.cutoff(policy, "cases", now)
    ids = _ids(
        session,
        select(Case.id).where(
            Case.closed_at.is_not(None), Case.closed_at < cut, Case.student_id.not_in(_held())
        ),
        limit,
    )
    if ids:
        session.execute(delete(CaseEvent).where(CaseEvent.case_id.in_(ids)))
        session.execute(delete(Case).where(Case.id.in_(ids)))
    return len(ids)


def _outbox(session: Session, policy: pol.Policy, now: datetime, limit: int) -> int:
    cut = pol.cutoff(policy, "outbox", now)
    ids = _ids(
        session,
        select(OutboxMessage.id).where(
            OutboxMessage.status.in_(("sent", "failed")), OutboxMessage.created_at < cut
        ),
        limit,
    )
    if ids:
        session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids)))
    return len(ids)


def _tokens(session: Session, policy: pol.Policy, now: datetime, limit: int) -> int:
    cut = pol.cutoff(policy, "sessions", now)
    ids = _ids(
        session,
        select(RecoveryCode.id).where(
            RecoveryCode.used_at.is_not(None), RecoveryCode.used_at < cut
        ),
        limit,
    )
    if ids:
        session.execute(delete(RecoveryCode).where(RecoveryCode.id.in_(ids)))
    return len(ids)


def _stats(session: Session, policy: pol.Policy, now: datetime, limit: int) -> int:
    """Statistics records from weeks past their period, with their counters, so that the
    dashboards and `stats check` keep agreeing with the records that remain."""
    week = iso_week(pol.cutoff(policy, "stats", now))
    rows = list(session.scalars(select(ScoreRecord).where(ScoreRecord.week < week).limit(limit)))
    if rows:
        gone = Counter(tuple(getattr(r, d) for d in DIMENSIONS) for r in rows)
        session.execute(delete(ScoreRecord).where(ScoreRecord.key.in_([r.key for r in rows])))
        add_counts(session, {k: -n for k, n in gone.items()}, shard=0)
    return len(rows)


def _spent_students(session: Session, policy: pol.Policy, now: datetime, limit: int) -> list[int]:
    """Students who took part, whose every campaign closed before the longest personal period
    and who have nothing left in retention: their whole record is past its date."""
    cut = min(pol.cutoff(policy, c, now) for c in ("answers", "scores"))
    last_close = (
        select(func.max(Campaign.closes_at))
        .join(Assignment, Assignment.campaign_id == Campaign.id)
        .where(Assignment.student_id == User.id)
        .scalar_subquery()
    )
    stmt = select(User.id).where(
        User.role == Role.STUDENT,
        last_close < cut,
        exists().where(SubjectKey.user_id == User.id, SubjectKey.wrapped.is_not(None)),
        ~exists().where(Submission.student_id == User.id),
        ~exists().where(Case.student_id == User.id),
        User.id.not_in(_held()),
    )
    return _ids(session, stmt.order_by(User.id), limit)


def _students(session: Session, policy: pol.Policy, now: datetime, limit: int) -> int:
    count = 0
    for user_id in _spent_students(session, policy, now, limit):
        assignments = select(Assignment.id).where(Assignment.student_id == user_id)
        session.execute(delete(Consent).where(Consent.assignment_id.in_(assignments)))
        session.execute(delete(Draft).where(Draft.assignment_id.in_(assignments)))
        if shred(session, user_id, reason="retention"):  # the existing erasure, with its ledger
            count += 1
    return count


def purge_batch(session: Session, policy: pol.Policy, now: datetime, limit: int = BATCH) -> Counts:
    """Destroy up to `limit` expired items per kind, audit the counts (if any); flush only."""
    counts = Counts(
        answers=_answers(session, policy, now, limit),
        drafts=_drafts(session, policy, now, limit),
        submissions=_submissions(session, policy, now, limit),
        cases=_cases(session, policy, now, limit),
        outbox=_outbox(session, policy, now, limit),
        tokens=_tokens(session, policy, now, limit),
    )
    counts.students = _students(session, policy, now, limit)
    counts.stats_records = _stats(session, policy, now, limit)
    counts.stats_kept = session.scalar(select(func.count()).select_from(ScoreRecord)) or 0
    audit_cut = pol.cutoff(policy, "audit", now)
    counts.audit_due = session.scalar(select(func.count()).where(AuditEntry.at < audit_cut)) or 0
    session.expire_all()  # bulk statements bypassed the identity map
    if counts.personal() or counts.stats_records:
        audit(
            session,
            actor_id=None,
            action="retention.purge",
            target_type="retention",
            reason=counts.summary(),
        )
    session.flush()
    return counts
