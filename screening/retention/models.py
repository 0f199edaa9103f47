"""Retention periods set by admins, and legal holds that suspend purging for one student."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from screening.db import Base, utcnow
from screening.keys.sealed import sealed


class RetentionPeriod(Base):
    """An admin's retention period for one data category (defaults apply where none is set)."""

    __tablename__ = "retention_periods"

    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class LegalHold(Base):
    """A supervisor's hold on a case: nothing of its student is purged until it is lifted."""

    __tablename__ = "legal_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: Why (a court order, a complaint): sealed, as staff may name people in it.
    reason_sealed: Mapped[bytes | None] = sealed("text")
    placed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)
    lifted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lifted_at: Mapped[datetime | None] = mapped_column()
