"""Refusals are security events in the audit log; admins see them and are told of a burst."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from screening import create_app
from screening.audit.models import AuditEntry
from screening.audit.services import append
from screening.auth.services import get_or_create_faculty
from screening.campaigns.models import Assignment
from screening.cases import intake
from screening.cli.worker import run_once
from screening.notify.models import Alert
from tests.conftest import app_config, log_in_fully, login_as

SOURCE = {"instrument": "phq9", "version": 1, "total": 22, "band": "severe", "fired": []}


def _events(db: Session, action: str) -> list[AuditEntry]:
    db.expire_all()
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_another_students_assignment_is_404_and_audited(
    app: Flask, make_user, make_campaign, db: Session
) -> None:
    make_campaign(["phq9"])
    owner, other = make_user("student"), make_user("student")
    owner_browser, other_browser = app.test_client(), app.test_client()
    log_in_fully(owner_browser, db, owner, "2024000001")
    log_in_fully(other_browser, db, other, "2024000002")
    owner_browser.get("/screening/")
    assignment = db.scalar(select(Assignment).where(Assignment.student_id == owner.id))
    assert other_browser.get(f"/screening/{assignment.id}/take").status_code == 404
    assert other_browser.get("/screening/999999/take").status_code == 404  # none: no event
    [event] = _events(db, "security.access_denied")
    assert (event.actor_id, event.target_type, event.target_id) == (
        other.id,
        "assignment",
        str(assignment.id),
    )
    assert event.reason == f"GET /screening/{assignment.id}/take"


def test_a_denied_route_is_audited(client: FlaskClient, logged_in, db: Session) -> None:
    student = logged_in("student")
    assert client.get("/admin/audit/").status_code == 403
    [event] = _events(db, "security.access_denied")
    assert (event.actor_id, event.target_type, event.target_id) == (
        student.id,
        "route",
        "audit.index",
    )


def test_an_out_of_scope_case_is_audited(
    client: FlaskClient, logged_in, make_user, db: Session
) -> None:
    student = make_user("student")
    case = intake.open_or_raise(db, student=student, kind="psych", tier="high", source=SOURCE)
    db.commit()
    law = get_or_create_faculty(db, "LAW", "Law", "法学院")
    db.commit()
    outsider = logged_in("counselor", faculties=[law])
    assert client.get(f"/cases/{case.id}").status_code == 302
    [event] = _events(db, "security.out_of_scope_case")
    assert (event.actor_id, event.target_id) == (outsider.id, str(case.id))


@pytest.fixture
def strict_app(instance: Path) -> Iterator[Flask]:
    """CSRF on and a tight log-in limit, as an attacker meets them."""
    application = create_app(app_config(instance, WTF_CSRF_ENABLED=True, LOGIN_ADDRESS_ATTEMPTS=2))
    yield application
    application.extensions["engine"].dispose()


def test_csrf_failures_and_rate_limit_trips_are_audited(strict_app: Flask, db: Session) -> None:
    browser = strict_app.test_client()
    assert browser.post("/auth/language", data={"lang": "en"}).status_code == 400
    [csrf] = _events(db, "security.csrf_failed")
    assert (csrf.target_type, csrf.target_id) == ("route", "auth.language")
    open_app = create_app(app_config(Path(strict_app.instance_path), LOGIN_ADDRESS_ATTEMPTS=2))
    try:
        guesser = open_app.test_client()
        codes = [login_as(guesser, "nobody", "wrong password").status_code for _ in range(4)]
    finally:
        open_app.extensions["engine"].dispose()
    assert 429 in codes
    events = _events(db, "security.rate_limited")
    assert events and events[0].target_id == "auth.login"


def test_admins_see_every_kind_and_filter_by_type(
    client: FlaskClient, logged_in, db: Session
) -> None:
    admin = logged_in("admin")
    append(db, actor_id=None, action="security.mfa_failed", target_type="user", target_id="7")
    append(db, actor_id=None, action="security.csrf_failed", target_type="route", target_id="x")
    append(db, actor_id=None, action="faculty.create", target_type="faculty", target_id="LAW")
    db.commit()
    page = client.get("/admin/audit/security").get_data(as_text=True)
    assert "security.mfa_failed" in page and "user 7" in page and "route x" in page
    assert "faculty LAW" not in page
    only = client.get("/admin/audit/security?action=security.mfa_failed").get_data(as_text=True)
    assert "user 7" in only and "route x" not in only
    assert admin.username in client.get("/admin/audit/").get_data(as_text=True)


def test_a_burst_of_any_security_events_alerts_the_admins(
    instance: Path, make_user, db: Session
) -> None:
    app = create_app(app_config(instance, SECURITY_BURST_THRESHOLD=5, SECURITY_BURST_MINUTES=10))
    try:
        admin = make_user("admin")
        for n in range(4):  # written by another feature (log-in throttling), not by this one
            append(db, actor_id=None, action="security.login_throttled", target_id=str(n))
        db.commit()
        run_once(app)
        assert not _alerts(db, admin.id)
        append(db, actor_id=None, action="security.password_spray", target_id="x")
        db.commit()
        run_once(app)
        run_once(app)
        assert _alerts(db, admin.id) == ["security.burst"]
    finally:
        app.extensions["engine"].dispose()


def _alerts(db: Session, admin_id: int) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(Alert.kind).where(Alert.recipient_id == admin_id)))
