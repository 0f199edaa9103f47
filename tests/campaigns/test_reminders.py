"""Reminders reach pending students once per reminder day, with no content, through the outbox."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskCliRunner
from sqlalchemy import select

from screening.auth.models import User
from screening.campaigns.models import Assignment
from screening.db import utcnow
from screening.notify.models import OutboxMessage


def test_reminders_once_per_day_only_to_pending(
    runner: FlaskCliRunner, make_user, make_campaign, db
) -> None:
    pending, done, left = make_user("student"), make_user("student"), make_user("student")
    make_campaign(["phq9"], opens_at=utcnow() - timedelta(days=4), reminder_days="3,7")
    finished = db.scalar(select(Assignment).where(Assignment.student_id == done.id))
    finished.status = "completed"
    db.get(User, left.id).active = False  # left the university after being assigned
    db.commit()
    first = runner.invoke(args=["campaigns", "remind"])
    assert "1 reminder(s) queued." in first.output
    again = runner.invoke(args=["campaigns", "remind"])
    assert "0 reminder(s) queued." in again.output
    messages = db.scalars(select(OutboxMessage)).all()
    assert [(m.recipient_id, m.kind, m.link_path) for m in messages] == [
        (pending.id, "reminder", "/screening/")
    ]
