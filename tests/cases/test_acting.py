"""Acting on a case: close-out after first contact, plans, and follow-up re-screening."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.campaigns.services import due_reminders
from screening.cases.models import Case, CaseEvent, FollowUp
from screening.db import utcnow
from tests.cases.conftest import submit_answers
from tests.conftest import log_in_fully, login_as

CLOSE = {"outcome": "resolved_contacted", "note": "Talked twice", "plan": "Check in weekly"}


def _status(db: Session, case: Case) -> str:
    db.expire_all()
    return db.get(Case, case.id).status


def test_close_out_needs_first_contact_or_a_supervisors_reason(
    client: FlaskClient, db: Session, make_user, crisis_case
) -> None:
    counselor = make_user("counselor")
    supervisor = make_user("supervisor")
    case = crisis_case()
    log_in_fully(client, db, counselor)
    refused = client.post(f"/cases/{case.id}/close", data={**CLOSE, "safety_plan": "y"})
    assert refused.status_code == 302 and _status(db, case) == "open"
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Close-out is possible once a first contact is recorded" in page
    client.post("/auth/logout")
    log_in_fully(client, db, supervisor)
    client.post(f"/cases/{case.id}/close", data={**CLOSE, "safety_plan": "y", "override": "短"})
    assert _status(db, case) == "open"
    client.post(
        f"/cases/{case.id}/close",
        data={**CLOSE, "override": "Student admitted to hospital by family"},
    )
    assert _status(db, case) == "open"  # a crisis case needs the safety plan as well
    client.post(
        f"/cases/{case.id}/close",
        data={**CLOSE, "safety_plan": "y", "override": "Student admitted to hospital by family"},
    )
    assert _status(db, case) == "pending_signoff"


def test_close_out_needs_a_follow_up_plan(
    client: FlaskClient, db: Session, make_user, crisis_case
) -> None:
    counselor = make_user("counselor")
    case = crisis_case()
    log_in_fully(client, db, counselor)
    client.post(f"/cases/{case.id}/acknowledge")
    client.post(f"/cases/{case.id}/close", data={**CLOSE, "plan": "", "safety_plan": "y"})
    assert _status(db, case) == "open"
    client.post(f"/cases/{case.id}/close", data={**CLOSE, "safety_plan": "y"})
    assert _status(db, case) == "pending_signoff"


def test_follow_up_is_scheduled_taken_and_attached_to_the_case(
    app: Flask, client: FlaskClient, db: Session, make_user, crisis_case
) -> None:
    counselor = make_user("counselor")
    case = crisis_case()
    log_in_fully(client, db, counselor)
    today = (utcnow() + timedelta(hours=8)).date().isoformat()  # Beijing date
    answer = client.post(f"/cases/{case.id}/followup", data={"instrument": "phq9", "on": today})
    assert answer.status_code == 302
    followup = db.scalar(select(FollowUp))
    assert followup is not None and followup.case_id == case.id and followup.done_at is None
    db.expire_all()
    assert db.get(Case, case.id).followup_due_at is not None
    # Reminders go through the campaigns' outbox reminders.
    assert any(a.id == followup.assignment_id for a, _ in due_reminders(db, utcnow()))
    # The student sees it among their screenings.
    client.post("/auth/logout")
    login_as(client, "20245555")
    assert "Follow-up screening" in client.get("/screening/").get_data(as_text=True)
    student = db.get(Case, case.id).student_id
    from screening.auth.models import User

    submit_answers(app, db, db.get(User, student), "phq9", {f"q{i}": 0 for i in range(1, 10)})
    db.expire_all()
    done = db.get(FollowUp, followup.id)
    assert done.done_at is not None and done.submission_id is not None
    assert db.get(Case, case.id).followup_due_at is None
    event = db.scalar(select(CaseEvent).where(CaseEvent.type == "followup_done"))
    assert event is not None and event.case_id == case.id
    client.post("/auth/logout")
    log_in_fully(client, db, counselor)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Follow-up re-screening taken" in page and "follow-up re-screening" in page


def test_overdue_follow_up_shows_in_the_queue(
    client: FlaskClient, db: Session, make_user, crisis_case
) -> None:
    counselor = make_user("counselor")
    case = crisis_case()
    other = crisis_case(student_number="20246666", name="周同学")
    log_in_fully(client, db, counselor)
    client.post(
        f"/cases/{case.id}/followup",
        data={"instrument": "phq9", "on": (utcnow() + timedelta(hours=8)).date().isoformat()},
    )
    followup = db.scalar(select(FollowUp))
    followup.due_at = utcnow() - timedelta(days=3)
    db.get(Case, case.id).followup_due_at = followup.due_at
    db.commit()
    page = client.get("/cases/", query_string={"followup_overdue": "1"}).get_data(as_text=True)
    assert f'href="/cases/{case.id}"' in page and f'href="/cases/{other.id}"' not in page
    assert "Follow-up overdue" in page
    closed = db.get(Case, case.id)
    closed.status = "closed"  # an overdue follow-up still shows after close-out
    db.commit()
    page = client.get("/cases/", query_string={"followup_overdue": "1"}).get_data(as_text=True)
    assert f'href="/cases/{case.id}"' in page and ">Closed<" in page


def test_outsider_cannot_schedule_a_follow_up(
    client: FlaskClient, db: Session, make_user, crisis_case
) -> None:
    from screening.auth.services import get_or_create_faculty

    case = crisis_case()
    law = get_or_create_faculty(db, "LAW", "Law", "法学院")
    db.commit()
    log_in_fully(client, db, make_user("counselor", faculties=[law]))
    client.post(f"/cases/{case.id}/followup", data={"instrument": "phq9", "on": "2030-01-01"})
    assert db.scalar(select(FollowUp)) is None
