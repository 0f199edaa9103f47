"""Second factor: enrolment with a QR code, sealed secrets, no replay, recovery codes, commands."""

from __future__ import annotations

import re

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from screening.auth import clock
from screening.auth.models import MfaCredential, RecoveryCode
from tests.conftest import UserFactory, enrol_mfa, log_in_fully, login_as, pass_mfa, totp_code


def _enrol_through_pages(client: FlaskClient) -> tuple[str, list[str]]:
    page = client.get("/auth/mfa/setup")
    assert page.status_code == 200
    assert client.get("/auth/mfa/qr.svg").status_code == 404  # nothing to show before starting
    assert client.post("/auth/mfa/setup/start").status_code == 302
    page = client.get("/auth/mfa/setup").get_data(as_text=True)
    secret = re.search(r'class="mfa-secret">([A-Z2-7]+)<', page)
    assert secret is not None
    qr = client.get("/auth/mfa/qr.svg")
    assert qr.status_code == 200
    assert qr.mimetype == "image/svg+xml"
    assert qr.headers["Cache-Control"] == "no-store"
    assert b"<svg" in qr.data
    wrong = client.post("/auth/mfa/setup", data={"code": "000000"})
    assert wrong.status_code == 401
    done = client.post("/auth/mfa/setup", data={"code": pyotp.TOTP(secret.group(1)).now()})
    assert done.status_code == 200
    codes = re.findall(r"<code>([A-Z2-9-]{19})</code>", done.get_data(as_text=True))
    assert len(codes) == 10
    return secret.group(1), codes


def test_staff_enrol_on_first_log_in_and_secret_is_sealed(
    client: FlaskClient, make_user: UserFactory, db: Session
) -> None:
    user = make_user("counselor")
    assert login_as(client, user.username or "").headers["Location"] == "/auth/mfa"
    assert client.get("/auth/mfa").headers["Location"] == "/auth/mfa/setup"
    assert client.get("/home").headers["Location"] == "/auth/mfa"
    secret, codes = _enrol_through_pages(client)
    assert client.get("/home").status_code == 200
    raw = db.execute(text("SELECT secret_sealed FROM mfa_credentials")).scalar_one()
    assert secret.encode() not in bytes(raw)
    stored = list(db.scalars(select(RecoveryCode.code_hash)))
    assert len(stored) == 10
    assert not {c.replace("-", "") for c in codes} & {s.upper() for s in stored}


def test_a_code_is_accepted_once(client: FlaskClient, make_user: UserFactory, db: Session) -> None:
    user = make_user("supervisor")
    secret = enrol_mfa(db, user)
    login_as(client, user.username or "")
    code = totp_code(db, user, secret)
    assert client.post("/auth/mfa", data={"code": code}).status_code == 302
    client.post("/auth/logout")
    login_as(client, user.username or "")
    replay = client.post("/auth/mfa", data={"code": code})
    assert replay.status_code == 401
    assert b"not valid" in replay.data
    assert client.get("/home").headers["Location"] == "/auth/mfa"


def test_codes_from_far_away_steps_are_refused(
    client: FlaskClient, make_user: UserFactory, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user("dean")
    secret = enrol_mfa(db, user)
    login_as(client, user.username or "")
    old = pyotp.TOTP(secret).at(int(clock.now()) - 120)
    assert client.post("/auth/mfa", data={"code": old}).status_code == 401


def test_recovery_code_works_once(
    app: Flask, client: FlaskClient, make_user: UserFactory, db: Session
) -> None:
    user = make_user("admin")
    login_as(client, user.username or "")
    _secret, codes = _enrol_through_pages(client)
    client.post("/auth/logout")
    login_as(client, user.username or "")
    used = client.post("/auth/mfa", data={"code": codes[0].lower()})
    assert used.status_code == 302
    assert client.get("/home").status_code == 200
    other = app.test_client()
    login_as(other, user.username or "")
    assert other.post("/auth/mfa", data={"code": codes[0]}).status_code == 401


def test_students_may_enrol_and_then_owe_the_code(
    client: FlaskClient, make_user: UserFactory, db: Session
) -> None:
    student = make_user("student", student_number="2024123456")
    assert login_as(client, "2024123456").headers["Location"] == "/"
    assert client.get("/home").status_code == 200
    secret, _codes = _enrol_through_pages(client)
    client.post("/auth/logout")
    assert login_as(client, "2024123456").headers["Location"] == "/auth/mfa"
    assert pass_mfa(client, db, student, secret).status_code == 302
    assert client.get("/home").status_code == 200


def test_enrolled_user_cannot_restart_enrolment_before_the_code(
    client: FlaskClient, make_user: UserFactory, db: Session
) -> None:
    user = make_user("counselor")
    enrol_mfa(db, user)
    login_as(client, user.username or "")
    assert client.post("/auth/mfa/setup/start").status_code == 302
    credential = db.get(MfaCredential, user.id)
    assert credential is not None and credential.confirmed_at is not None
    assert client.get("/auth/mfa/setup").headers["Location"] == "/auth/mfa"
    assert client.get("/auth/mfa/qr.svg").status_code == 404


def test_new_recovery_codes(client: FlaskClient, logged_in, db: Session) -> None:
    logged_in("counselor")
    page = client.post("/auth/mfa/recovery-codes")
    assert page.status_code == 200
    assert len(re.findall(r"<code>[A-Z2-9-]{19}</code>", page.get_data(as_text=True))) == 10


def test_demo_code_only_in_development(app: Flask, db: Session, make_user: UserFactory) -> None:
    user = make_user("counselor")
    secret = enrol_mfa(db, user)
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["demo-code", user.username or ""])
    assert refused.exit_code != 0
    assert "development" in refused.output
    app.config["ENVIRONMENT"] = "development"
    result = runner.invoke(args=["demo-code", user.username or ""])
    assert result.exit_code == 0, result.output
    assert pyotp.TOTP(secret).now() in result.output
    assert runner.invoke(args=["demo-code", "nobody"]).exit_code != 0


def test_demo_pre_enrols_staff(app: Flask, client: FlaskClient) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "--students", "3"]).exit_code == 0
    app.config["ENVIRONMENT"] = "development"
    output = runner.invoke(args=["demo-code", "counselor.cs"]).output
    code = re.search(r"Code now: (\d{6})", output)
    assert code is not None
    login_as(client, "counselor.cs", "demo-staff-password")
    assert client.post("/auth/mfa", data={"code": code.group(1)}).status_code == 302
    assert client.get("/home").status_code == 200


def test_reset_mfa_command(app: Flask, client: FlaskClient, make_user: UserFactory, db) -> None:
    user = make_user("counselor")
    log_in_fully(client, db, user)
    result = app.test_cli_runner().invoke(args=["users", "reset-mfa", user.username or ""])
    assert result.exit_code == 0, result.output
    assert client.get("/home").status_code == 302  # the session ended with the reset
    login_as(client, user.username or "")
    assert client.get("/auth/mfa").headers["Location"] == "/auth/mfa/setup"
