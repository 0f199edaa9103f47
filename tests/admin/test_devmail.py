"""Development runs like production: worker and mail sink, and a page of the e-mail received."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from screening import create_app
from screening.admin import devmail
from screening.campaigns.models import Assignment
from screening.cli.worker import run_once
from screening.notify.services import SUBJECTS
from tests.conftest import app_config, log_in_fully
from tests.responses.conftest import answer
from tests.smtp_server import free_port


@pytest.fixture
def app(instance: Path) -> Iterator[Flask]:
    """The app as `make run` configures it: development."""
    application = create_app(app_config(instance, ENVIRONMENT="development"))
    yield application
    application.extensions["engine"].dispose()


@pytest.fixture
def sink(app: Flask) -> Iterator[Path]:
    """The development mail sink, storing into the app's instance folder."""
    folder = devmail.folder_of(app.instance_path)
    controller = Controller(devmail.Sink(folder), hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    yield folder
    controller.stop()


def test_a_crisis_answer_shows_up_as_an_alert_email_on_the_mail_page(
    app: Flask, client: FlaskClient, make_user, make_campaign, db, sink: Path
) -> None:
    make_user("counselor", email="counselor.cs@staff.example.edu")
    admin = make_user("admin")
    make_campaign(["asq"], languages=["en"])
    student = make_user("student", student_number="2024990001")
    log_in_fully(client, db, student, "2024990001")
    client.get("/screening/")
    assignment = db.scalar(select(Assignment).where(Assignment.student_id == student.id))
    client.post(f"/screening/{assignment.id}/consent", data={"agree": "1"})
    answered = answer(client, assignment.id, {"q1": 1, "q2": 0, "q3": 0, "q4": 0, "q5": 1})
    assert answered.status_code in (200, 302)
    run_once(app)  # one turn of the worker
    mails = devmail.received(sink)
    assert [m.recipient for m in mails] == ["counselor.cs@staff.example.edu"]
    client.post("/auth/logout")
    log_in_fully(client, db, admin)
    page = client.get("/admin/mail").get_data(as_text=True)
    assert SUBJECTS["zh"]["case.new"] in page  # in the counselor's language
    assert "counselor.cs@staff.example.edu" in page
    assert "/cases/" in page  # the body's link, and nothing about the student
    assert "2024990001" not in page
    # Stored owner-only, inside an owner-only folder.
    assert sink.stat().st_mode & 0o077 == 0
    assert all(p.stat().st_mode & 0o077 == 0 for p in sink.glob("*.eml"))


def test_the_mail_page_exists_only_in_development(instance: Path, make_user, db) -> None:
    production_like = create_app(app_config(instance))
    try:
        client = production_like.test_client()
        log_in_fully(client, db, make_user("admin"))
        assert client.get("/admin/mail").status_code == 404
    finally:
        production_like.extensions["engine"].dispose()


def test_the_chinese_mail_page_has_no_english(client: FlaskClient, logged_in, sink: Path) -> None:
    logged_in("admin")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "开发环境邮件" in page and "Development mail" not in page


def test_deliver_says_when_no_mail_server_answers(
    app: Flask, runner: FlaskCliRunner, make_user, db
) -> None:
    from screening.notify.services import enqueue

    user = make_user("counselor")
    enqueue(db, recipient_id=user.id, kind="case.new", link_path="/cases/1")
    db.commit()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nothing listens
    result = runner.invoke(args=["notify", "deliver"])
    assert result.exit_code != 0
    assert "No mail server answers at 127.0.0.1" in result.output
    assert "1 e-mail(s) wait in the outbox" in result.output
    app.config.update(MAIL_SERVER="")
    result = runner.invoke(args=["notify", "deliver"])
    assert "No mail server is configured" in result.output and "1 e-mail(s)" in result.output


def test_deliver_counts_what_is_left(
    app: Flask, runner: FlaskCliRunner, make_user, db, sink: Path
) -> None:
    from screening.notify.services import enqueue

    user = make_user("counselor")
    enqueue(db, recipient_id=user.id, kind="case.new", link_path="/cases/1")
    db.commit()
    result = runner.invoke(args=["notify", "deliver"])
    assert result.exit_code == 0, result.output
    assert "1 sent, 0 failed, 0 still queued." in result.output
    assert len(devmail.received(sink)) == 1
