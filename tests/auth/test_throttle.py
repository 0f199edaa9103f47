"""Throttling of guessing: per account and per address, 429 with Retry-After, never a lock."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from screening import create_app
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


def test_failures_per_account_are_throttled_with_retry_after(
    make_app, make_user: UserFactory
) -> None:
    app = make_app(LOGIN_LIMIT_ACCOUNT="3 per minute")
    user = make_user("student", student_number="2024100001")
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    for _ in range(3):
        assert login_as(client, "2024100001", WRONG).status_code == 401
    throttled = login_as(client, " 2024100001", PASSWORD)  # even the right password waits
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 0
    assert b"Too many attempts" in throttled.data
    assert user.active  # throttled, never locked


def test_successes_do_not_count(make_app, make_user: UserFactory) -> None:
    app = make_app(LOGIN_LIMIT_ACCOUNT="2 per minute", LOGIN_LIMIT_ADDRESS="2 per minute")
    for n in range(5):
        make_user("student", student_number=f"20242000{n:02d}")
        client = app.test_client()
        assert login_as(client, f"20242000{n:02d}").status_code == 302


def test_the_window_passes(make_app, make_user: UserFactory) -> None:
    app = make_app(LOGIN_LIMIT_ACCOUNT="2 per 2 seconds")
    make_user("student", student_number="2024300001")
    client = app.test_client()
    for _ in range(2):
        login_as(client, "2024300001", WRONG)
    assert login_as(client, "2024300001", PASSWORD).status_code == 429
    time.sleep(2.2)
    assert login_as(client, "2024300001", PASSWORD).status_code == 302


def test_credential_stuffing_from_one_address(make_app, make_user: UserFactory) -> None:
    app = make_app(LOGIN_LIMIT_ADDRESS="5 per minute")
    client = app.test_client()
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
    app = make_app(LOGIN_LIMIT_ADDRESS="2 per minute", TRUSTED_PROXIES=1)
    client = app.test_client()
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


def test_second_factor_guessing_is_throttled(make_app, make_user: UserFactory, db) -> None:
    app = make_app(MFA_LIMIT_ACCOUNT="3 per minute")
    user = make_user("counselor")
    enrol_mfa(db, user)
    client = app.test_client()
    login_as(client, user.username or "")
    codes = [client.post("/auth/mfa", data={"code": f"{n:06d}"}).status_code for n in range(4)]
    assert codes == [401, 401, 401, 429]


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis(host="127.0.0.1", port=6379, socket_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="Redis is not running on 127.0.0.1:6379")
def test_two_app_instances_share_the_counter_through_redis(make_app) -> None:
    prefix = f"screening-test-{os.getpid()}-{time.time_ns()}"
    settings = {
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
        "RATELIMIT_KEY_PREFIX": prefix,
        "LOGIN_LIMIT_ACCOUNT": "4 per minute",
    }
    first, second = make_app(**settings), make_app(**settings)
    a, b = first.test_client(), second.test_client()
    for client in (a, b, a, b):
        assert login_as(client, "shared-account", WRONG).status_code == 401
    assert login_as(a, "shared-account", WRONG).status_code == 429
    assert login_as(b, "shared-account", WRONG).status_code == 429
    import redis

    r = redis.Redis(host="127.0.0.1", port=6379, db=15)
    keys = list(r.scan_iter(f"*{prefix}*"))
    assert keys
    assert not any(b"shared-account" in key for key in keys)  # log-in names are keyed hashes
    r.delete(*keys)
