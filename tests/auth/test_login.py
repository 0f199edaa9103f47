"""Log-in, log-out, generic errors, safe redirects and cookie flags."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.conftest import PASSWORD, UserFactory, enrol_mfa, login_as, pass_mfa


def test_staff_login_and_logout(client: FlaskClient, make_user: UserFactory, db) -> None:
    user = make_user("counselor")
    response = login_as(client, user.username or "")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/mfa"  # the second factor comes first
    assert client.get("/home").headers["Location"] == "/auth/mfa"
    response = pass_mfa(client, db, user, enrol_mfa(db, user))
    assert response.headers["Location"] == "/"
    home = client.get("/home")
    assert home.status_code == 200
    response = client.post("/auth/logout")
    assert response.status_code == 302
    assert client.get("/home").status_code == 302  # back to the log-in page


def test_student_logs_in_with_student_number(client: FlaskClient, make_user: UserFactory) -> None:
    make_user("student", student_number="20240001")
    assert login_as(client, " 20240001 ").status_code == 302


@pytest.mark.parametrize("login", ["nobody", "counselor1"])
def test_one_generic_error_for_unknown_user_and_wrong_password(
    client: FlaskClient, make_user: UserFactory, login: str
) -> None:
    make_user("counselor")
    response = login_as(client, login, "wrong password wrong password")
    assert response.status_code == 401
    assert b"Unknown user or wrong password." in response.data


def test_disabled_account_cannot_log_in(client: FlaskClient, make_user: UserFactory, db) -> None:
    user = make_user("counselor")
    user.active = False
    db.commit()
    assert login_as(client, user.username or "").status_code == 401


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/admin/users", "/admin/users"),
        ("//evil.example", "/"),
        ("/%09/evil.example", "/"),
        ("https:evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
    ],
)
def test_next_only_local_paths(
    client: FlaskClient, make_user: UserFactory, db, target: str, expected: str
) -> None:
    user = make_user("admin")
    response = client.post(
        f"/auth/login?next={target}", data={"login": user.username, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/auth/mfa"
    response = pass_mfa(client, db, user, enrol_mfa(db, user))
    assert response.status_code == 302
    assert response.headers["Location"] == expected  # kept (or dropped) across the second factor


def test_session_cookie_flags(client: FlaskClient, make_user: UserFactory) -> None:
    user = make_user("counselor")
    response = login_as(client, user.username or "")
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_old_session_rejected_after_logout(client: FlaskClient, make_user: UserFactory) -> None:
    user = make_user("counselor")
    login_as(client, user.username or "")
    cookie = client.get_cookie("session")
    assert cookie is not None
    saved = cookie.value
    client.post("/auth/logout")
    client.set_cookie("session", saved)
    assert client.get("/home").status_code == 302


def test_language_switch(client: FlaskClient) -> None:
    response = client.post("/auth/language", data={"lang": "en", "next": "/auth/login"})
    assert response.status_code == 302
    page = client.get("/auth/login")
    assert b'lang="en"' in page.data
    client.post("/auth/language", data={"lang": "zh_Hans", "next": "/auth/login"})
    page = client.get("/auth/login")
    assert b'lang="zh-Hans"' in page.data
    assert "登录".encode() in page.data


def test_browser_language_is_used(client: FlaskClient) -> None:
    page = client.get("/auth/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert b'lang="en"' in page.data
    page = client.get("/auth/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert b'lang="zh-Hans"' in page.data
