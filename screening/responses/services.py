"""The student flow: consent, the next instrument, drafts, and the one submit transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from screening.audit.services import append as audit
from screening.auth.models import User
from screening.campaigns.models import Assignment, Campaign, CampaignInstrument, Consent
from screening.cases import intake
from screening.db import next_id, utcnow
from screening.instruments import Instrument, Library, score
from screening.instruments.answers import check_response
from screening.keys.services import vault_of
from screening.responses.models import Draft, Submission
from screening.stats.services import record as record_stats


class FlowError(Exception):
    """The student cannot do this now; `code` says why (closed, declined, not_found...)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class SubmitResult:
    """What submit did: the stored submission, or the problems per item to show again."""

    submission: Submission | None = None
    errors: Mapping[str, str] = field(default_factory=dict)
    duplicate: bool = False


def get_assignment(session: Session, student: User, assignment_id: int) -> Assignment:
    """The student's own assignment; another student's is indistinguishable from none.

    Its campaign, the campaign's steps and the consent decision come in the same query:
    every page of the flow needs them.
    """
    assignment = session.get(
        Assignment,
        assignment_id,
        options=[
            joinedload(Assignment.campaign).joinedload(Campaign.instruments),
            joinedload(Assignment.consent),
        ],
    )
    if assignment is None or assignment.student_id != student.id:
        raise FlowError("not_found")
    return assignment


def require_open(assignment: Assignment, now: datetime) -> None:
    """Refuse work on a campaign outside its window."""
    campaign = assignment.campaign
    if now < campaign.opens_at:
        raise FlowError("not_open")
    if now >= campaign.closes_at:
        raise FlowError("closed")


def consent_of(session: Session, assignment: Assignment) -> Consent | None:
    """The student's consent decision for this campaign, if any."""
    del session  # loaded with the assignment
    return assignment.consent


def decide_consent(session: Session, assignment: Assignment, agreed: bool) -> Consent:
    """Record (or change) the consent decision; a decline stops the questionnaires."""
    consent = consent_of(session, assignment)
    version = assignment.campaign.consent_version
    if consent is None:
        consent = Consent(assignment_id=assignment.id, version=version, agreed=agreed)
        session.add(consent)
        assignment.consent = consent
    else:
        consent.version, consent.agreed, consent.decided_at = version, agreed, utcnow()
    if assignment.status != "completed":
        assignment.status = "started" if agreed else "declined"
    audit(
        session,
        actor_id=assignment.student_id,
        action="consent.agree" if agreed else "consent.decline",
        target_type="assignment",
        target_id=str(assignment.id),
    )
    session.flush()
    return consent


def submissions_of(session: Session, assignment: Assignment) -> dict[str, Submission]:
    """The assignment's submissions by instrument id."""
    rows = session.scalars(select(Submission).where(Submission.assignment_id == assignment.id))
    return {s.instrument_id: s for s in rows}


def open_score(session: Session, submission: Submission) -> dict[str, Any] | None:
    """The stored score of a submission (None when unreadable, e.g. after shredding)."""
    opened: dict[str, Any] | None = vault_of(session).open(
        session, submission.student_id, Submission.score_sealed, submission
    )
    return opened


def open_answers(session: Session, submission: Submission) -> dict[str, Any] | None:
    """The stored answers of a submission (None when unreadable)."""
    opened: dict[str, Any] | None = vault_of(session).open(
        session, submission.student_id, Submission.answers_sealed, submission
    )
    return opened


def answers_for_download(session: Session, student: User, submission: Submission) -> dict[str, Any]:
    """A student's own stored answers, opened for download (audited; empty when unreadable)."""
    answers = open_answers(session, submission) or {}
    audit(
        session,
        actor_id=student.id,
        action="response.download",
        target_type="submission",
        target_id=str(submission.id),
    )
    return answers


def plan(
    session: Session, assignment: Assignment, done: Mapping[str, Submission] | None = None
) -> tuple[list[CampaignInstrument], CampaignInstrument | None]:
    """The instruments this student will answer (stepping applied so far) and the next one;
    `done` is the assignment's submissions by instrument when the caller has them already."""
    if done is None:
        done = submissions_of(session, assignment)
    steps: list[CampaignInstrument] = []
    for step in assignment.campaign.instruments:
        trigger = step.when_positive_of
        if trigger is not None:
            if trigger not in done:
                steps.append(step)  # undecided until the trigger is answered
                continue
            result = open_score(session, done[trigger])
            # An unreadable trigger score never skips a follow-up: ask rather than miss.
            if result is not None and not result.get("positive_screen"):
                continue
        steps.append(step)
    upcoming = next((s for s in steps if s.instrument_id not in done), None)
    return steps, upcoming


def load_draft(session: Session, assignment: Assignment, instrument_id: str) -> dict[str, Any]:
    """The answers saved so far for an instrument (empty when none or unreadable)."""
    draft = session.scalar(
        select(Draft).where(
            Draft.assignment_id == assignment.id, Draft.instrument_id == instrument_id
        )
    )
    if draft is None:
        return {}
    opened = vault_of(session).open(session, assignment.student_id, Draft.answers_sealed, draft)
    return opened if isinstance(opened, dict) else {}


