"""Password policy (NIST SP 800-63B): length by factor, blocklist, no truncation, no rules."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from screening.auth import policy
from screening.auth.services import WeakPassword, authenticate, set_password
from tests.conftest import PASSWORD, UserFactory


def test_single_factor_needs_15_characters_with_mfa_8() -> None:
    with pytest.raises(policy.PasswordRejected) as short:
        policy.check("a" * 9 + "bcdef", with_mfa=False)
    assert short.value.minimum == 15
    policy.check("quiet otter lamp", with_mfa=False)
    policy.check("otter!92", with_mfa=True)
    with pytest.raises(policy.PasswordRejected):
        policy.check("otter92", with_mfa=True)


@pytest.mark.parametrize("common", ["password", "PASSWORD1", "qwertyuiop", "iloveyou"])
def test_common_passwords_are_refused(common: str) -> None:
    with pytest.raises(policy.PasswordRejected) as refused:
        policy.check(common, with_mfa=True)
    assert refused.value.reason == "common"


def test_no_composition_rules_and_any_script() -> None:
    policy.check("只用汉字也可以作为很长的密码短语", with_mfa=False)
    policy.check("all lower case words only", with_mfa=False)


def test_long_passphrases_are_not_truncated(db: Session, make_user: UserFactory) -> None:
    long = "x" * 199 + "a"
    number = "20240000001"
    student = make_user("student", student_number=number)
    set_password(db, student, long)
    db.commit()
    assert authenticate(db, number, long) is not None
    assert authenticate(db, number, "x" * 199 + "b") is None  # only the last character differs


def test_students_with_only_a_password_need_15(db: Session, make_user: UserFactory) -> None:
    student = make_user("student")
    with pytest.raises(WeakPassword) as refused:
        set_password(db, student, "short pass 12")
    assert refused.value.minimum == 15


def test_change_password_ends_other_sessions(
    app, client: FlaskClient, logged_in, db: Session
) -> None:
    logged_in("student")
    other = app.test_client()
    response = client.post(
        "/auth/password",
        data={"current": PASSWORD, "new": "1qaz2wsx3edc4rfv", "confirm": "1qaz2wsx3edc4rfv"},
    )
    assert response.status_code == 400
    assert b"too common" in response.data
    response = client.post(
        "/auth/password",
        data={
            "current": "wrong wrong wrong",
            "new": "a new long passphrase",
            "confirm": "a new long passphrase",
        },
    )
    assert response.status_code == 400
    assert b"current password is wrong" in response.data
    old_cookie = client.get_cookie("session")
    assert old_cookie is not None
    response = client.post(
        "/auth/password",
        data={
            "current": PASSWORD,
            "new": "a new long passphrase",
            "confirm": "a new long passphrase",
        },
    )
    assert response.status_code == 302
    assert client.get("/home").status_code == 200  # this session goes on
    other.set_cookie("session", old_cookie.value)
    assert other.get("/home").status_code == 302  # the old cookie (any other session) is dead
