"""Answers are stored only under the questionnaire, version and page that asked them."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from screening.audit.models import AuditEntry
from screening.campaigns.models import Assignment
from screening.responses import pages
from screening.responses.models import Draft, Submission
from screening.responses.services import load_draft
from tests.responses.conftest import answer, form_of, gad7, page_of, phq9


def _begin(client: FlaskClient, logged_in, db) -> Assignment:
    student = logged_in("student")
    client.get("/screening/")
    assignment = db.scalar(select(Assignment).where(Assignment.student_id == student.id))
    assert client.post(f"/screening/{assignment.id}/consent", data={"agree": "1"}).status_code
    return assignment


def _stored(db) -> dict[str, int]:
    db.expire_all()
    return {s.instrument_id: s.id for s in db.scalars(select(Submission))}


def _signed(app: Flask, assignment_id: int, instrument_id: str, version: int) -> dict[str, str]:
    """The hidden fields of a genuine page of this instrument and version."""
    page = pages.new_page(assignment_id, instrument_id, version)
    token = pages.issue(app.config["SECRET_KEY"], page)
    return {"token": token, "instrument": instrument_id, "version": str(version)}


def _submitted_answers(client: FlaskClient, assignment_id: int, submission_id: int) -> dict:
    url = f"/screening/{assignment_id}/submissions/{submission_id}/json"
    return client.post(url).json["answers"]


def test_the_page_names_its_instrument_and_is_never_cached_or_restored(
    client: FlaskClient, logged_in, make_campaign, db
) -> None:
    make_campaign(["phq9", "gad7"])
    assignment = _begin(client, logged_in, db)
    response = client.get(f"/screening/{assignment.id}/take")
    html = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert '<form method="post" novalidate autocomplete="off" data-questionnaire>' in html
    radios = re.findall(r'<input[^>]* type="radio"[^>]*>', html)
    assert radios and all('autocomplete="off"' in r for r in radios)
    assert 'name="phq9-q1"' in html and 'name="q1"' not in html
    hidden = page_of(client, assignment.id)
    assert hidden["instrument"] == "phq9" and hidden["version"] == "1"
    page = pages.read(client.application.config["SECRET_KEY"], hidden["token"])
    assert page is not None and (page.assignment_id, page.instrument_id) == (assignment.id, "phq9")


def test_phq9_answers_posted_to_the_gad7_page_store_nothing_and_keep_the_draft(
    app: Flask, client: FlaskClient, logged_in, make_campaign, db
) -> None:
    # PHQ-2 negative: PHQ-9 is skipped, GAD-7 is asked; a PHQ-9 page arrives anyway.
    make_campaign(["phq2", "asq", "phq9", "gad7"], steps={"phq9": "phq2"}, languages=["en"])
    assignment = _begin(client, logged_in, db)
    answer(client, assignment.id, {"q1": "0", "q2": "0"})
    answer(client, assignment.id, {"q1": "0", "q2": "0", "q3": "0", "q4": "0"})
    answer(client, assignment.id, {"q1": "2", "q3": "1"}, action="save")  # GAD-7 draft
    take = f"/screening/{assignment.id}/take"
    phq9_page = _signed(app, assignment.id, "phq9", 1)
    refused = client.post(take, data=form_of(phq9_page, phq9(q1=3, q2=3)))
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert "belonged to another questionnaire, so nothing from it was saved" in html
    assert 'name="gad7-q1"' in html  # the right page, with the student's own draft
    assert '<input checked id="gad7-q1-2" name="gad7-q1"' in html
    assert '<input checked id="gad7-q3-1" name="gad7-q3"' in html
    assert _stored(db).keys() == {"phq2", "asq"}
    assert load_draft(db, assignment, "gad7") == {"q1": "2", "q3": "1"}
    # Names of another questionnaire under this page's own token fill nothing either.
    gad7_page = page_of(client, assignment.id)
    mixed = {f"phq9-q{i}": "3" for i in range(1, 10)} | {f"q{i}": "3" for i in range(1, 8)}
    refused = client.post(take, data={**mixed, **gad7_page, "action": "submit"})
    assert refused.status_code == 422
    assert _stored(db).keys() == {"phq2", "asq"}
    done = answer(client, assignment.id, gad7(q2=1))
    assert "/receipt/" in done.headers["Location"]
    stored = _stored(db)
    ticked = {k: int(v) for k, v in gad7(q2=1).items()}
    assert _submitted_answers(client, assignment.id, stored["gad7"]) == ticked


def test_the_refusal_is_in_the_students_language(
    app: Flask, client: FlaskClient, logged_in, make_campaign, db
) -> None:
    make_campaign(["phq9", "gad7"])
    assignment = _begin(client, logged_in, db)
    with client.session_transaction() as session:
        session["lang"] = "zh_Hans"
    wrong = form_of(_signed(app, assignment.id, "gad7", 1), gad7())
    refused = client.post(f"/screening/{assignment.id}/take", data=wrong)
    assert refused.status_code == 409
    assert "属于另一份问卷" in refused.get_data(as_text=True)
    assert _stored(db) == {}


def test_a_stale_token_of_an_earlier_page_stores_nothing(
    client: FlaskClient, logged_in, make_campaign, db
) -> None:
    make_campaign(["phq9", "gad7"])
    assignment = _begin(client, logged_in, db)
    old_phq9_page = page_of(client, assignment.id)  # a tab left open on PHQ-9
    answer(client, assignment.id, phq9(q1=1))
    stale = client.post(
        f"/screening/{assignment.id}/take", data=form_of(old_phq9_page, phq9(q1=3, q9=3))
    )
    assert stale.status_code == 409 and 'name="gad7-q1"' in stale.get_data(as_text=True)
    stored = _stored(db)
    assert stored.keys() == {"phq9"}
    assert _submitted_answers(client, assignment.id, stored["phq9"])["q1"] == 1


def test_a_wrong_version_stores_nothing(
    app: Flask, client: FlaskClient, logged_in, make_campaign, db
) -> None:
    make_campaign(["phq9"])
    assignment = _begin(client, logged_in, db)
    take = f"/screening/{assignment.id}/take"
    other_version = client.post(take, data=form_of(_signed(app, assignment.id, "phq9", 2), phq9()))
    assert other_version.status_code == 409
    assert "updated after the page was opened" in other_version.get_data(as_text=True)
    # The version field changed by hand under a genuine version-1 token.
    edited = page_of(client, assignment.id) | {"version": "2"}
    assert client.post(take, data=form_of(edited, phq9())).status_code == 409
    assert _stored(db) == {}
    assert db.scalar(select(func.count()).select_from(Draft)) == 0


def test_a_forged_token_stores_nothing_and_is_audited(
    client: FlaskClient, logged_in, make_campaign, db
) -> None:
    make_campaign(["phq9"])
    assignment = _begin(client, logged_in, db)
    take = f"/screening/{assignment.id}/take"
    forged = {"token": "made-up", "instrument": "phq9", "version": "1"}
    for action in ("submit", "save"):
        refused = client.post(take, data=form_of(forged, phq9(q9=1), action))
        assert refused.status_code == 409
        assert "could not be checked" in refused.get_data(as_text=True)
    assert _stored(db) == {}
    assert db.scalar(select(func.count()).select_from(Draft)) == 0
    failed = select(func.count()).where(AuditEntry.action == "security.page_token_failed")
    assert db.scalar(failed) == 2


def test_another_assignments_page_stores_nothing(
    app: Flask, client: FlaskClient, logged_in, make_campaign, db
) -> None:
    make_campaign(["phq9"])
    assignment = _begin(client, logged_in, db)
    elsewhere = _signed(app, assignment.id + 1000, "phq9", 1)
    response = client.post(f"/screening/{assignment.id}/take", data=form_of(elsewhere, phq9()))
    assert response.status_code == 409 and _stored(db) == {}


def test_a_replayed_double_submit_stores_one_response_with_the_first_answers(
    client: FlaskClient, logged_in, make_campaign, db
) -> None:
    make_campaign(["phq9", "gad7"])
    assignment = _begin(client, logged_in, db)
    data = form_of(page_of(client, assignment.id), phq9(q4=2))
    take = f"/screening/{assignment.id}/take"
    first = client.post(take, data=data)
    replayed = client.post(take, data=data)
    assert first.status_code == replayed.status_code == 302
    assert first.headers["Location"] == replayed.headers["Location"]
    stored = _stored(db)
    assert stored.keys() == {"phq9"}
    assert _submitted_answers(client, assignment.id, stored["phq9"])["q4"] == 2
    # GAD-7 is still unanswered and its page still asked.
    assert page_of(client, assignment.id)["instrument"] == "gad7"


def test_pure_check_of_a_post_against_the_page_asked() -> None:
    secret = "s" * 32
    page = pages.new_page(7, "gad7", 1)
    token = pages.issue(secret, page)
    assert pages.read(secret, token) == page
    assert pages.read("other-secret-" * 3, token) is None
    assert pages.read(secret, token + "x") is None
    fields = {"instrument": "gad7", "version": "1"}
    asked = {"assignment_id": 7, "instrument_id": "gad7", "version": 1}
    assert pages.mismatch(page, fields, **asked) is None
    assert pages.mismatch(None, fields, **asked) == "invalid"
    assert pages.mismatch(page, {**fields, "instrument": "phq9"}, **asked) == "invalid"
    assert pages.mismatch(page, fields, **{**asked, "assignment_id": 8}) == "invalid"
    assert pages.mismatch(page, fields, **{**asked, "instrument_id": "phq9"}) == "other_instrument"
    assert pages.mismatch(page, fields, **{**asked, "version": 2}) == "other_version"
    assert pages.field_name("phq9", "q1") != pages.field_name("gad7", "q1")
