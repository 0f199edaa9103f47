"""Throttling of guessing: counted atomically in the database, a growing delay, never a lock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from screening import create_app
from screening.audit.models import AuditEntry
from screening.auth import clock
from screening.notify.models import Alert, OutboxMessage
from tests.conftest import PASSWORD, UserFactory, app_config, enrol_mfa, login_as

WRONG = "not the password at all"


@pytest.fixture
def make_app(instance: Path) -> Iterator[Any]:
    """Build apps with their own throttle settings on the test database."""
    built: list[Flask] = []

    def make(**extra: Any) -> Flask:
        application = create_app(app_config(instance, **extra))
        built.append(application)
        return application

    yield make
    for application in built:
        application.extensions["engine"].dispose()


def _client(app: Flask, address: str = "127.0.0.1") -> Any:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _actions(db) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_failures_per_account_are_throttled_with_retry_after(
    make_app, make_user: UserFactory
) -> None:
    app = make_app(LOGIN_ACCOUNT_ATTEMPTS=3)
    user = make_user("student", student_number="2024100001")
    client = _client(app)
    for _ in range(3):
        assert login_as(client, "2024100001", WRONG).status_code == 401
    throttled = login_as(_client(app, "192.0.2.7"), " 2024100001", PASSWORD)  # anywhere
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 0
    assert b"Too many wrong passwords for this account" in throttled.data
    assert b"Forgot password" in throttled.data  # the owner's way in that nobody can block
    assert user.active  # throttled, never locked


def test_the_delay_grows_and_then_lets_the_owner_in(
    make_app, make_user: UserFactory, monkeypatch
) -> None:
    app = make_app(LOGIN_ACCOUNT_ATTEMPTS=2, LOGIN_DELAY=30, LOGIN_DELAY_MAX=900)
    make_user("student", student_number="2024300001")
    client = _client(app)
    start = clock.now()
    at = {"t": start}
    monkeypatch.setattr(clock, "now", lambda: at["t"])
    for _ in range(2):
        assert login_as(client, "2024300001", WRONG).status_code == 401
    assert login_as(client, "2024300001", PASSWORD).status_code == 429
    at["t"] = start + 31
    assert login_as(client, "2024300001", WRONG).status_code == 401  # one more guess, later
    at["t"] = start + 31 + 45
    assert login_as(client, "2024300001", PASSWORD).status_code == 429  # now 60 s
    at["t"] = start + 31 + 61
    assert login_as(client, "2024300001", PASSWORD).status_code == 302  # never a long block
    assert login_as(_client(app), "2024300001", WRONG).status_code == 401  # success cleared it


def test_successes_do_not_count(make_app, make_user: UserFactory) -> None:
    app = make_app(LOGIN_ACCOUNT_ATTEMPTS=2, LOGIN_ADDRESS_ATTEMPTS=2)
    for n in range(5):
        make_user("student", student_number=f"20242000{n:02d}")
        assert login_as(_client(app), f"20242000{n:02d}").status_code == 302


def test_credential_stuffing_from_one_address(make_app) -> None:
    app = make_app(LOGIN_ADDRESS_ATTEMPTS=5)
    client = _client(app)
    statuses = []
    for n in range(8):
        forged = {"X-Forwarded-For": f"198.51.100.{n}"}  # ignored: no proxy is trusted
        statuses.append(
            client.post(
                "/auth/login", data={"login": f"victim{n}", "password": WRONG}, headers=forged
            ).status_code
        )
    assert statuses[:5] == [401] * 5
    assert set(statuses[5:]) == {429}


def test_trusted_proxy_separates_clients(make_app) -> None:
    app = make_app(LOGIN_ADDRESS_ATTEMPTS=2, TRUSTED_PROXIES=1)
    client = _client(app)
    for n in range(6):
        response = client.post(
            "/auth/login",
            data={"login": f"someone{n}", "password": WRONG},
            headers={"X-Forwarded-For": f"198.51.100.{n}"},
        )
        assert response.status_code == 401  # each client has its own counter
    for _ in range(2):
        client.post(
            "/auth/login",
            data={"login": "x", "password": WRONG},
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
    blocked = client.post(
        "/auth/login",
        data={"login": "y", "password": WRONG},
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    assert blocked.status_code == 429


def test_staff_with_a_second_factor_cannot_be_blocked_from_elsewhere(
    make_app, make_user: UserFactory, db
) -> None:
    app = make_app(LOGIN_ACCOUNT_ATTEMPTS=3)
    staff = make_user("counselor")
    enrol_mfa(db, staff)
    attacker = _client(app, "203.0.113.66")
    for _ in range(3):
        assert login_as(attacker, staff.username or "", WRONG).status_code == 401
    assert login_as(attacker, staff.username or "", PASSWORD).status_code == 429
    office = login_as(_client(app, "192.0.2.10"), staff.username or "", PASSWORD)
    assert office.status_code == 302 and office.headers["Location"] == "/auth/mfa"


def test_thirty_concurrent_wrong_passwords_get_at_most_ten_evaluations(
    make_app, make_user: UserFactory
) -> None:
    app = make_app(LOGIN_ACCOUNT_ATTEMPTS=10, PASSWORD_HASH_WAITING=64)
    make_user("student", student_number="2024700001")
    hasher = app.extensions["hasher"]
    evaluated: list[int] = []
    original = hasher.verify

    def counting(stored: str | None, password: str) -> bool:
        evaluated.append(1)
        return bool(original(stored, password))

    hasher.verify = counting
    start = threading.Barrier(30)
    statuses: list[int] = []

    def attempt(n: int) -> None:
        client = _client(app, f"198.51.100.{n}")
        start.wait()
        statuses.append(login_as(client, "2024700001", WRONG).status_code)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(statuses) == 30
    assert len(evaluated) == statuses.count(401) <= 10
    assert statuses.count(401) == 10 and statuses.count(429) == 20


def test_a_throttle_and_a_spray_are_audited_and_alerted(
    make_app, make_user: UserFactory, db
) -> None:
    app = make_app(LOGIN_ACCOUNT_ATTEMPTS=3, LOGIN_SPRAY_ACCOUNTS=4, LOGIN_ADDRESS_ATTEMPTS=100)
    admin = make_user("admin")
    make_user("student", student_number="2024800001")
    client = _client(app, "203.0.113.5")
    for _ in range(3):
        login_as(client, "2024800001", WRONG)
    assert "security.login_throttled" in _actions(db)
    kinds = [(m.recipient_id, m.kind) for m in db.scalars(select(OutboxMessage))]
    assert kinds == [(admin.id, "security.login")]
    assert db.scalar(select(Alert.kind).where(Alert.recipient_id == admin.id)) == "security.login"
    for n in range(4):
        login_as(client, f"spray{n}", WRONG)
    assert _actions(db).count("security.password_spray") == 1
    for n in range(4, 8):
        login_as(client, f"spray{n}", WRONG)
    assert _actions(db).count("security.password_spray") == 1  # one per attack, not per try


def test_with_the_limiters_redis_down_log_in_is_still_limited(
    make_app, make_user: UserFactory
) -> None:
    app = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/3", LOGIN_ACCOUNT_ATTEMPTS=3)
    make_user("student", student_number="2024900001")
    statuses = [login_as(_client(app), "2024900001", WRONG).status_code for _ in range(6)]
    assert statuses == [401, 401, 401, 429, 429, 429]


def test_second_factor_guessing_is_throttled_without_redis(
    make_app, make_user: UserFactory, db
) -> None:
    app = make_app(MFA_ACCOUNT_ATTEMPTS=3, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/3")
    user = make_user("counselor")
    enrol_mfa(db, user)
    client = app.test_client()
    login_as(client, user.username or "")
    codes = [client.post("/auth/mfa", data={"code": f"{n:06d}"}).status_code for n in range(5)]
    assert codes == [401, 401, 401, 429, 429]
    refused = client.post("/auth/mfa", data={"code": "000009"})
    assert int(refused.headers["Retry-After"]) > 0


def test_concurrent_wrong_codes_get_at_most_the_limit_evaluated(
    make_app, make_user: UserFactory, db, monkeypatch
) -> None:
    from screening.auth import mfa

    app = make_app(MFA_ACCOUNT_ATTEMPTS=5, MFA_ADDRESS_ATTEMPTS=100)
    user = make_user("counselor")
    enrol_mfa(db, user)
    first = app.test_client()
    login_as(first, user.username or "")
    cookie = first.get_cookie("session")
    assert cookie is not None
    checked: list[int] = []
    original = mfa.verify

    def counting(*args: Any) -> str:
        checked.append(1)
        return original(*args)

    monkeypatch.setattr(mfa, "verify", counting)
    start = threading.Barrier(20)
    statuses: list[int] = []

    def attempt(n: int) -> None:
        client = _client(app)  # the same address: the session is bound to it
        client.set_cookie("session", cookie.value)
        start.wait()
        statuses.append(client.post("/auth/mfa", data={"code": f"{n:06d}"}).status_code)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checked) == statuses.count(401) == 5
    assert statuses.count(429) == 15


def test_a_right_code_clears_the_count(make_app, make_user: UserFactory, db) -> None:
    from tests.conftest import pass_mfa

    app = make_app(MFA_ACCOUNT_ATTEMPTS=3)
    user = make_user("counselor")
    secret = enrol_mfa(db, user)
    client = app.test_client()
    login_as(client, user.username or "")
    for n in range(2):
        client.post("/auth/mfa", data={"code": f"{n:06d}"})
    assert pass_mfa(client, db, user, secret).status_code == 302
    client.post("/auth/logout")
    login_as(client, user.username or "")
    codes = [client.post("/auth/mfa", data={"code": f"{n:06d}"}).status_code for n in range(3)]
    assert codes == [401, 401, 401]


def test_the_count_starts_again_after_a_quiet_period(
    make_app, make_user: UserFactory, monkeypatch
) -> None:
    app = make_app(LOGIN_ACCOUNT_ATTEMPTS=2, LOGIN_FORGET=3600, LOGIN_DELAY_MAX=900)
    make_user("student", student_number="2024300002")
    start = clock.now()
    at = {"t": start}
    monkeypatch.setattr(clock, "now", lambda: at["t"])
    for _ in range(2):
        login_as(_client(app), "2024300002", WRONG)
    at["t"] = start + 3601
    statuses = [login_as(_client(app), "2024300002", WRONG).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]  # two free attempts again, not one
