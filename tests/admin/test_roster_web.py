"""Roster in the web: preview first, nothing written until confirmed; unknown faculties refused."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from screening.audit.models import AuditEntry
from screening.auth.models import Faculty, User
from screening.auth.services import find_student, get_or_create_faculty, person

HEADER = "student_number,name,email,faculty,cohort\n"
GOOD = HEADER + "20240001,张三,zhang@example.edu,CS,2024\n20240002,李四,,CS,2023\n"
TYPO = HEADER + "20240001,张三,zhang@example.edu,CS,2024\n20240002,李四,,NOPE,2023\n"


def _students(db) -> int:
    return db.scalar(select(func.count()).select_from(User).where(User.role == "student"))


def _file(text: str, name: str = "roster.csv") -> tuple[io.BytesIO, str]:
    return io.BytesIO(text.encode("utf-8")), name


def _preview(client: FlaskClient, text: str, name: str = "roster.csv"):
    return client.post(
        "/admin/roster", data={"roster": _file(text, name)}, content_type="multipart/form-data"
    )


def _digest(page: str) -> str:
    return page.split('name="digest" type="hidden" value="', 1)[1].split('"', 1)[0]


def _confirm(client: FlaskClient, text: str, digest: str, **extra: str):
    data = {"roster": _file(text), "digest": digest, **extra}
    return client.post("/admin/roster/import", data=data, content_type="multipart/form-data")


def test_preview_writes_nothing_then_confirm_imports(
    client: FlaskClient, logged_in, db, faculty
) -> None:
    logged_in("admin")
    page = _preview(client, GOOD).get_data(as_text=True)
    assert "New students: <strong>2</strong>" in page
    assert _students(db) == 0  # a preview only
    done = _confirm(client, GOOD, _digest(page))
    assert done.status_code == 302
    assert _students(db) == 2
    assert person(db, find_student(db, "20240001")).name == "张三"
    # Again, with one change: one updated, one unchanged.
    changed = GOOD.replace("张三", "张三丰")
    page = _preview(client, changed).get_data(as_text=True)
    assert "Updated: <strong>1</strong>" in page and "Unchanged: <strong>1</strong>" in page
    actions = db.scalars(select(AuditEntry.action)).all()
    assert "roster.preview" in actions and "roster.import" in actions


def test_an_unknown_faculty_is_refused_on_its_line_unless_created(
    client: FlaskClient, logged_in, db, faculty
) -> None:
    logged_in("admin")
    page = _preview(client, TYPO).get_data(as_text=True)
    assert "<td>3</td><td>unknown faculty NOPE" in page
    assert "Create these faculties: NOPE" in page
    refused = _confirm(client, TYPO, _digest(page), new_faculties="NOPE")
    assert "Nothing was imported" in refused.get_data(as_text=True)
    assert _students(db) == 0
    assert db.scalar(select(Faculty).where(Faculty.code == "NOPE")) is None
    # Ticked, naming the code: the faculty is created with the import.
    done = _confirm(client, TYPO, _digest(page), new_faculties="NOPE", create_faculties="y")
    assert done.status_code == 302
    assert _students(db) == 2
    assert db.scalar(select(Faculty).where(Faculty.code == "NOPE")) is not None


def test_bad_rows_are_listed_by_line_in_chinese_and_block_the_import(
    client: FlaskClient, logged_in, db, faculty
) -> None:
    logged_in("admin")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    text = GOOD + "x,,bad-email,CS,19\n20240001,王五,w@example.edu,CS,2024\n"
    page = _preview(client, text).get_data(as_text=True)
    assert "<td>4</td><td>学号" in page and "<td>5</td><td>学号与第 2 行重复" in page
    assert "student_number" not in page.split('<table class="errors">')[1].split("</table>")[0]
    assert 'action="/admin/roster/import"' not in page  # no import button while lines are wrong
    refused = _confirm(client, text, _digest(_preview(client, GOOD).get_data(as_text=True)))
    assert "不是您预览的文件" in refused.get_data(as_text=True)
    assert _students(db) == 0


def test_an_xlsx_roster_previews_like_csv(client: FlaskClient, logged_in, db, faculty) -> None:
    logged_in("admin")
    book = openpyxl.Workbook()
    sheet = book.active
    for row in [h.split(",") for h in GOOD.strip().splitlines()]:
        sheet.append([int(v) if v.isdigit() else v for v in row])
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    page = client.post(
        "/admin/roster", data={"roster": (data, "roster.xlsx")}, content_type="multipart/form-data"
    ).get_data(as_text=True)
    assert "New students: <strong>2</strong>" in page and "20240001" in page
    broken = client.post(
        "/admin/roster",
        data={"roster": (io.BytesIO(b"not a workbook"), "r.xlsx")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "not a readable XLSX workbook" in broken


def test_the_command_line_refuses_unknown_faculties_too(
    runner: FlaskCliRunner, db, tmp_path: Path
) -> None:
    get_or_create_faculty(db, "CS")
    db.commit()
    path = tmp_path / "roster.csv"
    path.write_text(TYPO, encoding="utf-8")
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code != 0
    assert "roster.csv:3: unknown faculty NOPE (add --create-faculties" in result.output
    assert _students(db) == 0
    skipped = runner.invoke(args=["users", "import", "--skip-invalid", str(path)])
    assert skipped.exit_code == 0 and _students(db) == 1
    assert db.scalar(select(Faculty).where(Faculty.code == "NOPE")) is None
    created = runner.invoke(args=["users", "import", "--create-faculties", str(path)])
    assert created.exit_code == 0, created.output
    assert "new faculties NOPE" in created.output and _students(db) == 2


def test_contact_columns_with_a_bad_phone_or_an_unknown_counselor_are_refused_in_chinese(
    client: FlaskClient, logged_in, db, faculty
) -> None:
    logged_in("admin")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    text = (
        "student_number,name,email,faculty,cohort,phone,counselor\n"
        "20240001,张三,,CS,2024,call-me,\n"
        "20240002,李四,,CS,2024,13800138000,nobody\n"
    )
    page = _preview(client, text).get_data(as_text=True)
    assert "手机号不是有效的电话号码" in page
    assert "辅导员不是在用教职工账号的用户名" in page
    assert _students(db) == 0
