"""Retention periods: pure date arithmetic, and the admin's page refusing too short a period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from screening.audit.models import AuditEntry
from screening.retention import policy as pol
from screening.retention.models import RetentionPeriod

NOW = datetime(2030, 3, 1, tzinfo=UTC)


def test_dates_follow_the_policy_and_the_clock_passed_in() -> None:
    policy = pol.merged({"answers": 10})
    start = NOW - timedelta(days=10)
    assert pol.until(policy, "answers", start) == NOW
    assert pol.expired(policy, "answers", start, NOW)
    assert not pol.expired(policy, "answers", start, NOW - timedelta(seconds=1))
    assert policy["scores"] == pol.DEFAULT_DAYS["scores"]


def test_check_names_every_period_below_its_minimum() -> None:
    minimum = pol.minimums({"audit": 365})
    problems = pol.check({"audit": 200, "outbox": 3, "answers": 400}, minimum)
    assert [(p.category, p.minimum) for p in problems] == [("audit", 365), ("outbox", 7)]
    assert pol.check(pol.DEFAULT_DAYS, pol.minimums(None)) == []


def _form(**days: int) -> dict[str, str]:
    data = {c: str(d) for c, d in pol.DEFAULT_DAYS.items()}
    data.update({k: str(v) for k, v in days.items()})
    return data


def test_an_admin_sets_the_policy_and_students_see_it(
    app: Flask, client: FlaskClient, logged_in, db
) -> None:
    logged_in("admin")
    page = client.get("/retention/policy")
    assert page.status_code == 200 and b"Raw answers and drafts" in page.data
    response = client.post("/retention/policy", data=_form(answers=200))
    assert response.status_code == 302
    assert db.get(RetentionPeriod, "answers").days == 200
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "retention.policy"))
    assert entry is not None and "answers=200" in (entry.reason or "")
    client.post("/auth/logout")
    logged_in("student")
    assert "Raw answers and drafts: 200 days" in client.get("/screening/record").get_data(True)


def test_a_period_below_the_minimum_is_refused_in_both_languages(
    app: Flask, client: FlaskClient, logged_in, db
) -> None:
    app.config["RETENTION_MINIMUM_DAYS"] = {"audit": 365}
    logged_in("admin")
    response = client.post("/retention/policy", data=_form(audit=100, answers=200))
    assert response.status_code == 422
    assert b"At least 365 days" in response.data and b"Nothing was changed" in response.data
    assert db.scalar(select(RetentionPeriod)) is None  # all or nothing: answers not stored either
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    response = client.post("/retention/policy", data=_form(audit=100))
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "至少 365 天" in text and "At least" not in text
    assert client.post("/retention/policy", data=_form(audit="x")).status_code == 422


def test_the_worker_purges_once_a_day(app: Flask) -> None:
    from screening.cli.retention import purge_due

    assert purge_due(app, NOW)  # at start: a restored database is purged before long
    assert not purge_due(app, NOW + timedelta(hours=23))
    assert purge_due(app, NOW + timedelta(hours=24))


def test_a_bad_minimum_in_the_configuration_stops_the_start(instance) -> None:
    import pytest

    from screening import create_app
    from screening.config import ConfigError
    from tests.conftest import app_config

    with pytest.raises(ConfigError, match="RETENTION_MINIMUM_DAYS"):
        create_app(app_config(instance, RETENTION_MINIMUM_DAYS={"cases": "five years"}))


def test_a_minimum_raised_in_the_configuration_lengthens_the_policy(app: Flask, db) -> None:
    from screening.retention.services import current_policy

    db.add(RetentionPeriod(category="cases", days=400))
    db.commit()
    assert current_policy(db)["cases"] == 400
    app.config["RETENTION_MINIMUM_DAYS"] = {"cases": 1825}
    assert current_policy(db)["cases"] == 1825
    assert pol.merged({}, {"answers": 10})["answers"] == pol.DEFAULT_DAYS["answers"]
