"""The purge: data past its retention date is unreadable afterwards, statistics still match,
a legal hold keeps a student's data, and an interrupted purge resumes."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from screening.audit.models import AuditEntry
from screening.auth.models import User
from screening.auth.services import person
from screening.cases.models import Case
from screening.cli.retention import run_purge
from screening.db import new_session, utcnow
from screening.keys.models import ShredRecord
from screening.responses.models import Submission
from screening.responses.services import open_answers, open_score
from screening.retention.models import LegalHold
from screening.retention.policy import DEFAULT_DAYS
from screening.retention.purge import purge_batch
from screening.retention.services import current_policy
from screening.stats.models import ScoreRecord
from tests.conftest import log_in_fully, login_as
from tests.retention.test_record import _submit

DAY = timedelta(days=1)


def _stats_agree(runner) -> None:
    result = runner.invoke(args=["stats", "check"])
    assert result.exit_code == 0, result.output


def _student(client: FlaskClient, db, make_user, number: str, **answers: int) -> User:
    student = make_user("student", student_number=number, name=f"Name {number}")
    login_as(client, number)
    _submit(client, db, student, **answers)
    client.post("/auth/logout")
    return student


def test_data_past_its_date_is_unreadable_and_statistics_still_match(
    app: Flask, client: FlaskClient, runner, make_user, make_campaign, db
) -> None:
    campaign = make_campaign(["phq9", "gad7"])
    student = _student(client, db, make_user, "20243001", q1=2)
    submission = db.scalar(select(Submission).where(Submission.student_id == student.id))
    records = db.scalar(select(func.count()).select_from(ScoreRecord))
    assert records and open_answers(db, submission) is not None

    day_one = run_purge(app, utcnow())
    assert day_one.personal() == 0  # nothing is due yet

    answers_due = submission.submitted_at + DEFAULT_DAYS["answers"] * DAY
    before = run_purge(app, answers_due - DAY)
    assert before.answers == 0
    after = run_purge(app, answers_due + DAY)
    assert after.answers == 1 and after.stats_kept == records and after.stats_records == 0
    db.expire_all()
    submission = db.get(Submission, submission.id)
    assert open_answers(db, submission) is None  # answers gone ...
    assert open_score(db, submission) is not None  # ... the score is kept longer
    _stats_agree(runner)

    end = max(submission.submitted_at, campaign.closes_at) + DEFAULT_DAYS["scores"] * DAY + DAY
    submission_id = submission.id
    last = run_purge(app, end)
    assert last.submissions == 1 and last.students == 1
    db.expire_all()
    assert db.get(Submission, submission_id) is None
    with new_session(app) as fresh:  # no data key cached from before the purge
        me = person(fresh, fresh.get(User, student.id))
    assert me.name != "Name 20243001" and me.student_number != "20243001"  # shredded
    assert db.scalar(select(ShredRecord).where(ShredRecord.user_id == student.id)) is not None
    assert db.scalar(select(func.count()).select_from(ScoreRecord)) == records
    _stats_agree(runner)

    purges = list(db.scalars(select(AuditEntry).where(AuditEntry.action == "retention.purge")))
    assert len(purges) == 2 and "answers=1" in (purges[0].reason or "")
    for entry in purges:
        assert "20243001" not in (entry.reason or "") and "Name" not in (entry.reason or "")
    assert run_purge(app, end).personal() == 0  # idempotent

    # De-identified records go only after their own, longer period, with their counters.
    decade = utcnow() + (DEFAULT_DAYS["stats"] + 8) * DAY
    statistics = run_purge(app, decade, limit=1)
    assert statistics.stats_records == records and statistics.stats_kept == 0
    assert statistics.audit_due > 0  # counted, and kept: the chain stays verifiable
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    _stats_agree(runner)


def test_a_closed_case_goes_after_its_period_from_close_out(
    app: Flask, client: FlaskClient, make_user, make_campaign, db
) -> None:
    make_user("counselor")
    make_campaign(["phq9"])
    student = _student(client, db, make_user, "20243002", q9=1)
    case = db.scalar(select(Case).where(Case.student_id == student.id))
    closed_at = utcnow() + 30 * DAY
    case.status, case.closed_at, case.outcome = "closed", closed_at, "resolved_contacted"
    db.commit()
    assert run_purge(app, closed_at + DEFAULT_DAYS["cases"] * DAY - DAY).cases == 0
    assert run_purge(app, closed_at + DEFAULT_DAYS["cases"] * DAY + DAY).cases == 1
    assert db.scalar(select(Case).where(Case.student_id == student.id)) is None


def test_an_open_case_keeps_the_scores_its_counselor_reads(
    app: Flask, client: FlaskClient, make_user, make_campaign, db
) -> None:
    make_user("counselor")
    make_campaign(["phq9"])
    student = _student(client, db, make_user, "20243005", q9=1)
    far = utcnow() + (DEFAULT_DAYS["scores"] + 30) * DAY
    counts = run_purge(app, far)
    assert counts.answers == 1 and counts.submissions == 0 and counts.students == 0
    kept = db.scalar(select(Submission).where(Submission.student_id == student.id))
    assert kept is not None and open_score(db, kept) is not None


def test_a_legal_hold_keeps_the_students_data_until_lifted(
    app: Flask, client: FlaskClient, make_user, make_campaign, db
) -> None:
    make_user("counselor")
    supervisor = make_user("supervisor")
    make_campaign(["phq9"])
    held = _student(client, db, make_user, "20243003", q9=1)
    other = _student(client, db, make_user, "20243004", q1=1)
    case = db.scalar(select(Case).where(Case.student_id == held.id))
    log_in_fully(client, db, supervisor)
    refused = client.post(f"/retention/holds/{case.id}", data={"reason": "short"})
    assert refused.status_code == 302 and db.scalar(select(LegalHold)) is None
    client.post(f"/retention/holds/{case.id}", data={"reason": "Complaint under review, keep all"})
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Complaint under review" in page and "Lift the legal hold" in page

    later = utcnow() + (DEFAULT_DAYS["answers"] + 1) * DAY
    counts = run_purge(app, later)
    assert counts.answers == 1  # only the other student's
    db.expire_all()
    kept = db.scalar(select(Submission).where(Submission.student_id == held.id))
    gone = db.scalar(select(Submission).where(Submission.student_id == other.id))
    assert open_answers(db, kept) is not None and open_answers(db, gone) is None

    client.post(f"/retention/holds/{case.id}/lift")
    assert run_purge(app, later).answers == 1
    db.expire_all()
    assert open_answers(db, db.get(Submission, kept.id)) is None
    actions = set(db.scalars(select(AuditEntry.action).where(AuditEntry.target_id == str(case.id))))
    assert {"case.hold", "case.release"} <= actions


def test_an_interrupted_purge_resumes_where_it_stopped(
    app: Flask, client: FlaskClient, make_user, make_campaign, db
) -> None:
    make_campaign(["phq9"])
    for n in range(3):
        _student(client, db, make_user, f"2024310{n}", q1=1)
    later = utcnow() + (DEFAULT_DAYS["answers"] + 1) * DAY
    first = purge_batch(db, current_policy(db), later, limit=1)  # one batch, then "a crash"
    db.commit()
    assert first.answers == 1
    rest = run_purge(app, later)
    assert rest.answers == 2
    assert run_purge(app, later).personal() == 0
    db.expire_all()
    assert all(open_answers(db, s) is None for s in db.scalars(select(Submission)))


def test_only_a_supervisor_in_scope_sees_and_uses_the_hold_form(
    client: FlaskClient, make_user, make_campaign, db, faculty
) -> None:
    from screening.auth.services import get_or_create_faculty

    counselor = make_user("counselor")
    elsewhere = make_user(
        "supervisor", faculties=[get_or_create_faculty(db, "LAW", "Law", "法学院")]
    )
    make_campaign(["phq9"])
    student = _student(client, db, make_user, "20243201", q9=1)
    case = db.scalar(select(Case).where(Case.student_id == student.id))
    log_in_fully(client, db, counselor)
    assert b"Place a legal hold" not in client.get(f"/cases/{case.id}").data
    client.post("/auth/logout")
    log_in_fully(client, db, elsewhere)
    reason = {"reason": "Complaint under review, keep all"}
    assert client.post(f"/retention/holds/{case.id}", data=reason).status_code == 404
    assert db.scalar(select(LegalHold)) is None


def test_a_restored_backup_is_purged_again(
    app: Flask, client: FlaskClient, make_user, make_campaign, db, tmp_path
) -> None:
    from screening import backup

    make_campaign(["phq9"])
    student = _student(client, db, make_user, "20243301", q1=1)
    saved = backup.create(app.extensions["engine"], tmp_path / "backups")
    later = utcnow() + (DEFAULT_DAYS["answers"] + 1) * DAY
    assert run_purge(app, later).answers == 1
    db.close()
    backup.restore(app.extensions["engine"], saved)
    with new_session(app) as fresh:
        restored = fresh.scalar(select(Submission).where(Submission.student_id == student.id))
        assert open_answers(fresh, restored) is not None  # the backup brought the answers back
    assert run_purge(app, later).answers == 1  # date-based: the purge destroys them again
    with new_session(app) as fresh:
        again = fresh.scalar(select(Submission).where(Submission.student_id == student.id))
        assert open_answers(fresh, again) is None


def test_the_command_reports_counts_only(runner, client, make_user, make_campaign, db) -> None:
    make_campaign(["phq9"])
    _student(client, db, make_user, "20243401", q1=1)
    result = runner.invoke(args=["retention", "purge"])
    assert result.exit_code == 0, result.output
    assert "answers=0" in result.output and "stats_records_kept=1" in result.output
    assert "20243401" not in result.output


def test_backup_restore_applies_the_retention_policy_before_it_returns(
    app: Flask, client: FlaskClient, runner, make_user, make_campaign, db, tmp_path
) -> None:
    from sqlalchemy import update

    from screening import backup

    make_campaign(["phq9"])
    student = _student(client, db, make_user, "20243501", q1=1)
    # A backup taken before the worker's daily purge caught up: these answers are past their date.
    old = utcnow() - (DEFAULT_DAYS["answers"] + 1) * DAY
    db.execute(update(Submission).values(submitted_at=old))
    db.commit()
    saved = backup.create(app.extensions["engine"], tmp_path / "backups")
    db.close()
    result = runner.invoke(args=["backup", "restore", "--yes", str(saved)])
    assert result.exit_code == 0, result.output
    assert "Retention re-applied: answers=1" in result.output
    with new_session(app) as fresh:
        restored = fresh.scalar(select(Submission).where(Submission.student_id == student.id))
        assert restored is None or open_answers(fresh, restored) is None
