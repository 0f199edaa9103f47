"""Find a person by an exact identifier, edit them, disable them, reset their second factor."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from screening.audit.models import AuditEntry
from screening.auth import mfa
from screening.auth.services import get_or_create_faculty, person
from tests.conftest import enrol_mfa


def test_search_is_exact_by_student_number_email_or_username(
    client: FlaskClient, logged_in, make_user, db
) -> None:
    logged_in("admin")
    student = make_user("student", student_number="2024000777", email="s777@example.edu")
    staff = make_user("counselor", username="counselor.law")
    for q, who in [
        ("2024000777", student),
        ("s777@example.edu", student),
        ("counselor.law", staff),
    ]:
        page = client.get("/admin/people", query_string={"q": q}).get_data(as_text=True)
        assert f"/admin/people/{who.id}" in page, q
    partial = client.get("/admin/people", query_string={"q": "2024000"}).get_data(as_text=True)
    assert f"/admin/people/{student.id}" not in partial and "Nobody has exactly" in partial
    searched = db.scalars(select(AuditEntry.target_id).where(AuditEntry.action == "user.search"))
    assert str(student.id) in list(searched)


def test_edit_role_faculties_disable_and_reset_mfa(
    client: FlaskClient, logged_in, make_user, db, faculty
) -> None:
    logged_in("admin")
    law = get_or_create_faculty(db, "LAW")
    db.commit()
    counselor = make_user("counselor")
    enrol_mfa(db, counselor)
    page = client.get(f"/admin/people/{counselor.id}").get_data(as_text=True)
    assert "Reset two-step verification" in page
    saved = client.post(
        f"/admin/people/{counselor.id}",
        data={
            "name": "王老师",
            "email": "wang@example.edu",
            "role": "supervisor",
            "faculties": [str(law.id)],
        },
    )
    assert saved.status_code == 302
    db.expire_all()
    db.refresh(counselor)
    assert counselor.role == "supervisor" and [f.code for f in counselor.faculties] == ["LAW"]
    assert person(db, counselor).name == "王老师"
    client.post(f"/admin/users/{counselor.id}/active", data={"back": "person"})
    db.refresh(counselor)
    assert counselor.active is False
    assert client.post(f"/admin/people/{counselor.id}/reset-mfa").status_code == 302
    assert not mfa.enrolled(db, counselor)
    actions = list(
        db.scalars(select(AuditEntry.action).where(AuditEntry.target_id == str(counselor.id)))
    )
    assert {"user.update", "user.disable", "mfa.reset"} <= set(actions)
    reason = db.scalar(select(AuditEntry.reason).where(AuditEntry.action == "user.update"))
    assert "王老师" not in (reason or "")  # what changed, never the personal values


def test_a_student_cannot_lose_their_faculty_or_become_staff(
    client: FlaskClient, logged_in, make_user, db
) -> None:
    logged_in("admin")
    student = make_user("student")
    answer = client.post(
        f"/admin/people/{student.id}",
        data={"name": "学生", "role": "admin", "faculty": ""},
    )
    assert answer.status_code == 200  # refused and shown again
    db.refresh(student)
    assert student.role == "student" and student.faculty is not None
