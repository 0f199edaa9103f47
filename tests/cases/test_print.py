"""The printable case summary: this case only, audited, nobody outside scope."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.audit.models import AuditEntry
from screening.auth.services import get_or_create_faculty
from screening.cases import intake
from tests.conftest import log_in_fully

OTHER = {"instrument": "gad7", "version": 1, "total": 18, "band": "severe", "fired": []}


def test_print_summary_holds_this_case_only_and_is_audited(
    client: FlaskClient, db: Session, make_user, crisis_case
) -> None:
    counselor = make_user("counselor")
    case = crisis_case()
    log_in_fully(client, db, counselor)
    client.post(f"/cases/{case.id}/acknowledge")
    client.post(f"/cases/{case.id}/notes", data={"kind": "note", "text": "Met in person"})
    # An academic case of the same student: not part of this case's summary.
    from screening.auth.models import User

    student = db.get(User, case.student_id)
    academic = intake.open_or_raise(
        db,
        student=student,
        kind="academic",
        tier="moderate",
        source={"signal": "academic", "term": "2026-1", "failed_credits": 12},
    )
    intake.event(db, academic, "note", actor_id=counselor.id, detail={"text": "Academic only"})
    db.commit()
    page = client.get(f"/cases/{case.id}/print").get_data(as_text=True)
    assert "李同学" in page and "138 0013 8000" in page and "Met in person" in page
    assert "Little interest or pleasure" in page  # the answer sheet (English page)
    assert "Academic only" not in page and f"Case {academic.id}" not in page
    assert "Earlier screenings" not in page
    prints = db.scalars(select(AuditEntry).where(AuditEntry.action == "case.print")).all()
    assert [(p.actor_id, p.target_id) for p in prints] == [(counselor.id, str(case.id))]


def test_print_summary_outside_scope_shows_nothing(
    client: FlaskClient, db: Session, make_user, crisis_case
) -> None:
    case = crisis_case()
    law = get_or_create_faculty(db, "LAW", "Law", "法学院")
    db.commit()
    for user in (make_user("counselor", faculties=[law]), make_user("dean")):
        client.post("/auth/logout")
        log_in_fully(client, db, user)
        answer = client.get(f"/cases/{case.id}/print", follow_redirects=True)
        assert answer.status_code in (403, 404)
        assert "李同学" not in answer.get_data(as_text=True)
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "case.print")) is None
