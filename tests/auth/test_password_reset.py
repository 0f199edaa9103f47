"""Forgot password: a single-use link valid 30 minutes, e-mailed through the outbox over SMTP."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from screening import create_app
from screening.auth import clock
from screening.auth.security_models import PasswordReset
from screening.notify.models import OutboxMessage
from screening.notify.services import MailSettings, deliver
from tests.conftest import PASSWORD, UserFactory, app_config, login_as

BASE = "https://screening.example.edu"
NEW = "a new and much longer passphrase"


def _send(app: Flask, port: int, now: datetime | None = None) -> tuple[int, int]:
    settings = MailSettings("127.0.0.1", port, "screening@example.edu", BASE)
    return deliver(app.extensions["sessionmaker"], settings, now)


def _link(mail: Any) -> str:
    found = re.search(re.escape(BASE) + r"(/auth/reset/[A-Za-z0-9_-]+)", mail.get_content())
    assert found, mail.get_content()
    return found.group(1)


def _ask(client: FlaskClient, identifier: str) -> Any:
    return client.post("/auth/forgot", data={"identifier": identifier})


def test_the_link_arrives_works_once_and_ends_every_session(
    app: Flask, client: FlaskClient, make_user: UserFactory, db, smtp
) -> None:
    box, controller = smtp
    user = make_user("student", student_number="2024500001", name="张三", email="zs@example.edu")
    elsewhere = app.test_client()
    assert login_as(elsewhere, "2024500001").status_code == 302
    assert elsewhere.get("/screening/").status_code == 200

    page = client.get("/auth/login")
    assert b'href="/auth/forgot"' in page.data
    answer = _ask(client, "2024500001")
    assert answer.status_code == 200 and b"Check your e-mail" in answer.data
    assert _send(app, controller.port) == (1, 0)
    (mail,) = box.messages
    assert mail["To"] == "zs@example.edu"
    body = mail.get_content()
    assert "30" in body and "张三" not in mail.as_string() and "2024500001" not in body
    link = _link(mail)
    token = link.rsplit("/", 1)[1]
    # Only a hash of the token is stored: neither the outbox nor the reset row holds it.
    assert (
        db.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.link_path.contains(token))
        )
        == 0
    )
    reset = db.scalar(select(PasswordReset))
    assert reset is not None and token not in (reset.token_hash or "") + (reset.nonce or "")

    opened = client.get(link)
    assert opened.status_code == 302 and opened.headers["Location"] == "/auth/reset"
    assert token.encode() not in client.get("/auth/reset").data
    done = client.post("/auth/reset", data={"new": NEW, "confirm": NEW})
    assert done.status_code == 302 and done.headers["Location"] == "/auth/login"
    assert elsewhere.get("/screening/").status_code == 302  # the other session has ended
    assert login_as(app.test_client(), "2024500001", PASSWORD).status_code == 401
    assert login_as(app.test_client(), "2024500001", NEW).status_code == 302

    again = app.test_client()
    again.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    again.get(link)
    used = again.get("/auth/reset")
    assert used.status_code == 404 and b"This link no longer works" in used.data
    refused = again.post(
        "/auth/reset",
        data={"new": "yet another long passphrase", "confirm": "yet another long passphrase"},
    )
    assert refused.status_code == 404
    assert login_as(app.test_client(), "2024500001", NEW).status_code == 302
    assert user.id is not None


def test_an_unknown_account_gets_the_same_page_and_no_mail(
    app: Flask, client: FlaskClient, make_user: UserFactory, smtp
) -> None:
    box, controller = smtp
    make_user("student", student_number="2024500002")
    known = _ask(client, "2024500002")
    unknown = _ask(client, "2024599999")
    by_mail = _ask(client, "nobody@example.edu")
    assert known.status_code == unknown.status_code == by_mail.status_code == 200
    assert known.data == unknown.data == by_mail.data
    assert _send(app, controller.port) == (1, 0)
    assert len(box.messages) == 1


def test_the_link_expires_after_30_minutes(
    app: Flask, client: FlaskClient, make_user: UserFactory, smtp, monkeypatch
) -> None:
    box, controller = smtp
    make_user("student", student_number="2024500003", email="late@example.edu")
    _ask(client, "2024500003")
    assert _send(app, controller.port) == (1, 0)
    link = _link(box.messages[0])
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start + 29 * 60)
    client.get(link)
    assert client.get("/auth/reset").status_code == 200  # still valid at 29 minutes
    monkeypatch.setattr(clock, "now", lambda: start + 31 * 60)
    late = client.post("/auth/reset", data={"new": NEW, "confirm": NEW})
    assert late.status_code == 404 and b"This link no longer works" in late.data
    assert login_as(app.test_client(), "2024500003", NEW).status_code == 401


def test_a_mail_not_sent_within_30_minutes_is_never_sent(
    app: Flask, client: FlaskClient, make_user: UserFactory, smtp
) -> None:
    box, controller = smtp
    make_user("student", student_number="2024500004")
    _ask(client, "2024500004")
    later = datetime.now(UTC) + timedelta(minutes=31)
    assert _send(app, controller.port, later) == (0, 1)
    assert box.messages == []


def test_by_email_address_and_staff_username(
    app: Flask, client: FlaskClient, make_user: UserFactory, smtp
) -> None:
    box, controller = smtp
    make_user("student", student_number="2024500005", email="Li.Si@Example.edu")
    staff = make_user("counselor", email="counselor@example.edu")
    _ask(client, "li.si@example.edu")
    _ask(client, staff.username or "")
    assert _send(app, controller.port) == (2, 0)
    assert sorted(m["To"] for m in box.messages) == ["Li.Si@Example.edu", "counselor@example.edu"]


def test_requests_are_throttled_per_account_without_telling(
    app: Flask, client: FlaskClient, make_user: UserFactory, smtp
) -> None:
    _box, controller = smtp
    make_user("student", student_number="2024500006")
    pages = {_ask(client, "2024500006").data for _ in range(5)}
    assert len(pages) == 1  # the same page every time
    assert _send(app, controller.port) == (3, 0)  # RESET_ACCOUNT_ATTEMPTS


def test_requests_are_throttled_per_address(make_app_with, make_user: UserFactory, smtp) -> None:
    app = make_app_with(RESET_ADDRESS_ATTEMPTS=2)
    client = app.test_client()
    statuses = [_ask(client, f"20246000{n:02d}").status_code for n in range(4)]
    assert statuses == [200, 200, 429, 429]


def test_the_reset_ends_the_log_in_throttle(make_app_with, make_user: UserFactory, smtp) -> None:
    box, controller = smtp
    app = make_app_with(LOGIN_ACCOUNT_ATTEMPTS=3)
    make_user("student", student_number="2024500007")
    attacker = app.test_client()
    for _ in range(3):
        assert login_as(attacker, "2024500007", "wrong wrong wrong wrong").status_code == 401
    owner = app.test_client()
    assert login_as(owner, "2024500007").status_code == 429
    _ask(owner, "2024500007")
    assert _send(app, controller.port) == (1, 0)
    owner.get(_link(box.messages[0]))
    assert owner.post("/auth/reset", data={"new": NEW, "confirm": NEW}).status_code == 302
    assert login_as(owner, "2024500007", NEW).status_code == 302


def test_a_weak_new_password_keeps_the_link(
    app: Flask, client: FlaskClient, make_user: UserFactory, smtp
) -> None:
    box, controller = smtp
    make_user("student", student_number="2024500008")
    _ask(client, "2024500008")
    _send(app, controller.port)
    client.get(_link(box.messages[0]))
    weak = client.post("/auth/reset", data={"new": "short", "confirm": "short"})
    assert weak.status_code == 400 and b"at least 15 characters" in weak.data
    assert client.post("/auth/reset", data={"new": NEW, "confirm": NEW}).status_code == 302


@pytest.mark.parametrize(
    "sso",
    [{"CAS_SERVER_URL": "https://cas.example.edu/cas"}, {"OIDC_ISSUER": "https://id.example.edu"}],
)
def test_hidden_where_the_install_uses_single_sign_on(make_app_with, sso: dict[str, str]) -> None:
    app = make_app_with(**sso)
    client = app.test_client()
    assert b"/auth/forgot" not in client.get("/auth/login").data
    assert client.get("/auth/forgot").status_code == 404
    assert client.post("/auth/forgot", data={"identifier": "x"}).status_code == 404


def test_chinese_pages(client: FlaskClient) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    assert "忘记密码" in client.get("/auth/login").get_data(as_text=True)
    assert "忘记密码" in client.get("/auth/forgot").get_data(as_text=True)


@pytest.fixture
def make_app_with(instance: Path):
    """Apps with their own settings on the test database."""
    built: list[Flask] = []

    def make(**extra: Any) -> Flask:
        application = create_app(app_config(instance, **extra))
        built.append(application)
        return application

    yield make
    for application in built:
        application.extensions["engine"].dispose()


def test_old_resets_are_not_kept(
    app: Flask, client: FlaskClient, make_user: UserFactory, db, monkeypatch
) -> None:
    make_user("student", student_number="2024500009")
    _ask(client, "2024500009")
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start + 2 * 86400)
    _ask(client, "2024500009")
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(PasswordReset)) == 1
