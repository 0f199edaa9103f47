"""The student's timeline: screenings over time, cases, contacts, notes; scoped and audited."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.audit.models import AuditEntry
from screening.auth.services import get_or_create_faculty
from tests.conftest import log_in_fully


def test_timeline_shows_screenings_cases_and_notes_and_is_audited(
    client: FlaskClient, db: Session, make_user, crisis_case
) -> None:
    counselor = make_user("counselor")
    case = crisis_case()
    log_in_fully(client, db, counselor)
    client.post(f"/cases/{case.id}/acknowledge")
    client.post(f"/cases/{case.id}/notes", data={"kind": "contact", "text": "Phoned at 9"})
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f'href="/cases/student/{case.student_id}"' in page
    queue = client.get("/cases/").get_data(as_text=True)
    assert f'href="/cases/student/{case.student_id}"' in queue
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    line = client.get(f"/cases/student/{case.student_id}").get_data(as_text=True)
    for shown in ("李同学", "20245555", "患者健康问卷（PHQ-9）", "中度", f"个案 {case.id}"):
        assert shown in line
    assert "Phoned at 9" in line and "首次联系" in line
    audited = db.scalars(select(AuditEntry).where(AuditEntry.action == "student.timeline")).all()
    assert [(a.actor_id, a.target_id) for a in audited] == [(counselor.id, str(case.student_id))]


def test_timeline_is_nobodys_outside_scope(
    client: FlaskClient, db: Session, make_user, crisis_case
) -> None:
    case = crisis_case()
    law = get_or_create_faculty(db, "LAW", "Law", "法学院")
    db.commit()
    plain = make_user("student", student_number="20241111")
    for user, status in ((make_user("counselor", faculties=[law]), 404), (make_user("dean"), 403)):
        client.post("/auth/logout")
        log_in_fully(client, db, user)
        answer = client.get(f"/cases/student/{case.student_id}")
        assert answer.status_code == status
        assert "李同学" not in answer.get_data(as_text=True)
    client.post("/auth/logout")
    log_in_fully(client, db, make_user("counselor"))
    assert client.get(f"/cases/student/{plain.id}").status_code == 404  # no case, no timeline
    audited = db.scalars(select(AuditEntry).where(AuditEntry.action == "student.timeline"))
    assert list(audited) == []
