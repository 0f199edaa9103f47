"""Registrar signals: every bad row reported, nothing imported unless asked, advisors' cases."""

from __future__ import annotations

import io
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import func, select

from screening.cases import academic
from screening.cases.models import Case, CaseEvent

HEADER = "student_number,term,failed_credits,gpa,absences\n"


def _count(db) -> int:
    return int(db.scalar(select(func.count()).select_from(Case)))


def test_parse_reports_every_bad_row_with_its_line() -> None:
    parsed = academic.parse(
        HEADER
        + "20240001,2025-1,12,1.5,3\n"
        + "x,2025-1,1,3,0\n"
        + "20240002,2025-1,abc,3.1,0\n"
        + "20240002,2025-1,0,9,0\n"
        + "20240001,2025-1,0,3,0\n"
    )
    assert [r.line for r in parsed.rows] == [2]
    assert [line for line, _ in parsed.errors] == [3, 4, 5, 6]
    assert "gpa must be between 0 and 5" in parsed.errors[2][1]
    assert "repeat line 2" in parsed.errors[3][1]
    assert academic.parse("a,b\n").errors == [
        (1, "the header must be: " + ",".join(academic.COLUMNS))
    ]


def test_thresholds() -> None:
    row = academic.AcademicRow(2, "1", "t", 10, 1.99, 15)
    assert academic.reasons(row, {}) == ["failed_credits", "gpa", "absences"]
    assert academic.reasons(row, {"failed_credits": 11, "gpa": 1.0, "absences": 16}) == []


def test_command_imports_nothing_from_a_file_with_errors(
    runner, make_user, db, tmp_path: Path
) -> None:
    advisor = make_user("counselor")
    advisor.is_advisor = True
    make_user("counselor")
    db.commit()
    weak = make_user("student", student_number="20249001")
    make_user("student", student_number="20249002")
    data = tmp_path / "registrar.csv"
    data.write_text(
        HEADER + "20249001,2025-1,12,1.8,20\n20249002,2025-1,0,3.5,1\n20249999,2025-1,20,1,30\n",
        encoding="utf-8",
    )
    refused = runner.invoke(args=["cases", "import-academic", str(data)])
    assert refused.exit_code != 0
    assert "registrar.csv:4: no student with this student_number" in refused.output
    assert "nothing imported" in refused.output and _count(db) == 0
    done = runner.invoke(args=["cases", "import-academic", str(data), "--skip-invalid"])
    assert done.exit_code == 0, done.output
    assert "3 row(s) read, 1 flagged" in done.output
    case = db.scalar(select(Case))
    assert case.student_id == weak.id and case.kind == "academic" and case.tier == "high"
    assert case.assignee_id == advisor.id
    blob = db.scalar(select(CaseEvent.detail_sealed).where(CaseEvent.type == "opened"))
    assert b"2025-1" not in blob and b"1.8" not in blob


def test_admin_upload_page(client: FlaskClient, logged_in, make_user, db) -> None:
    make_user("student", student_number="20248001")
    logged_in("admin")
    bad = client.post(
        "/cases/admin/academic",
        data={"file": (io.BytesIO((HEADER + "20248001,2025-1,x,1,1\n").encode()), "r.csv")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 200 and b"Line 2" in bad.data and b"Nothing was imported" in bad.data
    assert _count(db) == 0
    good = client.post(
        "/cases/admin/academic",
        data={"file": (io.BytesIO((HEADER + "20248001,2025-1,0,1.2,1\n").encode()), "r.csv")},
        content_type="multipart/form-data",
    )
    assert b"1 students flagged" in good.data and _count(db) == 1
    assert db.scalar(select(Case)).tier == "moderate"
