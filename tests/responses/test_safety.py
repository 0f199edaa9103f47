"""Failures never lose answers or hide the crisis lines; answers never sit in the clear."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from screening.audit.models import AuditEntry
from screening.campaigns.models import Assignment
from screening.campaigns.services import CampaignError
from screening.cases import intake
from screening.cases.models import Case
from screening.responses.models import Draft, Submission
from screening.stats.models import ScoreRecord
from tests.conftest import login_as
from tests.responses.conftest import answer, phq9


def _assignment(db, student) -> Assignment:
    return db.scalar(select(Assignment).where(Assignment.student_id == student.id))


def _count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def _start(client: FlaskClient, db, student) -> Assignment:
    client.get("/screening/")
    assignment = _assignment(db, student)
    assert client.post(f"/screening/{assignment.id}/consent", data={"agree": "1"}).status_code
    return assignment


def test_answers_and_scores_are_sealed_in_the_database(
    client: FlaskClient, logged_in, make_campaign, db
) -> None:
    make_campaign(["phq9", "gad7"])
    student = logged_in("student")
    assignment = _start(client, db, student)
    answer(client, assignment.id, {**phq9(q1=3, q9=1), "q10": "2"})
    answer(client, assignment.id, {"q1": "2", "q2": "1"}, action="save")
    rows = db.execute(text("SELECT answers_sealed, score_sealed FROM submissions")).all()
    drafts = db.execute(text("SELECT answers_sealed FROM drafts")).all()
    assert len(rows) == 1 and len(drafts) == 1
    for blob in [rows[0][0], rows[0][1], drafts[0][0]]:
        raw = bytes(blob)
        # JSON keys with their quotes: two bare letters turn up in random ciphertext now and then
        assert raw and b'"q1"' not in raw and b'"q9"' not in raw
        assert b"total" not in raw and b"critical" not in raw and b"band" not in raw
    # Sealed, not lost: the student's own download opens it again.
    stored = db.scalar(select(Submission))
    opened = client.post(f"/screening/{assignment.id}/submissions/{stored.id}/json")
    assert opened.json["answers"]["q1"] == 3 and opened.json["answers"]["q9"] == 1


def test_a_failure_after_scoring_stores_nothing_and_keeps_the_answers(
    client: FlaskClient, logged_in, make_campaign, db, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_campaign(["phq9"])
    student = logged_in("student")
    assignment = _start(client, db, student)

    def failing_intake(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("case intake is down")

    monkeypatch.setattr(intake, "open_or_raise", failing_intake)
    page = answer(client, assignment.id, {**phq9(q2=2, q9=1), "q10": "1"})
    assert page.status_code == 500
    assert b"12356" in page.data and b"400-161-9995" in page.data  # crisis lines, whatever failed
    assert _count(db, Submission) == 0 and _count(db, ScoreRecord) == 0
    assert _count(db, Case) == 0
    assert db.scalar(select(func.count()).where(AuditEntry.action == "response.submit")) == 0
    assert _count(db, Draft) == 1
    html = client.get(f"/screening/{assignment.id}/take").data.decode()
    assert '<input checked id="phq9-q9-1" name="phq9-q9"' in html
    assert '<input checked id="phq9-q2-2" name="phq9-q2"' in html


def test_a_crisis_answer_posted_on_the_web_always_opens_its_case(
    client: FlaskClient, logged_in, make_campaign, db
) -> None:
    make_campaign(["phq9"])
    student = logged_in("student")
    assignment = _start(client, db, student)
    page = answer(client, assignment.id, {**phq9(q9=1), "q10": "1"})
    assert page.status_code == 302 and "/receipt/" in page.headers["Location"]
    case = db.scalar(select(Case).where(Case.student_id == student.id))
    assert case is not None and case.tier == "crisis" and case.status == "open"
    submission = db.scalar(select(Submission))
    assert str(submission.id) in page.headers["Location"]


def test_an_unflagged_answer_opens_no_case(
    client: FlaskClient, logged_in, make_campaign, db
) -> None:
    make_campaign(["phq9"])
    student = logged_in("student")
    assignment = _start(client, db, student)
    page = answer(client, assignment.id, phq9())
    assert page.status_code == 302 and _count(db, Submission) == 1
    assert _count(db, Case) == 0


def test_a_trigger_without_a_cut_off_is_refused(make_campaign) -> None:
    with pytest.raises(CampaignError, match="never be asked"):
        make_campaign(
            ["local-employment-worries", "asq", "gad7"],
            steps={"gad7": "local-employment-worries"},
        )


def test_home_lists_the_students_screenings_and_admin_crisis_lines(
    app: Flask, client: FlaskClient, logged_in, make_user, make_campaign
) -> None:
    make_campaign(["phq9"])
    logged_in("admin")
    client.post(
        "/campaigns/crisis-lines",
        data={"lines": "校心理中心 | Counselling centre | 010-6275-1234\n报警 | Police | 110"},
    )
    client.post("/auth/logout")
    logged_in("student")
    home = client.get("/home")
    assert home.status_code == 200
    assert b"Autumn screening" in home.data and b"Start" in home.data
    assert b"010-6275-1234" in home.data and b"Counselling centre" in home.data


def test_tabs_opening_the_list_at_once_get_one_assignment(
    app: Flask, make_user, make_campaign, db
) -> None:
    student = make_user("student", student_number="20240444")
    make_campaign(["phq9"], name="Second screening")
    db.execute(Assignment.__table__.delete())  # targeted, not yet assigned (joined the roster)
    db.commit()
    clients = [app.test_client() for _ in range(4)]
    for c in clients:
        login_as(c, "20240444")
    statuses: list[int] = []
    threads = [
        threading.Thread(target=lambda c=c: statuses.append(c.get("/screening/").status_code))
        for c in clients
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200, 200, 200, 200]
    assert db.scalar(select(func.count()).where(Assignment.student_id == student.id)) == 1
