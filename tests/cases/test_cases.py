"""From a flagged answer to a signed close-out: routing, e-mail, claim, escalation, register."""

from __future__ import annotations

import threading
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from screening.cases import intake, services
from screening.cases.models import Case, CaseEvent
from screening.cli.worker import run_once
from screening.db import utcnow
from screening.notify.models import OutboxMessage
from screening.notify.services import MailSettings, deliver
from tests.conftest import log_in_fully, login_as
from tests.responses.conftest import answer, phq9

CRISIS_WHY = {"instrument": "phq9", "version": 1, "total": 1, "band": "minimal", "fired": []}


def _submit_phq9(client: FlaskClient, db, student, **answers: int) -> None:
    from screening.campaigns.models import Assignment

    client.get("/screening/")
    assignment = db.scalar(select(Assignment).where(Assignment.student_id == student.id))
    client.post(f"/screening/{assignment.id}/consent", data={"agree": "1"})
    response = answer(client, assignment.id, phq9(**answers))
    assert response.status_code == 302


def _settings(controller) -> MailSettings:
    return MailSettings(
        "127.0.0.1", controller.port, "screening@example.edu", "https://screening.example.edu"
    )


def test_item_nine_to_signed_close_out(
    app: Flask, client: FlaskClient, make_user, make_campaign, db, smtp
) -> None:
    box, controller = smtp
    counselor = make_user("counselor", name="王老师", email="wang@example.edu")
    supervisor = make_user("supervisor", name="周主任", email="zhou@example.edu")
    make_campaign(["phq9"])
    student = make_user("student", student_number="20245555", name="李同学", email="li@example.edu")
    login_as(client, "20245555")
    _submit_phq9(client, db, student, q9=1)
    case = db.scalar(select(Case))
    assert case is not None and case.tier == "crisis" and case.assignee_id == counselor.id
    assert case.due_at - case.opened_at == timedelta(hours=1)
    sent, failed = deliver(app.extensions["sessionmaker"], _settings(controller))
    assert (sent, failed) == (1, 0)
    mail = box.messages[0]
    assert mail["To"] == "wang@example.edu"
    body = mail.get_payload(decode=True).decode()
    assert f"https://screening.example.edu/cases/{case.id}" in body
    for secret in ("李同学", "20245555", "phq9", "PHQ", "li@example.edu", "suicid"):
        assert secret not in body and secret not in mail["Subject"]
    # The counselor works the case.
    client.post("/auth/logout")
    log_in_fully(client, db, counselor)
    page = client.get(f"/cases/{case.id}")
    assert page.status_code == 200 and "李同学".encode() in page.data
    assert client.post(f"/cases/{case.id}/acknowledge").status_code == 302
    client.post(
        f"/cases/{case.id}/notes",
        data={"kind": "contact", "text": "Called, talked 20 min, safe tonight"},
    )
    refused = client.post(
        f"/cases/{case.id}/close", data={"outcome": "resolved_contacted", "note": ""}
    )
    assert refused.status_code == 302
    db.expire_all()
    assert db.get(Case, case.id).status == "open"
    client.post(
        f"/cases/{case.id}/close",
        data={
            "outcome": "resolved_contacted",
            "note": "Safety plan agreed",
            "plan": "Weekly check-in",
            "safety_plan": "y",
        },
    )
    db.expire_all()
    assert db.get(Case, case.id).status == "pending_signoff"
    assert client.post(f"/cases/{case.id}/signoff").status_code == 403
    client.post("/auth/logout")
    log_in_fully(client, db, supervisor)
    client.post(f"/cases/{case.id}/signoff")
    db.expire_all()
    closed = db.get(Case, case.id)
    assert closed.status == "closed" and closed.signed_off_by == supervisor.id
    assert closed.outcome == "resolved_contacted"
    raw = db.scalars(select(CaseEvent.detail_sealed)).all()
    assert all(b"Safety plan" not in (blob or b"") for blob in raw)


def test_duplicate_flags_join_one_case(app: Flask, make_user, db) -> None:
    make_user("counselor")
    student = make_user("student")
    intake.open_or_raise(db, student=student, kind="psych", tier="moderate", source=CRISIS_WHY)
    intake.open_or_raise(db, student=student, kind="psych", tier="crisis", source=CRISIS_WHY)
    intake.open_or_raise(db, student=student, kind="psych", tier="high", source=CRISIS_WHY)
    db.commit()
    cases = db.scalars(select(Case)).all()
    assert len(cases) == 1 and cases[0].tier == "crisis"
    assert (
        db.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.type == "flag")) == 2
    )


