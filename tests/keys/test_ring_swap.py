"""A key-ring file swapped or removed under a running app: old keys stay, nothing is lost."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from screening import create_app
from screening.audit.services import verify
from screening.auth.models import User
from screening.auth.services import person
from screening.campaigns.models import Assignment
from screening.crypto import KeyRing
from screening.keys.models import SubjectKey
from screening.keys.services import vault_of
from screening.notify.models import Alert
from screening.notify.system import join_alerts
from screening.responses.models import Submission
from tests.conftest import app_config
from tests.responses.conftest import answer, phq9


def _swap_in_foreign_ring(instance: Path, tmp_path: Path) -> Path:
    """Copy a valid key ring of another installation over the running one; keep the real one."""
    kept = tmp_path / "kept-keyring.json"
    shutil.copy2(instance / "keyring.json", kept)
    foreign = KeyRing.create(tmp_path / "other-install" / "keyring.json")
    shutil.copy2(foreign.path, instance / "keyring.json.new")
    os.replace(instance / "keyring.json.new", instance / "keyring.json")
    return kept


def _due(app: Flask) -> None:
    """Let the vault look at the ring file on its next chance (its interval has passed)."""
    app.extensions["vault"]._next_refresh = 0.0


def _submit(client: FlaskClient, db: Session, student: User, token: str) -> int:
    client.get("/screening/")
    assignment = db.scalar(select(Assignment).where(Assignment.student_id == student.id))
    client.post(f"/screening/{assignment.id}/consent", data={"agree": "1"})
    response = answer(client, assignment.id, phq9(q1=2, q2=1))
    return response.status_code


def _admin_alerts(db: Session, admin: User) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(Alert.kind).where(Alert.recipient_id == admin.id)))


def test_a_foreign_ring_copied_over_the_running_one_is_refused(
    app: Flask,
    instance: Path,
    tmp_path: Path,
    client: FlaskClient,
    logged_in,
    make_user,
    make_campaign,
    db: Session,
    caplog: pytest.LogCaptureFixture,
) -> None:
    admin = make_user("admin")
    make_campaign(["phq9"])
    kept = _swap_in_foreign_ring(instance, tmp_path)
    _due(app)
    with caplog.at_level(logging.ERROR, logger="screening.keys.services"):
        student = logged_in("student", name="王小明")  # a new data key is made right after
        assert _submit(client, db, student, "t1") == 302
    assert "does not match this database" in caplog.text
    join_alerts(app)
    assert _admin_alerts(db, admin) == ["system.keyring"]
    late = make_user("student", name="李四")  # another new data key, still with the old ring
    assert db.get(SubjectKey, late.id).kek_id == "k1"

    # The right ring comes back: a fresh process opens everything made during the swap.
    os.replace(kept, instance / "keyring.json")
    fresh = create_app(app_config(instance))
    try:
        with fresh.app_context():
            from screening import db as dbmod

            session = dbmod.session()
            assert person(session, session.get(User, student.id)).name == "王小明"
            assert person(session, session.get(User, late.id)).name == "李四"
            sub = session.scalar(select(Submission))
            assert sub is not None and sub.student_id == student.id
            reports = verify(session)
            assert reports and all(r.ok for r in reports)
    finally:
        fresh.extensions["engine"].dispose()


def test_the_swap_is_alerted_once_however_often_it_is_seen(
    app: Flask, instance: Path, tmp_path: Path, make_user, db: Session
) -> None:
    admin = make_user("admin")
    _swap_in_foreign_ring(instance, tmp_path)
    for n in range(3):
        _due(app)
        make_user("student", name=f"Student {n}")
    join_alerts(app)
    assert _admin_alerts(db, admin) == ["system.keyring"]
    assert vault_of(db).problem and "does not match" in vault_of(db).problem


def test_a_missing_ring_file_is_alerted_at_the_next_request_and_keys_stay(
    app: Flask,
    instance: Path,
    client: FlaskClient,
    make_user,
    db: Session,
    caplog: pytest.LogCaptureFixture,
) -> None:
    admin = make_user("admin")
    student = make_user("student", name="张三")
    (instance / "keyring.json").unlink()
    _due(app)
    with caplog.at_level(logging.ERROR, logger="screening.keys.services"):
        assert client.get("/auth/login").status_code == 200
    assert "No key ring at" in caplog.text
    join_alerts(app)
    assert _admin_alerts(db, admin) == ["system.keyring"]
    db.info.pop("vault_data_keys", None)
    assert person(db, db.get(User, student.id)).name == "张三"  # the keys in memory serve on
    assert make_user("student", name="新生").id  # and new data keys are still made


def test_a_rotated_ring_is_still_taken_up(app: Flask, make_user, db: Session) -> None:
    from screening.keys.rotation import start_rotation

    cli = create_app(app_config(Path(app.instance_path)))
    try:
        with cli.app_context():
            from screening import db as dbmod

            assert start_rotation(dbmod.session()) == "k2"
            dbmod.session().commit()
    finally:
        cli.extensions["engine"].dispose()
    _due(app)
    student = make_user("student")
    assert db.get(SubjectKey, student.id).kek_id == "k2"
    assert vault_of(db).problem is None
