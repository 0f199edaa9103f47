"""Edges: downloads are never cached, ids beyond the database's range are 404, hosts trusted."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from screening import create_app
from screening.campaigns.models import Assignment
from screening.responses.models import Submission
from tests.conftest import app_config
from tests.responses.conftest import answer, phq9


@pytest.mark.parametrize(
    "path", ["/cases/register.csv", "/cases/register.xlsx", "/stats/cases.csv"]
)
def test_exports_are_never_cached(client: FlaskClient, logged_in, path: str) -> None:
    logged_in("admin")
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers.get("Content-Disposition", "")


def test_a_students_answers_download_is_never_cached(
    client: FlaskClient, logged_in, make_campaign, db
) -> None:
    make_campaign(["phq9"])
    student = logged_in("student")
    client.get("/screening/")
    assignment = db.scalar(select(Assignment).where(Assignment.student_id == student.id))
    client.post(f"/screening/{assignment.id}/consent", data={"agree": "1"})
    answer(client, assignment.id, phq9())
    stored = db.scalar(select(Submission))
    download = client.post(f"/screening/{assignment.id}/submissions/{stored.id}/json")
    assert download.status_code == 200 and download.headers["Cache-Control"] == "no-store"


def test_static_files_may_be_cached(client: FlaskClient) -> None:
    css = next((Path(__file__).parents[2] / "screening" / "static" / "css").glob("*.css"))
    response = client.get(f"/static/css/{css.name}")
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"
    response.close()


@pytest.mark.parametrize("case_id", ["2147483648", "99999999999", "9" * 40])
def test_ids_beyond_the_database_range_are_not_found(
    client: FlaskClient, logged_in, case_id: str
) -> None:
    logged_in("counselor")
    assert client.get(f"/cases/{case_id}").status_code == 404
    assert client.get(f"/notify/{case_id}/acknowledge").status_code in (404, 405)


def test_the_largest_id_is_still_an_id(client: FlaskClient, logged_in) -> None:
    logged_in("counselor")
    assert client.get("/cases/2147483647").status_code == 404  # routed, no such case


def test_production_serves_only_the_base_url_host(instance: Path) -> None:
    app = create_app(
        app_config(
            instance,
            ENVIRONMENT="production",
            BASE_URL="https://screening.example.edu",
            SESSION_COOKIE_SECURE=True,
            TESTING=False,
        )
    )
    try:
        assert "screening.example.edu" in app.config["TRUSTED_HOSTS"]
        browser = app.test_client()
        ok = browser.get("/auth/login", base_url="https://screening.example.edu")
        assert ok.status_code == 200
        evil = browser.get("/auth/login", base_url="https://evil.example")
        assert evil.status_code == 400
        assert browser.get("/healthz", base_url="http://127.0.0.1").status_code == 200
    finally:
        app.extensions["engine"].dispose()
