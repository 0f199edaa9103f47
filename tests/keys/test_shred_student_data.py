"""Shredding a student who answered: answers and scores unreadable, statistics unchanged."""

from __future__ import annotations

from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from screening.auth.models import User
from screening.auth.services import person
from screening.responses.models import Submission
from screening.responses.services import open_answers, open_score
from screening.stats.models import ScoreRecord


def test_shredding_a_student_keeps_statistics_and_hides_answers(
    runner: FlaskCliRunner, db: Session
) -> None:
    assert runner.invoke(args=["demo", "--students", "40"]).exit_code == 0
    submission = db.scalars(select(Submission).order_by(Submission.id)).first()
    assert submission is not None
    student = db.get(User, submission.student_id)
    number = person(db, student).student_number
    assert open_answers(db, submission) and open_score(db, submission)
    stats_before = db.scalar(select(func.count()).select_from(ScoreRecord))
    assert stats_before
    result = runner.invoke(args=["keys", "shred", number, "--yes"])
    assert result.exit_code == 0, result.output
    db.expire_all()
    db.info.pop("vault_data_keys", None)
    for row in db.scalars(select(Submission).where(Submission.student_id == student.id)):
        assert open_answers(db, row) is None
        assert open_score(db, row) is None
    assert getattr(person(db, student).name, "unreadable", False)
    assert db.scalar(select(func.count()).select_from(ScoreRecord)) == stats_before
    check = runner.invoke(args=["keys", "check"])
    assert check.exit_code == 0 and "1 shredded" in check.output


def test_a_shredded_student_page_still_renders(
    client: FlaskClient, logged_in, make_user, db: Session, runner: FlaskCliRunner
) -> None:
    logged_in("admin")
    make_user("counselor", name="陈老师")
    counselor = db.scalars(select(User).where(User.username.is_not(None))).all()[-1]
    from screening.keys.services import vault_of

    vault_of(db).shred(db, counselor.id)
    db.commit()
    page = client.get("/admin/users")
    assert page.status_code == 200
    assert "unreadable-badge" in page.get_data(as_text=True)
    assert "陈老师" not in page.get_data(as_text=True)
