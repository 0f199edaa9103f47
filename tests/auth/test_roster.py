"""Roster import: good file, bad rows with line numbers, BOM, re-import, --skip-invalid."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from screening.auth import roster
from screening.auth.models import User
from screening.auth.services import find_student, get_or_create_faculty, person

GOOD = (
    "student_number,name,email,faculty,cohort\n"
    "20240001,张三,zhang@example.edu,CS,2024\n"
    "20240002,李四,,LAW,2023\n"
)


@pytest.fixture(autouse=True)
def faculties(db) -> None:
    """The faculties the rosters name exist (an unknown code is refused)."""
    for code in ("CS", "LAW", "MED"):
        get_or_create_faculty(db, code)
    db.commit()


def _write(tmp_path: Path, text: str, bom: bool = False) -> Path:
    path = tmp_path / "roster.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def _students(db) -> int:
    return db.scalar(select(func.count()).select_from(User).where(User.role == "student"))


def test_good_file_with_bom_imports(runner: FlaskCliRunner, db, tmp_path: Path) -> None:
    result = runner.invoke(args=["users", "import", str(_write(tmp_path, GOOD, bom=True))])
    assert result.exit_code == 0, result.output
    assert "Imported 2 new" in result.output
    student = find_student(db, "20240001")
    assert student is not None and student.faculty.code == "CS" and student.cohort.year == 2024
    assert person(db, student).name == "张三"


def test_bad_rows_are_reported_and_nothing_imported(
    runner: FlaskCliRunner, db, tmp_path: Path
) -> None:
    text = GOOD + "x,,bad-email,C S,19\n20240001,王五,w@example.edu,CS,2024\n"
    result = runner.invoke(args=["users", "import", str(_write(tmp_path, text))])
    assert result.exit_code != 0
    assert "roster.csv:4: student_number must be" in result.output
    assert "roster.csv:5: student_number repeats line 2" in result.output
    assert "nothing imported" in result.output
    assert _students(db) == 0


def test_skip_invalid_imports_the_good_rows(runner: FlaskCliRunner, db, tmp_path: Path) -> None:
    text = GOOD + "20240003,王五,not-an-email,CS,2024\n"
    result = runner.invoke(args=["users", "import", "--skip-invalid", str(_write(tmp_path, text))])
    assert result.exit_code == 0, result.output
    assert "email is not an e-mail address" in result.output
    assert _students(db) == 2


def test_reimport_updates_instead_of_duplicating(
    runner: FlaskCliRunner, db, tmp_path: Path
) -> None:
    runner.invoke(args=["users", "import", str(_write(tmp_path, GOOD))])
    changed = GOOD.replace("张三", "张三丰").replace("CS,2024", "MED,2024")
    result = runner.invoke(args=["users", "import", str(_write(tmp_path, changed))])
    assert "Imported 0 new and updated 2" in result.output
    assert _students(db) == 2
    db.expire_all()
    student = find_student(db, "20240001")
    assert student.faculty.code == "MED"
    assert person(db, student).name == "张三丰"


def test_wrong_header_and_encoding(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = _write(tmp_path, "number,name\n1,a\n")
    result = runner.invoke(args=["users", "import", str(path)])
    assert "roster.csv:1: the header must be" in result.output
    path.write_bytes("student_number,name,email,faculty,cohort\n1,张".encode("gb18030"))
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code != 0 and "not UTF-8" in result.output


@given(st.text(max_size=300))
def test_parser_never_crashes(text: str) -> None:
    parsed = roster.parse("student_number,name,email,faculty,cohort\n" + text)
    for line, reason in parsed.errors:
        assert line >= 1 and reason
    for row in parsed.rows:
        assert 1950 <= row.cohort <= 2100
