"""The outbox: written with the caller's transaction, sent once over real SMTP, retried."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import func, select

from screening.db import utcnow
from screening.notify.models import Alert, OutboxMessage
from screening.notify.services import MAX_ATTEMPTS, MailSettings, deliver, enqueue, recover_stuck
from tests.smtp_server import Mailbox, free_port

BASE = "https://screening.example.edu"


def _settings(port: int) -> MailSettings:
    return MailSettings("127.0.0.1", port, "screening@example.edu", BASE)


def _count(db, model) -> int:
    return int(db.scalar(select(func.count()).select_from(model)))


def test_enqueue_commits_or_rolls_back_with_the_caller(db, make_user) -> None:
    counselor = make_user("counselor")
    enqueue(db, recipient_id=counselor.id, kind="case.new", link_path="/cases/1")
    db.rollback()
    assert _count(db, OutboxMessage) == 0 and _count(db, Alert) == 0
    enqueue(db, recipient_id=counselor.id, kind="case.new", link_path="/cases/1")
    db.commit()
    assert _count(db, OutboxMessage) == 1 and _count(db, Alert) == 1
    with pytest.raises(ValueError):
        enqueue(db, recipient_id=counselor.id, kind="case.new", link_path="https://evil.example")


def test_mail_is_in_the_recipients_language_and_carries_nothing_personal(
    app: Flask, db, make_user, smtp
) -> None:
    box, controller = smtp
    chinese = make_user("counselor", name="王老师", email="wang@example.edu")
    english = make_user("counselor", name="Ann Lee", email="ann@example.edu")
    english.locale = "en"
    enqueue(db, recipient_id=chinese.id, kind="case.new", link_path="/cases/7")
    enqueue(db, recipient_id=english.id, kind="case.escalated", link_path="/cases/7")
    db.commit()
    assert deliver(app.extensions["sessionmaker"], _settings(controller.port)) == (2, 0)
    by_to = {m["To"]: m for m in box.messages}
    zh, en = by_to["wang@example.edu"], by_to["ann@example.edu"]
    assert "新的关注提醒" in zh["Subject"] and "请登录查看" in zh.get_content()
    assert "escalated" in en["Subject"] and "Log in to see it" in en.get_content()
    for mail in (zh, en):
        assert f"{BASE}/cases/7" in mail.get_content()
        assert "王老师" not in mail.as_string() and "Ann Lee" not in mail.get_content()
        assert mail["Message-ID"].endswith("@screening.example.edu>")
    assert zh["Message-ID"] != en["Message-ID"]


def test_smtp_down_then_back_delivers_once_with_the_same_message_id(
    app: Flask, db, make_user
) -> None:
    port = free_port()  # nothing listens yet: connection refused
    counselor = make_user("counselor")
    enqueue(db, recipient_id=counselor.id, kind="case.new", link_path="/cases/1")
    db.commit()
    factory = app.extensions["sessionmaker"]
    now = utcnow()
    assert deliver(factory, _settings(port), now) == (0, 0)
    row = db.scalar(select(OutboxMessage))
    db.refresh(row)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "ConnectionRefusedError")
    assert row.next_attempt_at >= now + timedelta(minutes=1)
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert deliver(factory, _settings(port), now) == (0, 0)  # still backing off
        later = now + timedelta(minutes=2)
        assert deliver(factory, _settings(port), later) == (1, 0)
        assert deliver(factory, _settings(port), later + timedelta(hours=2)) == (0, 0)
    finally:
        controller.stop()
    assert len(box.messages) == 1
    db.refresh(row)
    assert row.status == "sent" and row.attempts == 2 and row.last_error is None
    assert box.messages[0]["Message-ID"].startswith(f"<outbox-{row.id}-")


def test_gives_up_after_the_last_attempt(app: Flask, db, make_user) -> None:
    counselor = make_user("counselor")  # not a crisis alert: those are never given up
    enqueue(db, recipient_id=counselor.id, kind="case.signoff", link_path="/cases/1")
    db.commit()
    down = MailSettings("127.0.0.1", 1, "s@example.edu", BASE)
    when, results = utcnow(), []
    for _ in range(MAX_ATTEMPTS):
        results.append(deliver(app.extensions["sessionmaker"], down, when))
        when += timedelta(hours=2)
    assert results[-1] == (0, 1) and all(r == (0, 0) for r in results[:-1])
    row = db.scalar(select(OutboxMessage))
    db.refresh(row)
    assert row.status == "failed" and row.attempts == MAX_ATTEMPTS


def test_two_workers_at_once_send_each_message_once(app: Flask, db, make_user, smtp) -> None:
    box, controller = smtp
    counselors = [make_user("counselor") for _ in range(3)]
    for c in counselors:
        for n in range(4):
            enqueue(db, recipient_id=c.id, kind="case.new", link_path=f"/cases/{n}")
    db.commit()
    barrier = threading.Barrier(2)
    totals: list[tuple[int, int]] = []

    def work() -> None:
        barrier.wait()
        totals.append(deliver(app.extensions["sessionmaker"], _settings(controller.port)))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(s for s, _ in totals) == 12
    ids = [m["Message-ID"] for m in box.messages]
    assert len(ids) == 12 and len(set(ids)) == 12


def test_a_message_left_sending_by_a_crash_is_sent_again_later(
    app: Flask, db, make_user, smtp
) -> None:
    box, controller = smtp
    counselor = make_user("counselor")
    enqueue(db, recipient_id=counselor.id, kind="case.new", link_path="/cases/1")
    db.commit()
    row = db.scalar(select(OutboxMessage))
    row.status, row.attempts = "sending", 1  # a worker claimed it and died
    db.commit()
    now = utcnow()
    assert deliver(app.extensions["sessionmaker"], _settings(controller.port), now) == (0, 0)
    assert recover_stuck(db, now + timedelta(minutes=5)) == 0
    assert recover_stuck(db, now + timedelta(minutes=11)) == 1
    db.commit()
    later = now + timedelta(minutes=11)
    assert deliver(app.extensions["sessionmaker"], _settings(controller.port), later) == (1, 0)
    assert len(box.messages) == 1


def test_no_address_or_inactive_recipient_is_not_retried(app: Flask, db, make_user) -> None:
    nobody = make_user("counselor", email="")
    enqueue(db, recipient_id=nobody.id, kind="case.new", link_path="/cases/1")
    db.commit()
    down = MailSettings("127.0.0.1", 1, "s@example.edu", BASE)
    assert deliver(app.extensions["sessionmaker"], down) == (0, 1)
    row = db.scalar(select(OutboxMessage))
    db.refresh(row)
    assert (row.status, row.last_error) == ("failed", "NoAddress")


def test_deliver_command_sends_once(app: Flask, db, make_user, runner, smtp) -> None:
    box, controller = smtp
    counselor = make_user("counselor")
    enqueue(db, recipient_id=counselor.id, kind="case.signoff", link_path="/cases/3")
    db.commit()
    app.config.update(MAIL_PORT=controller.port)
    first = runner.invoke(args=["notify", "deliver"])
    second = runner.invoke(args=["notify", "deliver"])
    assert "1 sent, 0 failed" in first.output and "0 sent" in second.output
    assert len(box.messages) == 1
