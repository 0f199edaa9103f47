"""Enqueue notifications in the caller's transaction; deliver them over SMTP with retries."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from screening.auth.models import User
from screening.auth.services import person
from screening.db import utcnow
from screening.notify.models import Alert, OutboxMessage

MAX_ATTEMPTS = 8
SUBJECTS = {
    "case.new": ("新的学生关注提醒", "New student alert"),
    "case.escalated": ("学生关注提醒已升级", "A student alert was escalated"),
    "case.signoff": ("需要您签字确认结案", "A case close-out needs your sign-off"),
    "reminder": ("心理健康筛查提醒", "Wellbeing screening reminder"),
}


def enqueue(
    session: Session, *, recipient_id: int, kind: str, link_path: str, alert: bool = True
) -> None:
    """Add an e-mail (and an in-app alert) to the caller's transaction."""
    session.add(OutboxMessage(recipient_id=recipient_id, kind=kind, link_path=link_path))
    if alert:
        session.add(Alert(recipient_id=recipient_id, kind=kind, link_path=link_path))


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt: 1, 2, 4 … minutes, at most an hour."""
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


@dataclass(frozen=True)
class MailSettings:
    """Where and as whom to send."""

    host: str
    port: int
    sender: str
    base_url: str


def render(
    message: OutboxMessage, recipient: User, address: str, settings: MailSettings
) -> EmailMessage:
    """The e-mail: a notice and a link to log in; never a name, a score or an instrument."""
    zh_subject, en_subject = SUBJECTS.get(message.kind, ("筛查系统通知", "Screening notice"))
    email = EmailMessage()
    email["From"] = settings.sender
    email["To"] = address
    email["Subject"] = f"{zh_subject} / {en_subject}"
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain="screening")
    link = settings.base_url.rstrip("/") + message.link_path
    email.set_content(
        f"您有一条新的通知。请登录查看：{link}\n\n"
        f"You have a new notice. Please log in to see it: {link}\n"
    )
    return email


def deliver(
    session_factory: Callable[[], Session],
    settings: MailSettings,
    now: datetime | None = None,
    limit: int = 100,
) -> tuple[int, int]:
    """Send due messages; return (sent, failed). Safe to run in several workers at once."""
    now = now or utcnow()
    sent = failed = 0
    with session_factory() as session:
        due = list(
            session.scalars(
                select(OutboxMessage.id)
                .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
                .order_by(OutboxMessage.id)
                .limit(limit)
            )
        )
    for message_id in due:
        with session_factory() as session:
            # Claim: only one worker moves the row from pending to sending.
            claimed = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending")
                .values(status="sending", attempts=OutboxMessage.attempts + 1, next_attempt_at=now)
            ).rowcount
            session.commit()
            if not claimed:
                continue
            message = session.get(OutboxMessage, message_id)
            assert message is not None
            recipient = session.get(User, message.recipient_id)
            address = person(session, recipient).email if recipient else None
            if not address or getattr(address, "unreadable", False):
                message.status, message.last_error = "failed", "NoAddress"
                session.commit()
                failed += 1
                continue
            try:
                with smtplib.SMTP(settings.host, settings.port, timeout=15) as smtp:
                    smtp.send_message(render(message, recipient, address, settings))
            except (OSError, smtplib.SMTPException) as exc:
                message.last_error = type(exc).__name__
                if message.attempts >= MAX_ATTEMPTS:
                    message.status = "failed"
                    failed += 1
                else:
                    message.status = "pending"
                    message.next_attempt_at = now + backoff(message.attempts)
                session.commit()
                continue
            message.status, message.sent_at, message.last_error = "sent", utcnow(), None
            session.commit()
            sent += 1
    return sent, failed


def recover_stuck(
    session: Session, now: datetime, older_than: timedelta = timedelta(minutes=10)
) -> int:
    """Put back messages left 'sending' by a crashed worker (they may go out once more)."""
    return session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "sending", OutboxMessage.next_attempt_at < now - older_than)
        .values(status="pending")
    ).rowcount


def open_alerts(session: Session, user: User) -> list[Alert]:
    """The user's alerts, unacknowledged first, newest first."""
    return list(
        session.scalars(
            select(Alert)
            .where(Alert.recipient_id == user.id)
            .order_by(Alert.acknowledged_at.is_not(None), Alert.created_at.desc())
            .limit(200)
        )
    )


def acknowledge(session: Session, user: User, alert_id: int) -> bool:
    """Mark one of the user's own alerts as seen; False when it is not theirs."""
    alert = session.get(Alert, alert_id)
    if alert is None or alert.recipient_id != user.id:
        return False
    alert.acknowledged_at = alert.acknowledged_at or utcnow()
    return True