def test_concurrent_claims_have_one_winner(app: Flask, make_user, db) -> None:
    a, b = make_user("counselor"), make_user("counselor")
    student = make_user("student")
    case = intake.open_or_raise(db, student=student, kind="psych", tier="high", source=CRISIS_WHY)
    case.assignee_id = None
    db.commit()
    results: list[int] = []
    clients = [app.test_client(), app.test_client()]
    for c in clients:
        c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    log_in_fully(clients[0], db, a)
    log_in_fully(clients[1], db, b)
    barrier = threading.Barrier(2)

    def claim(c: FlaskClient) -> None:
        barrier.wait()
        c.post(f"/cases/{case.id}/claim")
        results.append(1)

    threads = [threading.Thread(target=claim, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.expire_all()
    winner = db.get(Case, case.id).assignee_id
    assert winner in (a.id, b.id)
    assert (
        db.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.type == "claimed"))
        == 1
    )
    loser = clients[1] if winner == a.id else clients[0]
    page = loser.get(f"/cases/{case.id}")
    assert page.status_code == 200  # same faculty: still visible, but theirs now
    again = loser.post(f"/cases/{case.id}/claim", follow_redirects=True)
    assert b"Another counselor claimed this case" in again.data


def test_escalation_after_the_deadline(app: Flask, make_user, db, smtp) -> None:
    _box, controller = smtp
    counselor = make_user("counselor", email="c@example.edu")
    supervisor = make_user("supervisor", email="s@example.edu")
    student = make_user("student")
    opened = utcnow() - timedelta(hours=2)
    case = intake.open_or_raise(
        db, student=student, kind="psych", tier="crisis", source=CRISIS_WHY, now=opened
    )
    db.commit()
    assert services.escalate(db, opened + timedelta(minutes=30)) == 0
    assert services.escalate(db, utcnow()) == 1
    db.commit()
    db.expire_all()
    assert db.get(Case, case.id).escalation_level == 1
    escalations = db.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "case.escalated")
    ).all()
    assert sorted(m.recipient_id for m in escalations) == sorted([counselor.id, supervisor.id])
    assert db.get(Case, case.id).due_at == opened + timedelta(hours=1)  # still shown overdue
    assert services.escalate(db, utcnow()) == 0  # next level only after another time limit
    assert services.escalate(db, utcnow() + timedelta(hours=1, minutes=1)) == 1
    db.commit()
    app.config.update(MAIL_PORT=controller.port)
    _escalated, sent, failed = run_once(app)
    assert sent >= 2 and failed == 0


def test_smtp_down_retries_without_duplicates(app: Flask, make_user, db, smtp) -> None:
    box, controller = smtp
    make_user("counselor", email="c@example.edu")
    student = make_user("student")
    intake.open_or_raise(db, student=student, kind="psych", tier="high", source=CRISIS_WHY)
    db.commit()
    down = MailSettings("127.0.0.1", 1, "s@example.edu", "https://x")  # nothing listens on port 1
    assert deliver(app.extensions["sessionmaker"], down) == (0, 0)
    message = db.scalar(select(OutboxMessage))
    db.refresh(message)
    assert message.status == "pending" and message.attempts == 1 and message.last_error
    assert deliver(app.extensions["sessionmaker"], _settings(controller)) == (0, 0)  # backing off
    later = utcnow() + timedelta(minutes=5)
    assert deliver(app.extensions["sessionmaker"], _settings(controller), later) == (1, 0)
    assert deliver(app.extensions["sessionmaker"], _settings(controller), later) == (0, 0)
    assert len(box.messages) == 1


def test_scope_and_deans(client: FlaskClient, logged_in, make_user, db) -> None:
    from screening.auth.services import get_or_create_faculty

    law = get_or_create_faculty(db, "LAW", "Law", "法学院")
    db.commit()
    student = make_user("student")
    case = intake.open_or_raise(db, student=student, kind="psych", tier="high", source=CRISIS_WHY)
    db.commit()
    logged_in("counselor", faculties=[law])
    page = client.get(f"/cases/{case.id}")
    assert page.status_code == 302 and page.headers["Location"].endswith("/break-glass")
    assert f"/cases/{case.id}".encode() not in client.get("/cases/").data
    client.post("/auth/logout")
    logged_in("dean")
    assert client.get(f"/cases/{case.id}").status_code == 403
    assert client.get("/cases/register.csv").status_code == 403


def test_crisis_alerts_the_on_call_counselor(client: FlaskClient, logged_in, make_user, db) -> None:
    from screening.cases.models import OnCallShift

    responsible = make_user("counselor")
    logged_in("admin")
    oncall = make_user("counselor", faculties=[])
    page = client.post(
        "/cases/admin/rota",
        data={
            "user": str(oncall.id),
            "starts_at": "2020-01-01T00:00",
            "ends_at": "2099-01-01T00:00",
        },
    )
    assert page.status_code == 302
    assert db.scalar(select(func.count()).select_from(OnCallShift)) == 1
    student = make_user("student")
    intake.open_or_raise(db, student=student, kind="psych", tier="crisis", source=CRISIS_WHY)
    db.commit()
    recipients = {m.recipient_id for m in db.scalars(select(OutboxMessage))}
    assert recipients == {responsible.id, oncall.id}
