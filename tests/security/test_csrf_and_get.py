"""Every state-changing route needs a valid CSRF token; no GET changes anything."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from screening import create_app
from tests.conftest import app_config
from tests.security.urlmap import READ_LOGS, ROLES, calls, row_counts, snapshot

#: GET endpoints allowed to write, each with the reason. Keep this list short and justified.
GET_WRITES_ALLOWED = {
    # The identity provider sends the browser back with GET; the single-use ticket or the
    # state bound to this session (not a CSRF token) protects the log-in it completes.
    "sso.cas_callback": "CAS returns with GET and a single-use service ticket",
    "sso.oidc_callback": "OIDC returns with GET; state and PKCE bind it to this session",
    # Load balancers probe with GET; it commits its own probe row to prove the disk takes writes.
    "main.healthz": "the health check's write probe (health_beats), nothing else",
}


@pytest.fixture
def csrf_app(instance: Path, app: Flask) -> Iterator[Flask]:
    """The same app and database with CSRF protection on (as in production)."""
    application = create_app(app_config(instance, WTF_CSRF_ENABLED=True))
    yield application
    application.extensions["engine"].dispose()


def _protected_browser(csrf_app: Flask, act_as, role: str | None) -> FlaskClient:
    """Log in on the test app, then carry the session cookie to the CSRF-protected one."""
    browser = csrf_app.test_client()
    if role is not None:
        cookie = act_as(role).get_cookie("session")
        assert cookie is not None
        browser.set_cookie("session", cookie.value)
    return browser


def test_every_post_needs_a_valid_csrf_token(
    app: Flask, csrf_app: Flask, act_as, world, db: Session
) -> None:
    from flask_wtf.csrf import CSRFProtect

    protect = csrf_app.extensions.get("csrf")
    assert isinstance(protect, CSRFProtect)
    # The walk is itself a burst of refusals; the burst alert has its own test.
    csrf_app.config["SECURITY_BURST_THRESHOLD"] = 10**9
    exempt = protect._exempt_views  # views a feature exempted on purpose (none so far)
    posts = [(r, m) for r, m in calls(csrf_app) if m in {"POST", "PUT", "PATCH", "DELETE"}]
    assert posts, "the app has state-changing routes to check"
    for route, method in posts:
        view = csrf_app.view_functions[route.endpoint]
        if f"{view.__module__}.{view.__name__}" in exempt:
            continue
        for role in [route.role_allowed(), *([] if route.allowed != "public" else ["student"])]:
            browser = _protected_browser(csrf_app, act_as, role)
            before = row_counts(db, skip=READ_LOGS)
            missing = browser.open(route.path(), method=method, data={"next": "/"})
            wrong = browser.open(
                route.path(), method=method, data={"csrf_token": "forged.token", "next": "/"}
            )
            assert missing.status_code == 400, (route.endpoint, role, missing.status_code)
            assert wrong.status_code == 400, (route.endpoint, role, wrong.status_code)
            assert b"form expired" in missing.data or b"\xe8\xa1\xa8\xe5\x8d\x95" in missing.data
            # Nothing is written but the refusal itself (security.csrf_failed, audit log).
            assert row_counts(db, skip=READ_LOGS) == before, route.endpoint


def test_a_csrf_failure_is_a_security_event(csrf_app: Flask, act_as, world, db: Session) -> None:
    from sqlalchemy import select

    from screening.audit.models import AuditEntry

    browser = _protected_browser(csrf_app, act_as, "counselor")
    assert browser.post("/auth/logout").status_code == 400
    db.expire_all()
    event = db.scalar(select(AuditEntry).where(AuditEntry.action == "security.csrf_failed"))
    assert event is not None and event.actor_id == world.users["counselor"].id
    assert (event.target_type, event.target_id) == ("route", "auth.logout")


def test_log_out_without_token_keeps_the_session(csrf_app: Flask, act_as, world) -> None:
    browser = _protected_browser(csrf_app, act_as, "counselor")
    assert browser.post("/auth/logout").status_code == 400
    assert browser.get("/home").status_code == 200


def test_no_get_changes_state(app: Flask, act_as, world, db: Session) -> None:
    """As every role and as a visitor, GET every rule (ids of real rows): nothing is written."""
    # The walk is itself a burst of refusals; the burst alert has its own test.
    app.config["SECURITY_BURST_THRESHOLD"] = 10**9
    browsers: list[tuple[str, FlaskClient]] = [("anonymous", app.test_client())]
    browsers += [(role, act_as(role)) for role in ROLES]
    ids = [world.student_b.id, world.users["admin"].id, 1]
    before = snapshot(db)
    for who, browser in browsers:
        for route, method in calls(app):
            if method != "GET" or route.endpoint in GET_WRITES_ALLOWED:
                continue
            for value in ids if route.has_ids else [1]:
                response = browser.get(route.path(value))
                assert response.status_code != 500, (who, route.endpoint)
        after = snapshot(db)
        changed = [t for t in before if before[t] != after[t]]
        assert not changed, f"GETs as {who} changed {changed}"
