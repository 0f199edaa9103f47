"""A backup from before a shred is restored: the shredded student's data never comes back."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from screening import backup, create_app
from screening.auth.models import User
from screening.auth.services import person
from screening.campaigns.models import Assignment
from screening.keys.models import SubjectKey
from screening.responses.models import Submission
from screening.responses.services import open_answers
from screening.startup import StartupError
from tests.conftest import app_config, log_in_fully
from tests.responses.conftest import answer, phq9


def _student_with_answers(client: FlaskClient, make_user, make_campaign, db: Session) -> User:
    make_campaign(["phq9"])
    student = make_user("student", student_number="20249999", name="张三丰")
    log_in_fully(client, db, student, "20249999")
    client.get("/screening/")
    assignment = db.scalar(select(Assignment).where(Assignment.student_id == student.id))
    client.post(f"/screening/{assignment.id}/consent", data={"agree": "1"})
    sent = answer(client, assignment.id, phq9(q1=3, q2=2))
    assert sent.status_code == 302
    client.post("/auth/logout")
    return student


def _nothing_readable(app: Flask, student_id: int) -> None:
    """Through a freshly started app: no data key, name unreadable, answers unreadable."""
    fresh = create_app(app_config(Path(app.instance_path)))
    try:
        with fresh.app_context():
            from screening import db as dbmod

            s = dbmod.session()
            assert s.get(SubjectKey, student_id).wrapped is None
            shown = person(s, s.get(User, student_id))
            assert getattr(shown.name, "unreadable", False) and "张三丰" not in str(shown.name)
            submission = s.scalar(select(Submission).where(Submission.student_id == student_id))
            assert submission is not None and open_answers(s, submission) is None
            staff = fresh.test_client()
            assert "张三丰".encode() not in staff.get("/auth/login").data
    finally:
        fresh.extensions["engine"].dispose()


def test_restore_command_applies_the_shred_ledger_before_it_returns(
    app: Flask,
    client: FlaskClient,
    runner: FlaskCliRunner,
    make_user,
    make_campaign,
    db: Session,
    tmp_path: Path,
) -> None:
    student = _student_with_answers(client, make_user, make_campaign, db)
    assert runner.invoke(args=["backup", "create", str(tmp_path / "b")]).exit_code == 0
    shredded = runner.invoke(args=["keys", "shred", "--yes", "20249999"])
    assert shredded.exit_code == 0, shredded.output
    db.close()
    result = runner.invoke(
        args=["backup", "restore", "--yes", str(next((tmp_path / "b").iterdir()))]
    )
    assert result.exit_code == 0, result.output
    assert "Re-applied 1 shreds" in result.output
    _nothing_readable(app, student.id)


def test_start_up_refuses_while_a_shredded_key_is_back(
    app: Flask,
    client: FlaskClient,
    runner: FlaskCliRunner,
    make_user,
    make_campaign,
    db: Session,
    tmp_path: Path,
) -> None:
    student = _student_with_answers(client, make_user, make_campaign, db)
    saved = backup.create(app.extensions["engine"], tmp_path / "b")
    assert runner.invoke(args=["keys", "shred", "--yes", "20249999"]).exit_code == 0
    db.close()
    backup.restore(app.extensions["engine"], saved)  # restored by hand, ledger not applied
    with pytest.raises(StartupError, match="keys reapply-shreds"):
        create_app(app_config(Path(app.instance_path)))
    repaired = runner.invoke(args=["keys", "reapply-shreds"])
    assert repaired.exit_code == 0 and "Re-applied 1" in repaired.output
    _nothing_readable(app, student.id)
