"""The counselor reaches the student and sees why: contact block, answer sheet, scope, audit."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskCliRunner
from sqlalchemy import select, text

from screening.audit.models import AuditEntry
from screening.auth.contact import contact_of, students_by_phone
from screening.auth.services import find_student, get_or_create_faculty
from screening.cases.models import Case
from tests.conftest import log_in_fully

ROSTER = (
    "student_number,name,email,faculty,cohort,phone,emergency_name,emergency_relation,"
    "emergency_phone,class,counselor,dorm\n"
    "20240001,张三,zhang@example.edu,CS,2024,13800138000,张建国,父亲,13900139000,"
    "计科2401班,wang,紫荆3号楼512\n"
    "20240002,李四,,LAW,2023,,,,,,,\n"
)


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(body, encoding="utf-8")
    return path


def test_roster_contact_columns_are_sealed_and_the_phone_finds_the_student(
    runner: FlaskCliRunner, db, make_user, tmp_path: Path
) -> None:
    wang = make_user("counselor", username="wang", name="王老师")
    result = runner.invoke(
        args=["users", "import", "--create-faculties", str(_write(tmp_path, ROSTER))]
    )
    assert result.exit_code == 0, result.output
    student = find_student(db, "20240001")
    assert student is not None and student.class_counselor_id == wang.id
    contact = contact_of(db, student)
    assert (contact.phone, contact.emergency_relation, contact.class_name) == (
        "13800138000",
        "父亲",
        "计科2401班",
    )
    # Found by a differently typed number, through the blind index only.
    assert [u.id for u in students_by_phone(db, "+86 138-0013-8000")] == [student.id]
    raw = db.execute(text("SELECT contact_sealed, phone_index FROM users")).all()
    blob = b"".join(r[0] or b"" for r in raw) + "".join(r[1] or "" for r in raw).encode()
    for secret in ("13800138000", "张建国", "计科2401班", "紫荆"):
        assert secret.encode() not in blob
    assert not contact_of(db, find_student(db, "20240002"))


def test_roster_reports_bad_phone_numbers_and_unknown_counselors_by_line(
    runner: FlaskCliRunner, db, tmp_path: Path
) -> None:
    body = (
        "student_number,name,email,faculty,cohort,phone,counselor\n"
        "20240001,张三,,CS,2024,call me maybe,\n"
        "20240002,李四,,CS,2024,13800138000,nobody\n"
        "20240003,王五,,CS,2024,010-6278 5001,\n"
    )
    result = runner.invoke(
        args=["users", "import", "--create-faculties", str(_write(tmp_path, body))]
    )
    assert result.exit_code != 0
    assert "roster.csv:2: phone is not a phone number" in result.output
    assert "roster.csv:3: counselor is not the username" in result.output
    assert "roster.csv:4" not in result.output
    assert find_student(db, "20240003") is None  # nothing imported while rows are bad


def test_case_page_opens_with_contact_block_and_the_answer_sheet(
    client, db, make_user, crisis_case
) -> None:
    counselor = make_user("counselor", name="王老师")
    class_counselor = make_user("counselor", name="赵辅导员")
    case = crisis_case(class_counselor=class_counselor)
    log_in_fully(client, db, counselor)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    contact = page[: page.index("为什么")] if "为什么" in page else page[:4000]
    for shown in ("李同学", "20245555", "计科2401班", "赵辅导员", "紫荆公寓3号楼512", "李建国"):
        assert shown in contact
    assert 'href="tel:13800138000"' in page and 'href="tel:13900139000"' in page
    assert "首次联系" in contact
    # The answers, item by item, in Chinese, with points and the fired item marked.
    assert "做事时提不起劲或没有兴趣" in page and "好几天" in page and "一半以上的天数" in page
    assert "患者健康问卷（PHQ-9）" in page and "phq9 v1" not in page
    at = page.index("<td>有不如死掉")
    row9 = page[at - 60 : at + 200]
    assert "flagged" in row9 and "预警" in row9
    assert "answered" not in page and "PHQ-9 item 9 (" not in page
    views = db.scalars(select(AuditEntry).where(AuditEntry.action == "case.view")).all()
    assert [(v.actor_id, v.target_id) for v in views] == [(counselor.id, str(case.id))]


def test_outside_scope_and_dean_see_no_contact_or_answers(
    app, client, db, make_user, crisis_case
) -> None:
    case = crisis_case()
    law = get_or_create_faculty(db, "LAW", "Law", "法学院")
    db.commit()
    for user in (make_user("counselor", faculties=[law]), make_user("dean")):
        client.post("/auth/logout")
        log_in_fully(client, db, user)
        answer = client.get(f"/cases/{case.id}", follow_redirects=True)
        assert answer.status_code in (403, 404)
        body = answer.get_data(as_text=True)
        for secret in ("李同学", "13800138000", "李建国", "做事时提不起劲"):
            assert secret not in body
    actors = set(db.scalars(select(AuditEntry.actor_id).where(AuditEntry.action == "case.view")))
    assert actors == set()
    assert db.get(Case, case.id) is not None
