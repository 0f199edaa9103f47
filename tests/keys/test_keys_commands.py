"""The key commands: check, rotate, retire, shred and reapply-shreds, as an operator runs them."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.auth.services import person
from screening.crypto import KeyRing
from screening.keys.models import KekCheck, ShredRecord, SubjectKey


def test_check_passes_on_a_sound_ring(runner: FlaskCliRunner, make_user) -> None:
    make_user("student")
    make_user("counselor")
    result = runner.invoke(args=["keys", "check"])
    assert result.exit_code == 0, result.output
    assert "2 open, 0 shredded, 0 cannot be opened" in result.output
    assert "Key ring OK." in result.output


def test_check_names_a_data_key_that_does_not_open(
    runner: FlaskCliRunner, make_user, db: Session
) -> None:
    good, bad = make_user("student"), make_user("student")
    row = db.get(SubjectKey, bad.id)
    assert row is not None and row.wrapped is not None
    row.wrapped = row.wrapped[:-1] + bytes([row.wrapped[-1] ^ 1])
    db.commit()
    result = runner.invoke(args=["keys", "check"])
    assert result.exit_code == 1
    assert "1 open, 0 shredded, 1 cannot be opened" in result.output
    assert f"by user id: {bad.id}" in result.output
    assert str(good.id) not in result.output.split("by user id:")[1]


def test_check_refuses_a_group_readable_ring(runner: FlaskCliRunner, app: Flask) -> None:
    path = Path(app.config["KEYRING_PATH"])
    os.chmod(path, 0o640)
    result = runner.invoke(args=["keys", "check"])
    assert result.exit_code == 1
    assert f"chmod 600 {path}" in result.output


def test_rotate_rewraps_every_key_and_retire_removes_the_old_kek(
    runner: FlaskCliRunner, app: Flask, make_user, db: Session
) -> None:
    users = [make_user("student") for _ in range(5)]
    before = {u.id: person(db, u).name for u in users}
    result = runner.invoke(args=["keys", "rotate", "--batch", "2", "--settle", "0"])
    assert result.exit_code == 0, result.output
    assert "Re-wrapped 5 data keys; all are now under k2" in result.output
    path = Path(app.config["KEYRING_PATH"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    on_disk = KeyRing.load(path)
    assert on_disk.active_kek_id == "k2"
    db.expire_all()
    assert {r.kek_id for r in db.scalars(select(SubjectKey))} == {"k2"}
    assert runner.invoke(args=["keys", "retire", "k1"]).exit_code == 0
    assert [k.id for k in KeyRing.load(path).keks()] == ["k2"]
    db.expire_all()
    assert db.get(KekCheck, "k1").retired_at is not None
    # A fresh session (fresh key cache) still opens everything, and the check passes.
    db.info.pop("vault_data_keys", None)
    assert {u.id: person(db, u).name for u in users} == before
    assert runner.invoke(args=["keys", "check"]).exit_code == 0


def test_retire_refuses_while_a_key_still_uses_the_kek(
    runner: FlaskCliRunner, app: Flask, make_user, db: Session
) -> None:
    make_user("student")
    ring = app.extensions["vault"].ring
    ring.add_kek()
    ring.save()
    app.extensions["vault"].record_check_values(db)
    db.commit()
    result = runner.invoke(args=["keys", "retire", "k1"])
    assert result.exit_code == 1
    assert "1 data keys are still wrapped under k1" in result.output
    assert "k1" in [k.id for k in KeyRing.load(ring.path).keks()]


def test_shred_makes_a_student_unreadable_and_writes_the_ledger(
    runner: FlaskCliRunner, app: Flask, make_user, db: Session
) -> None:
    student = make_user("student", student_number="2024999001", name="王小明")
    other = make_user("student")
    result = runner.invoke(args=["keys", "shred", "2024999001", "--yes"])
    assert result.exit_code == 0, result.output
    db.expire_all()
    db.info.pop("vault_data_keys", None)
    shown = person(db, student)
    assert getattr(shown.name, "unreadable", False)
    assert not getattr(person(db, other).name, "unreadable", False)
    assert db.scalar(select(ShredRecord.user_id)) == student.id
    ledger = Path(app.instance_path) / "shred-ledger.jsonl"
    assert stat.S_IMODE(ledger.stat().st_mode) == 0o600
    lines = [json.loads(line) for line in ledger.read_text().splitlines()]
    assert [line["user_id"] for line in lines] == [student.id]
    assert set(lines[0]) == {"user_id", "shredded_at"}
    assert "2024999001" not in ledger.read_text() and "王小明" not in ledger.read_text()
    again = runner.invoke(args=["keys", "shred", "2024999001", "--yes"])
    assert again.exit_code == 1 and "shredded already" in again.output


def test_shred_of_an_unknown_student_is_refused(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["keys", "shred", "nobody", "--yes"])
    assert result.exit_code == 1
    assert "No student with this student number" in result.output


def test_reapply_shreds_after_a_restore(
    runner: FlaskCliRunner, app: Flask, make_user, db: Session
) -> None:
    student = make_user("student", student_number="2024999002")
    row = db.get(SubjectKey, student.id)
    backup = (row.kek_id, row.wrapped)
    assert runner.invoke(args=["keys", "shred", "2024999002", "--yes"]).exit_code == 0
    # "Restore" a backup made before the shred: the wrapped key is back, the record gone.
    db.expire_all()
    row = db.get(SubjectKey, student.id)
    row.kek_id, row.wrapped, row.shredded_at = backup[0], backup[1], None
    for record in db.scalars(select(ShredRecord)):
        db.delete(record)
    db.commit()
    db.info.pop("vault_data_keys", None)
    assert not getattr(person(db, student).name, "unreadable", False)
    result = runner.invoke(args=["keys", "reapply-shreds"])
    assert result.exit_code == 0, result.output
    assert "Re-applied 1 of 1 shreds" in result.output
    db.expire_all()
    db.info.pop("vault_data_keys", None)
    assert getattr(person(db, student).name, "unreadable", False)
    assert db.scalar(select(ShredRecord.user_id)) == student.id
    ledger = Path(app.instance_path) / "shred-ledger.jsonl"
    again = runner.invoke(args=["keys", "reapply-shreds", str(ledger)])
    assert "Re-applied 0 of 1 shreds" in again.output


def test_reapply_names_a_broken_ledger(runner: FlaskCliRunner, tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.jsonl"
    ledger.write_text('{"user_id": 1}\nnot json\n')
    result = runner.invoke(args=["keys", "reapply-shreds", str(ledger)])
    assert result.exit_code == 1
    assert "Line 2" in result.output
