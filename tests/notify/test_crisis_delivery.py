"""Crisis alerts during an e-mail outage: retried every 5 minutes, logged, admins told."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select

from screening.db import utcnow
from screening.notify.models import Alert, OutboxMessage
from screening.notify.services import MAX_ATTEMPTS, MailSettings, deliver, enqueue
from tests.smtp_server import Mailbox, free_port

BASE = "https://screening.example.edu"


def test_a_crisis_alert_is_retried_every_five_minutes_until_delivered(
    app: Flask, db, make_user, caplog: pytest.LogCaptureFixture
) -> None:
    admin = make_user("admin")
    counselor = make_user("counselor")
    enqueue(db, recipient_id=counselor.id, kind="case.new", link_path="/cases/1")
    db.commit()
    port = free_port()  # the mail server is down: connection refused
    settings = MailSettings("127.0.0.1", port, "s@example.edu", BASE)
    factory = app.extensions["sessionmaker"]
    when = utcnow()
    with caplog.at_level(logging.WARNING, logger="screening.notify.services"):
        for _ in range(MAX_ATTEMPTS * 2):  # a long outage: far past the attempts of others
            assert deliver(factory, settings, when) == (0, 0)
            row = db.scalar(select(OutboxMessage).where(OutboxMessage.kind == "case.new"))
            db.refresh(row)
            assert row.status == "pending"
            assert row.next_attempt_at - when <= timedelta(minutes=5)
            when = row.next_attempt_at
    failures = [r for r in caplog.records if "(case.new) send failed" in r.getMessage()]
    assert len(failures) == MAX_ATTEMPTS * 2
    assert "ConnectionRefusedError" in failures[0].getMessage()
    # The admins learn of it in the app, once however many attempts failed.
    db.expire_all()
    alerts = list(db.scalars(select(Alert).where(Alert.recipient_id == admin.id)))
    assert [a.kind for a in alerts] == ["system.delivery"]
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        sent, _failed = deliver(factory, settings, when)
    finally:
        controller.stop()
    assert sent >= 1
    assert any(m["To"] == "person2@example.edu" for m in box.messages)


def test_a_reminder_that_fails_is_logged_but_alerts_nobody(
    app: Flask, db, make_user, caplog: pytest.LogCaptureFixture
) -> None:
    admin = make_user("admin")
    student = make_user("student")
    enqueue(db, recipient_id=student.id, kind="reminder", link_path="/screening/", alert=False)
    db.commit()
    settings = MailSettings("127.0.0.1", free_port(), "s@example.edu", BASE)
    with caplog.at_level(logging.WARNING, logger="screening.notify.services"):
        deliver(app.extensions["sessionmaker"], settings, utcnow())
    assert "send failed" in caplog.text
    db.expire_all()
    assert not list(db.scalars(select(Alert).where(Alert.recipient_id == admin.id)))
