"""The vault on a real database: round trips, moved ciphertexts, unreadable values on pages."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from screening import create_app
from screening.audit.models import AuditEntry
from screening.auth.models import User
from screening.auth.services import person
from screening.crypto import KeyRing
from screening.keys.services import vault_of
from screening.notify.system import join_alerts
from screening.startup import StartupError
from tests.conftest import app_config


def _fresh(db: Session) -> Session:
    """Forget cached data keys and loaded rows, as a new request would."""
    db.expire_all()
    db.info.pop("vault_data_keys", None)
    return db


def test_round_trip_text(make_user, db: Session) -> None:
    student = make_user("student")
    vault = vault_of(db)
    vault.seal(db, student.id, student, {User.name_sealed: "睡不着，压力很大"})
    db.commit()
    _fresh(db)
    row = db.get(User, student.id)
    assert vault.open(db, student.id, User.name_sealed, row) == "睡不着，压力很大"
    assert "睡不着".encode() not in row.name_sealed


def test_only_declared_sealed_columns_are_sealed(make_user, db: Session) -> None:
    student = make_user("student")
    with pytest.raises(TypeError, match="sealed"):
        vault_of(db).seal(db, student.id, student, {User.username: "x"})


@pytest.mark.parametrize(("where"), ["other-row", "same-row", "other-student"])
def test_a_ciphertext_moved_elsewhere_is_unreadable(make_user, db: Session, where: str) -> None:
    first, second = make_user("student"), make_user("student")
    blob = first.name_sealed
    vault = vault_of(db)
    if where == "other-student":
        opened = vault.open(db, second.id, User.name_sealed, first)
    elif where == "other-row":
        second.name_sealed = blob
        second.seal_version = first.seal_version
        opened = vault.open(db, second.id, User.name_sealed, second)
    else:
        first.email_sealed = blob
        opened = vault.open(db, first.id, User.email_sealed, first)
    assert getattr(opened, "unreadable", False)
    assert vault.open(db, first.id, User.name_sealed, first) == "Person 1"
    db.rollback()


def test_a_tampered_name_shows_an_unreadable_badge_and_logs_only_the_row(
    client: FlaskClient, logged_in, make_user, db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    logged_in("admin")
    staff = make_user("counselor", name="李老师秘密姓名")
    row = db.get(User, staff.id)
    row.name_sealed = row.name_sealed[:-1] + bytes([row.name_sealed[-1] ^ 1])
    db.commit()
    with caplog.at_level(logging.WARNING, logger="screening.keys.services"):
        response = client.get("/admin/users")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'class="badge unreadable-badge"' in page and "Unreadable" in page
    assert "李老师秘密姓名" not in page
    lines = [r.getMessage() for r in caplog.records if "unreadable" in r.getMessage()]
    assert len(lines) == 1
    assert lines[0].startswith(f"sealed value unreadable: users.name row {staff.id} (integrity")
    assert "李老师" not in caplog.text
    # An integrity failure, not a shred: a security event whose reference the page shows.
    ref = lines[0].rsplit("ref ", 1)[1].rstrip(")")
    assert f"Unreadable (reference {ref})" in page
    join_alerts(client.application)
    db.expire_all()
    event = db.scalar(select(AuditEntry).where(AuditEntry.action == "security.integrity_failed"))
    assert event is not None and event.reason == f"ref {ref}"
    assert (event.target_type, event.target_id) == ("users.name", str(staff.id))


def test_the_badge_is_translated(client: FlaskClient, logged_in, make_user, db: Session) -> None:
    logged_in("admin")
    staff = make_user("counselor")
    row = db.get(User, staff.id)
    row.name_sealed = b"\x00" * 40
    db.commit()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    page = client.get("/admin/users").get_data(as_text=True)
    assert "无法读取" in page


def test_shredded_values_are_unreadable_but_the_user_row_stays(make_user, db: Session) -> None:
    student = make_user("student", name="张三")
    assert vault_of(db).shred(db, student.id)
    db.commit()
    shown = person(_fresh(db), db.get(User, student.id))
    assert getattr(shown.name, "unreadable", False)
    assert getattr(shown.student_number, "unreadable", False)


def test_a_wrong_key_ring_stops_the_app(instance: Path) -> None:
    (instance / "keyring.json").unlink()
    KeyRing.create(instance / "keyring.json")
    with pytest.raises(StartupError, match="wrong key ring for this database"):
        create_app(app_config(instance))


def test_a_missing_key_ring_names_the_fix(instance: Path) -> None:
    (instance / "keyring.json").unlink()
    with pytest.raises(StartupError, match="restore the key ring from its backup"):
        create_app(app_config(instance))


def test_vault_picks_up_a_kek_added_by_another_process(app: Flask, make_user, db: Session) -> None:
    vault = vault_of(db)
    other = KeyRing.load(vault.ring.path)
    other.add_kek()
    other.save()
    vault._next_refresh = 0.0  # the refresh interval has passed
    student = make_user("student")
    from screening.keys.models import SubjectKey

    assert db.get(SubjectKey, student.id).kek_id == "k2"
