"""A student takes a campaign end to end; answers are never lost and crises are never missed."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from screening.audit.models import AuditEntry
from screening.campaigns.models import Assignment
from screening.campaigns.services import CampaignError
from screening.db import utcnow
from screening.responses.models import Draft, Submission
from screening.stats.models import ScoreRecord
from tests.conftest import login_as
from tests.responses.conftest import answer, form_of, gad7, page_of, phq9


def _assignment(db, student) -> Assignment:
    return db.scalar(select(Assignment).where(Assignment.student_id == student.id))


def _start(client: FlaskClient, assignment: Assignment) -> None:
    assert (
        client.post(f"/screening/{assignment.id}/consent", data={"agree": "1"}).status_code == 302
    )


def _begin(client: FlaskClient, logged_in, db) -> tuple:
    """A new student opens the screening list and agrees to take part."""
    student = logged_in("student")
    client.get("/screening/")
    assignment = _assignment(db, student)
    _start(client, assignment)
    return student, assignment


def _count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_whole_campaign(client: FlaskClient, logged_in, make_campaign, db) -> None:
    make_campaign(["phq9", "gad7"])
    student = logged_in("student")
    page = client.get("/screening/")
    assert b"Autumn screening" in page.data
    assignment = _assignment(db, student)
    consent = client.get(f"/screening/{assignment.id}/consent")
    assert b"never affects your grades" in consent.data and b"12356" in consent.data
    _start(client, assignment)
    form = client.get(f"/screening/{assignment.id}/take")
    assert b"Questionnaire 1 of 2" in form.data
    response = answer(client, assignment.id, phq9(q1=2, q2=2, q3=1))
    assert response.status_code == 302 and "/receipt/" in response.headers["Location"]
    receipt = client.get(response.headers["Location"])
    assert b"Your answers are saved" in receipt.data and b"Mild" in receipt.data
    assert b"Questionnaire 2 of 2" in client.get(f"/screening/{assignment.id}/take").data
    response = answer(client, assignment.id, gad7())
    assert response.status_code == 302
    assert client.get(f"/screening/{assignment.id}/take").headers["Location"].endswith("/done")
    db.expire_all()
    assert _assignment(db, student).status == "completed"
    assert _count(db, Submission) == 2
    assert _count(db, ScoreRecord) == 2
    record = db.scalar(select(ScoreRecord).where(ScoreRecord.instrument_id == "phq9"))
    assert record.band == "mild" and record.faculty_id == student.faculty_id


def test_item_nine_alone_shows_the_crisis_page(
    client: FlaskClient, logged_in, make_campaign, db
) -> None:
    make_campaign(["phq9"])
    _student, assignment = _begin(client, logged_in, db)
    response = answer(client, assignment.id, {**phq9(q9=1), "q10": "0"})
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert b"You do not have to face this alone" in page.data
    assert b"12356" in page.data and b"400-161-9995" in page.data and b"120" in page.data


def test_total_24_without_item_nine_is_not_a_crisis(
    client: FlaskClient, logged_in, make_campaign, db
) -> None:
    make_campaign(["phq9"])
    _student, assignment = _begin(client, logged_in, db)
    data = {**phq9(q1=3, q2=3, q3=3, q4=3, q5=3, q6=3, q7=3, q8=3), "q10": "3"}
    page = client.get(answer(client, assignment.id, data).headers["Location"])
    assert b"You do not have to face this alone" not in page.data
    assert b"Severe" in page.data and b"a counsellor may contact you" in page.data


def test_validation_error_keeps_every_answer(
    client: FlaskClient, logged_in, make_campaign, db
) -> None:
    make_campaign(["phq9"])
    _student, assignment = _begin(client, logged_in, db)
    page = answer(client, assignment.id, {"q1": "2", "q2": "1"})
    assert page.status_code == 422
    html = page.data.decode()
    assert "7 questions need your attention" in html
    assert html.count("Please answer this question.") == 7
    assert '<input checked id="phq9-q1-2" name="phq9-q1"' in html
    assert '<input checked id="phq9-q2-1" name="phq9-q2"' in html
    assert _count(db, Submission) == 0
    assert _count(db, Draft) == 1


def test_draft_resumes_after_a_new_log_in(
    app: Flask, client: FlaskClient, make_user, make_campaign, db
) -> None:
    make_campaign(["phq9"])
    student = make_user("student", student_number="20240777")
    login_as(client, "20240777")
    client.get("/screening/")
    assignment = _assignment(db, student)
    _start(client, assignment)
    saved = answer(client, assignment.id, {"q1": "3", "q4": "1"}, action="save")
    assert saved.status_code == 302
    client.post("/auth/logout")
    phone = app.test_client()
    login_as(phone, "20240777")
    html = phone.get(f"/screening/{assignment.id}/take").data.decode()
    assert '<input checked id="phq9-q1-3" name="phq9-q1"' in html
    assert '<input checked id="phq9-q4-1" name="phq9-q4"' in html


def test_double_submit_stores_one_response(
    client: FlaskClient, logged_in, make_campaign, db
) -> None:
    make_campaign(["phq9", "gad7"])
    _student, assignment = _begin(client, logged_in, db)
    data = form_of(page_of(client, assignment.id), phq9(q1=1))
    first = client.post(f"/screening/{assignment.id}/take", data=data)
    second = client.post(f"/screening/{assignment.id}/take", data=data)
    assert first.headers["Location"] == second.headers["Location"]
    assert _count(db, Submission) == 1


def test_concurrent_submissions_store_one(app: Flask, make_user, make_campaign, db) -> None:
    make_campaign(["phq9"])
    student = make_user("student", student_number="20240888")
    clients = [app.test_client() for _ in range(3)]
    for c in clients:
        assert login_as(c, "20240888").status_code == 302
    clients[0].get("/screening/")
    assignment = _assignment(db, student)
    _start(clients[0], assignment)
    statuses: list[int] = []

    # Two pages (tokens), one of them posted twice: three posts at the same moment.
    pages = [page_of(clients[0], assignment.id), page_of(clients[1], assignment.id)]

    def post(c: FlaskClient, page: dict[str, str]) -> None:
        r = c.post(f"/screening/{assignment.id}/take", data=form_of(page, phq9(q2=1)))
        statuses.append(r.status_code)

    threads = [threading.Thread(target=post, args=(c, pages[n % 2])) for n, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [302, 302, 302]
    assert _count(db, Submission) == 1
    assert _count(db, ScoreRecord) == 1


def test_stepped_screening_both_ways(client: FlaskClient, logged_in, make_campaign, db) -> None:
    # ASQ is English-only: a campaign relying on it for stepping serves English readers.
    make_campaign(["phq2", "asq", "phq9"], steps={"phq9": "phq2"}, languages=["en"])
    negative = logged_in("student")
    client.get("/screening/")
    assignment = _assignment(db, negative)
    _start(client, assignment)
    answer(client, assignment.id, {"q1": "0", "q2": "1"})
    answer(client, assignment.id, {"q1": "0", "q2": "0", "q3": "0", "q4": "0"})
    assert client.get(f"/screening/{assignment.id}/take").headers["Location"].endswith("/done")
    client.post("/auth/logout")
    positive = logged_in("student")
    client.get("/screening/")
    assignment = _assignment(db, positive)
    _start(client, assignment)
    answer(client, assignment.id, {"q1": "2", "q2": "2"})
    answer(client, assignment.id, {"q1": "0", "q2": "0", "q3": "0", "q4": "0"})
    page = client.get(f"/screening/{assignment.id}/take")
    assert page.status_code == 200 and b"Questionnaire 3 of 3" in page.data


def test_stepping_into_a_suicide_item_needs_an_unskippable_screen(make_campaign) -> None:
    with pytest.raises(CampaignError, match="suicide"):
        make_campaign(["phq2", "phq9"], steps={"phq9": "phq2"})


def test_another_students_assignment_is_not_found(
    app: Flask, client: FlaskClient, make_user, logged_in, make_campaign, db
) -> None:
    make_campaign(["phq9"])
    other = make_user("student", student_number="20240999")
    other_client = app.test_client()
    login_as(other_client, "20240999")
    other_client.get("/screening/")
    theirs = _assignment(db, other)
    _start(other_client, theirs)
    their_page = page_of(other_client, theirs.id)
    response = other_client.post(f"/screening/{theirs.id}/take", data=form_of(their_page, phq9()))
    submission_path = response.headers["Location"]
    logged_in("student")
    for path in (
        f"/screening/{theirs.id}/consent",
        f"/screening/{theirs.id}/take",
        submission_path,
    ):
        assert client.get(path).status_code == 404, path
    download = submission_path.replace("receipt", "submissions") + "/json"
    assert client.post(download).status_code == 404
    assert (
        client.post(f"/screening/{theirs.id}/take", data=form_of(their_page, phq9())).status_code
        == 404
    )


def test_closed_campaign_says_so(
    app: Flask, client: FlaskClient, make_user, make_campaign, db
) -> None:
    student = make_user("student", student_number="20240555")
    make_campaign(
        ["phq9"], opens_at=utcnow() - timedelta(days=9), closes_at=utcnow() - timedelta(days=1)
    )
    login_as(client, "20240555")
    page = client.get("/screening/")
    assert b"This screening has closed." in page.data
    # A student who joins the roster after closing is not handed a campaign they never had.
    late = make_user("student", student_number="20240556")
    late_client = app.test_client()
    login_as(late_client, "20240556")
    assert b"Autumn screening" not in late_client.get("/screening/").data
    assert _assignment(db, late) is None
    assignment = _assignment(db, student)
    fake = {"token": "z", "instrument": "phq9", "version": "1"}
    response = client.post(f"/screening/{assignment.id}/take", data=form_of(fake, phq9()))
    assert response.status_code == 302
    assert b"This screening has closed" in client.get("/screening/").data


def test_decline_is_recorded_and_respected(
    client: FlaskClient, logged_in, make_campaign, db
) -> None:
    make_campaign(["phq9"])
    student = logged_in("student")
    client.get("/screening/")
    assignment = _assignment(db, student)
    client.post(f"/screening/{assignment.id}/consent", data={"decline": "1"})
    db.expire_all()
    assert _assignment(db, student).status == "declined"
    assert client.get(f"/screening/{assignment.id}/take").status_code == 302
    assert (
        client.post(
            f"/screening/{assignment.id}/take",
            data=form_of({"token": "d", "instrument": "phq9", "version": "1"}, phq9()),
        ).status_code
        == 302
    )
    assert _count(db, Submission) == 0


def test_download_own_answers(client: FlaskClient, logged_in, make_campaign, db) -> None:
    make_campaign(["phq9"])
    _student, assignment = _begin(client, logged_in, db)
    receipt = answer(client, assignment.id, {**phq9(q3=2), "q10": "1"})
    base = receipt.headers["Location"].replace("receipt", "submissions")
    listing = client.get("/screening/").data.decode()
    assert f'action="{base}/json"' in listing and f'action="{base}/fhir"' in listing
    assert client.get(base + "/json").status_code == 405  # a link preview downloads nothing
    as_json = client.post(base + "/json")
    assert as_json.status_code == 200 and as_json.json["answers"]["q3"] == 2
    assert as_json.headers["Content-Disposition"].startswith("attachment;")
    fhir = client.post(base + "/fhir")
    assert fhir.json["resourceType"] == "QuestionnaireResponse"
    downloads = db.scalar(
        select(func.count()).where(
            AuditEntry.action == "response.download",
            AuditEntry.target_id == base.rsplit("/", 1)[1],
        )
    )
    assert downloads == 2
