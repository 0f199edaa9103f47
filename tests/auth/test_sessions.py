"""Session lifetime: idle and absolute timeouts by role, cookie names, log-out everywhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from screening import create_app
from screening.auth import clock
from tests.conftest import app_config


class Clock:
    """A controllable clock for screening.auth.clock.now."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.t = clock.now()
        monkeypatch.setattr(clock, "now", lambda: self.t)

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.mark.parametrize(("role", "idle"), [("counselor", 15 * 60), ("student", 30 * 60)])
def test_idle_timeout_by_role(
    client: FlaskClient, logged_in, monkeypatch: pytest.MonkeyPatch, role: str, idle: int
) -> None:
    now = Clock(monkeypatch)
    logged_in(role)
    now.advance(idle - 5)
    assert client.get("/home").status_code == 200  # activity keeps the session alive
    now.advance(idle - 5)
    assert client.get("/home").status_code == 200
    now.advance(idle + 1)
    response = client.get("/home")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
    assert b"session ended" in client.get("/auth/login").data


def test_absolute_timeout_despite_activity(
    client: FlaskClient, logged_in, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = Clock(monkeypatch)
    logged_in("student")
    for minutes in range(20, 12 * 60 + 1, 20):  # active every 20 minutes for 12 hours
        now.advance(20 * 60)
        assert client.get("/home").status_code == 200, minutes
    now.advance(20 * 60)
    assert client.get("/home").status_code == 302


def test_timeouts_are_configurable(
    instance: Path, make_user, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(app_config(instance, SESSION_IDLE_STUDENT=60))
    try:
        now = Clock(monkeypatch)
        client = app.test_client()
        make_user("student", student_number="2024555555")
        client.post(
            "/auth/login", data={"login": "2024555555", "password": "correct horse battery staple"}
        )
        now.advance(61)
        assert client.get("/home").status_code == 302
    finally:
        app.extensions["engine"].dispose()


def test_production_cookie_uses_host_prefix(instance: Path) -> None:
    app = create_app(app_config(instance, ENVIRONMENT="production", SESSION_COOKIE_SECURE=True))
    try:
        assert app.config["SESSION_COOKIE_NAME"] == "__Host-session"
        assert app.config["SESSION_COOKIE_PATH"] == "/"
        assert app.config["SESSION_COOKIE_DOMAIN"] is None
        client = app.test_client()
        client.post(
            "/auth/language", data={"lang": "en", "next": "/"}, base_url="https://localhost"
        )
        cookie = client.get_cookie("__Host-session", domain="localhost")
        assert cookie is not None
        assert cookie.secure and cookie.path == "/" and cookie.http_only
    finally:
        app.extensions["engine"].dispose()


def test_host_prefix_with_a_domain_is_refused(instance: Path) -> None:
    from screening.config import ConfigError

    with pytest.raises(ConfigError, match="__Host-"):
        create_app(
            app_config(
                instance,
                ENVIRONMENT="production",
                SESSION_COOKIE_SECURE=True,
                SESSION_COOKIE_DOMAIN="example.edu",
            )
        )


def test_log_in_starts_a_fresh_session(client: FlaskClient, make_user) -> None:
    make_user("student", student_number="2024666666")
    client.post("/auth/language", data={"lang": "en", "next": "/"})
    with client.session_transaction() as s:
        s["planted"] = "by an attacker before log-in"
    client.post(
        "/auth/login", data={"login": "2024666666", "password": "correct horse battery staple"}
    )
    with client.session_transaction() as s:
        assert "planted" not in s
        assert s["lang"] == "en"