def save_draft(
    session: Session, assignment: Assignment, instrument_id: str, answers: Mapping[str, Any]
) -> None:
    """Seal the answers given so far, so the student can resume after closing the phone."""
    mine = select(Draft).where(
        Draft.assignment_id == assignment.id, Draft.instrument_id == instrument_id
    )
    draft = session.scalar(mine)
    if draft is None:
        try:  # a save from another tab at the same moment: update that row instead
            with session.begin_nested():
                draft = Draft(assignment_id=assignment.id, instrument_id=instrument_id)
                session.add(draft)
        except IntegrityError:
            draft = session.scalars(mine).one()
    vault_of(session).seal(
        session, assignment.student_id, draft, {Draft.answers_sealed: dict(answers)}
    )
    draft.updated_at = utcnow()
    if assignment.status == "pending":
        assignment.status = "started"
    session.flush()


def _stored(
    session: Session, assignment: Assignment, instrument_id: str, token: str
) -> Submission | None:
    """This assignment's submission made with this token or of this instrument, if any."""
    return session.scalar(
        select(Submission).where(
            Submission.assignment_id == assignment.id,
            (Submission.token == token) | (Submission.instrument_id == instrument_id),
        )
    )


def submit(
    session: Session,
    *,
    student: User,
    assignment: Assignment,
    instrument: Instrument,
    answers: Mapping[str, Any],
    token: str,
    lang: str,
    now: datetime,
    done: Mapping[str, Submission] | None = None,
) -> SubmitResult:
    """Check, score, seal and store one response with its statistics, case and audit entry.

    Everything is added to the caller's transaction: the unit of work commits once, so the
    response, the de-identified statistics, any case it opens and its notifications land
    together or not at all. A repeated token or a second submission of the same instrument
    returns the stored one instead of storing twice. `done` is the assignment's submissions by
    instrument, when the caller read them in this transaction (a race past it ends at the
    unique constraints below).
    """
    if done is None:
        done = submissions_of(session, assignment)
    existing = next(
        (s for s in done.values() if s.token == token or s.instrument_id == instrument.id), None
    )
    if existing is not None:
        return SubmitResult(submission=existing, duplicate=True)
    consent = consent_of(session, assignment)
    if consent is None or not consent.agreed:
        raise FlowError("no_consent")
    # 1. Checked once: the typed answers go to scoring as they are.
    checked = check_response(instrument, answers)
    if checked.answers is None:
        save_draft(session, assignment, instrument.id, checked.given)
        return SubmitResult(errors={k: p.code for k, p in checked.problems.items()})
    # 2. Scored (pure).
    result = score(instrument, checked.answers)
    # 3-4. Sealed under the row's id, allocated first, and inserted once.
    submission_id = next_id(session, Submission)
    vault = vault_of(session)
    submission = Submission(
        id=submission_id,
        assignment_id=assignment.id,
        student_id=student.id,
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        definition_digest=instrument.digest,
        token=token,
        consent_version=consent.version,
        lang=lang,
        submitted_at=now,
    )
    # The id is known before the insert, so the values are sealed bound to it and inserted once.
    vault.seal(
        session,
        student.id,
        submission,
        {
            Submission.answers_sealed: dict(checked.answers.values),
            Submission.score_sealed: result.to_json(),
        },
    )
    try:
        with session.begin_nested():
            session.add(submission)
            session.flush()
    except IntegrityError:
        stored = _stored(session, assignment, instrument.id, token)
        if stored is None:  # the token was taken elsewhere: keep the answers, ask again
            save_draft(session, assignment, instrument.id, checked.given)
            raise FlowError("retry") from None
        return SubmitResult(submission=stored, duplicate=True)
    # 6. Case intake, called directly: a flagged answer always gets its case.
    intake.for_submission(session, student, submission.id, result, now, assignment.id)
    session.execute(
        delete(Draft).where(
            (Draft.assignment_id == assignment.id) & (Draft.instrument_id == instrument.id)
        )
    )
    _, upcoming = plan(session, assignment, {**done, instrument.id: submission})
    assignment.status = "started" if upcoming is not None else "completed"
    if upcoming is None:
        assignment.completed_at = now
    session.flush()
    # 5, 7. Shared rows last: the statistics counter and the audit chain head are locked until
    # commit (on PostgreSQL), so taking them at the end keeps concurrent submissions apart.
    campaign: Campaign = assignment.campaign
    record_stats(
        session,
        campaign_id=campaign.id,
        faculty_id=student.faculty_id or 0,
        cohort_year=student.cohort.year if student.cohort else 0,
        score=result,
        when=now,
    )
    audit(
        session,
        actor_id=student.id,
        action="response.submit",
        target_type="submission",
        target_id=str(submission.id),
    )
    session.flush()
    return SubmitResult(submission=submission)


def instrument_of(library: Library, step: CampaignInstrument) -> Instrument:
    """The pinned definition version of a campaign step."""
    return library.get(step.instrument_id, step.version)


def record_forged_page(session: Session, student_id: int, assignment_id: int) -> None:
    """Audit a questionnaire post whose page token was forged or tampered with."""
    audit(
        session,
        actor_id=student_id,
        action="security.page_token_failed",
        target_type="assignment",
        target_id=str(assignment_id),
    )
