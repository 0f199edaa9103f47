"""A backup restores exactly what it held, on SQLite and PostgreSQL; the key ring stays apart."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from screening.auth.models import User
from screening.auth.services import find_student, person


def test_backup_and_restore_round_trip(
    runner: FlaskCliRunner, make_user, db, tmp_path: Path
) -> None:
    make_user("student", student_number="20240001", name="张三")
    result = runner.invoke(args=["backup", "create", str(tmp_path / "backups")])
    assert result.exit_code == 0, result.output
    files = list((tmp_path / "backups").iterdir())
    assert len(files) == 1 and oct(files[0].stat().st_mode)[-3:] == "600"
    assert not any("keyring" in f.name for f in files)
    make_user("student", student_number="20240002", name="李四")
    assert db.scalar(select(func.count()).select_from(User)) == 2
    db.close()
    refused = runner.invoke(args=["backup", "restore", str(files[0])])
    assert refused.exit_code != 0 and "--yes" in refused.output
    result = runner.invoke(args=["backup", "restore", "--yes", str(files[0])])
    assert result.exit_code == 0, result.output
    assert "Re-applied 0 shreds" in result.output
    assert db.scalar(select(func.count()).select_from(User)) == 1
    student = find_student(db, "20240001")
    assert student is not None and person(db, student).name == "张三"
    assert find_student(db, "20240002") is None
