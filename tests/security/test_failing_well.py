"""When storing fails: the student learns what happened to the answers; outages answer 503."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.orm import Session

from screening.campaigns.models import Assignment
from screening.cases import intake
from screening.responses.models import Draft, Submission
from tests.conftest import PG_URL
from tests.responses.conftest import answer, phq9

#: Nothing listens here: every connection is refused, as with PostgreSQL stopped.
REFUSED_URL = "postgresql+psycopg://postgres@127.0.0.1:1/screening_down?connect_timeout=2"


def _start(client: FlaskClient, db: Session, student: Any) -> Assignment:
    client.get("/screening/")
    assignment = db.scalar(select(Assignment).where(Assignment.student_id == student.id))
    assert client.post(f"/screening/{assignment.id}/consent", data={"agree": "1"}).status_code
    return assignment


@pytest.fixture
def swapped_engines(app: Flask) -> Iterator[list[Engine]]:
    """Engines a test binds the app's sessions to; disposed (connections closed) afterwards."""
    engines: list[Engine] = []
    yield engines
    for engine in engines:
        engine.dispose()


def _database_down(app: Flask, engines: list[Engine]) -> None:
    """From now on every new session of the app gets a connection refused."""
    engines.append(create_engine(REFUSED_URL))
    app.extensions["sessionmaker"].configure(bind=engines[-1])


def _read_only(app: Flask, engines: list[Engine]) -> None:
    """From now on the app's database answers reads but refuses every write (a full disk)."""
    url = PG_URL.replace("postgresql://", "postgresql+psycopg://") if PG_URL else None
    engine = create_engine(url or app.config["DATABASE_URL"])

    @event.listens_for(engine, "connect")
    def _no_writes(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if PG_URL:
            cursor.execute("SET default_transaction_read_only = on")
        else:
            cursor.execute("PRAGMA query_only = ON")
        cursor.close()
        if PG_URL:
            dbapi_connection.commit()

    engines.append(engine)
    app.extensions["sessionmaker"].configure(bind=engine)


def test_a_failed_submission_says_the_answers_are_kept_in_chinese(
    app: Flask,
    client: FlaskClient,
    logged_in,
    make_campaign,
    db: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_campaign(["phq9"])
    student = logged_in("student")
    assignment = _start(client, db, student)

    def failing_intake(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("case intake is down")

    monkeypatch.setattr(intake, "open_or_raise", failing_intake)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    page = answer(client, assignment.id, phq9(q2=2, q9=1))
    html = page.get_data(as_text=True)
    assert page.status_code == 500
    assert "您的回答已保留" in html and "提交" in html
    assert "12356" in html  # the crisis lines, as on every student error page
    assert f"/screening/{assignment.id}/take" in html  # back to the kept answers
    assert "Something went wrong" not in html and "answers are kept" not in html
    assert db.scalar(select(func.count()).select_from(Submission)) == 0
    assert db.scalar(select(func.count()).select_from(Draft)) == 1  # really kept
    again = client.get(f"/screening/{assignment.id}/take").get_data(as_text=True)
    assert '<input checked id="phq9-q9-1" name="phq9-q9"' in again


def test_database_refusing_connections_answers_503_with_retry_after(
    app: Flask, client: FlaskClient, logged_in, make_campaign, db: Session, swapped_engines
) -> None:
    make_campaign(["phq9"])
    student = logged_in("student")
    assignment = _start(client, db, student)
    _database_down(app, swapped_engines)
    page = client.post(
        f"/screening/{assignment.id}/take",
        data={**phq9(q1=1), "token": "d1", "action": "submit"},
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 503 and int(page.headers["Retry-After"]) > 0
    assert "could not be submitted or saved just now" in html  # not "kept": it was not
    assert "press Submit again" in html and "12356" in html
    other = client.get("/screening/")
    assert other.status_code == 503 and "Retry-After" in other.headers
    assert "Temporarily unavailable" in other.get_data(as_text=True)
    assert client.get("/healthz").status_code == 503


def test_healthz_fails_when_the_database_cannot_write(
    app: Flask, client: FlaskClient, swapped_engines
) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/healthz").status_code == 200  # the probe row is updated in place
    _read_only(app, swapped_engines)
    answer = client.get("/healthz")
    assert answer.status_code == 503 and answer.json == {"status": "unavailable"}
