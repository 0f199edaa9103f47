"""The notification outbox (e-mail) and the in-app inbox of alerts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from screening.db import Base, utcnow


class OutboxMessage(Base):
    """An e-mail to send, written in the transaction that caused it; no content, only a kind.

    The worker claims a row (status 'sending', committed) before talking to the SMTP server and
    marks it 'sent' once the server accepted it, so a message is never sent twice by two
    workers; a crash between acceptance and marking may resend it once (at-least-once), with the
    same Message-ID so mail clients fold the duplicate.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending','sending','sent','failed')", name="status_known"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: What happened, e.g. "case.new", "case.escalated", "reminder": the text is built at send time.
    kind: Mapped[str] = mapped_column(String(32))
    #: Path inside the app the e-mail links to (ids only, never personal data).
    link_path: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The type of the last error (never its text: SMTP errors may echo addresses).
    last_error: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()


class Alert(Base):
    """An in-app alert for a staff member, acknowledged from the inbox."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_recipient_open", "recipient_id", "acknowledged_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    link_path: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column()
