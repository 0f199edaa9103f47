"""Security headers on every page, no stack traces, and replayed session cookies."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from screening import create_app
from tests.conftest import app_config
from tests.security.urlmap import calls


def _check_headers(response, production: bool) -> None:  # type: ignore[no-untyped-def]
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert ("Strict-Transport-Security" in headers) is production
    if response.mimetype == "text/html":
        assert headers["Cache-Control"] == "no-store"
        assert "<script>" not in response.get_data(as_text=True)  # no inline script
        assert " style=" not in response.get_data(as_text=True)  # no inline style


def test_headers_on_every_response(app: Flask, act_as, world) -> None:
    browsers = [app.test_client(), act_as("student"), act_as("admin")]
    for browser in browsers:
        for route, method in calls(app):
            if route.endpoint == "auth.logout":
                continue
            _check_headers(browser.open(route.path(), method=method), production=False)
    _check_headers(app.test_client().get("/no-such-page"), production=False)


def test_hsts_in_production(instance: Path) -> None:
    app = create_app(app_config(instance, ENVIRONMENT="production", SESSION_COOKIE_SECURE=True))
    try:
        response = app.test_client().get("/auth/login", base_url="https://localhost")
        _check_headers(response, production=True)
        assert "max-age=31536000" in response.headers["Strict-Transport-Security"]
    finally:
        app.extensions["engine"].dispose()


def test_errors_reveal_nothing(app: Flask, client: FlaskClient) -> None:
    def broken() -> str:
        raise RuntimeError("secret internal detail /srv/screening/db.py line 42")

    from screening.auth.access import public

    app.add_url_rule("/broken", "broken", public(broken))
    response = client.get("/broken")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "secret internal detail" not in body and "Traceback" not in body
    _check_headers(response, production=False)


def test_replayed_cookie_rejected_after_log_out(app: Flask, act_as, world) -> None:
    for role in ("student", "counselor", "admin"):
        browser = act_as(role)
        cookie = browser.get_cookie("session")
        assert cookie is not None
        assert browser.post("/auth/logout").status_code == 302
        thief = app.test_client()
        thief.set_cookie("session", cookie.value)
        assert thief.get("/home").status_code == 302, role


def test_replayed_cookie_rejected_after_disable(app: Flask, act_as, world, db: Session) -> None:
    cookie = act_as("counselor").get_cookie("session")
    assert cookie is not None
    target = world.users["counselor"].id
    assert act_as("admin").post(f"/admin/users/{target}/active").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    assert thief.get("/home").status_code == 302


def test_tampered_cookie_rejected(app: Flask, act_as, world) -> None:
    cookie = act_as("student").get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    value = cookie.value
    thief.set_cookie("session", value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert thief.get("/home").status_code == 302
