"""Drafts and submitted responses: answers and scores sealed, bound to their row and student."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from screening.db import Base, utcnow
from screening.keys.sealed import sealed


class Draft(Base):
    """Answers saved so far for one instrument of an assignment (sealed); gone on submit."""

    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("assignment_id", "instrument_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    instrument_id: Mapped[str] = mapped_column(String(64))
    answers_sealed: Mapped[bytes | None] = sealed("json")
    #: Raised by every sealed write; bound into the sealed values, so an old one cannot return.
    seal_version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Submission(Base):
    """One submitted instrument: exactly one per assignment and instrument, one per token.

    The answers and the score (total, band, fired rules) are clinical data and are sealed;
    plaintext columns say only which definition was answered, so the response re-scores and
    re-renders with its own version.
    """

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("assignment_id", "instrument_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    instrument_id: Mapped[str] = mapped_column(String(64))
    instrument_version: Mapped[int] = mapped_column(Integer)
    definition_digest: Mapped[str] = mapped_column(String(64))
    #: The single-use token of the form that was posted: a resubmission finds this row.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    consent_version: Mapped[str] = mapped_column(String(32))
    #: Language the wording was shown in.
    lang: Mapped[str] = mapped_column(String(16))
    answers_sealed: Mapped[bytes | None] = sealed("json")
    score_sealed: Mapped[bytes | None] = sealed("json")
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
