"""The de-identified statistics table: no link to a student or a submission, by construction."""

from __future__ import annotations

import uuid

from sqlalchemy import Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from screening.db import Base


def _random_key() -> str:
    """A random key: rows carry no order that could be matched to submission times."""
    return uuid.uuid4().hex


class ScoreRecord(Base):
    """One scored result (or one subscale of it) reduced to coarse, non-identifying dimensions.

    There is deliberately no student id, submission id, exact time or sequential key: the
    statistics cannot be joined back to a person. Dimension columns are plaintext so the
    dashboards aggregate with indexed SQL and never decrypt anything.
    """

    __tablename__ = "score_records"
    __table_args__ = (
        Index(
            "ix_score_records_dashboard",
            "campaign_id",
            "instrument_id",
            "subscale",
            "faculty_id",
            "cohort_year",
            "band",
            "critical",
            "positive",
        ),
        Index(
            "ix_score_records_trend",
            "instrument_id",
            "subscale",
            "campaign_id",
            "band",
            "faculty_id",
        ),
    )

    key: Mapped[str] = mapped_column(String(32), primary_key=True, default=_random_key)
    #: The campaign (a screening round); campaigns are many students, never one person.
    campaign_id: Mapped[int] = mapped_column(Integer)
    instrument_id: Mapped[str] = mapped_column(String(64))
    instrument_version: Mapped[int] = mapped_column(Integer)
    #: Empty string for the instrument's overall result, else the subscale's id.
    subscale: Mapped[str] = mapped_column(String(64), default="")
    faculty_id: Mapped[int] = mapped_column(Integer)
    cohort_year: Mapped[int] = mapped_column(Integer)
    #: Band label id; empty for instruments without clinical bands (local questionnaires).
    band: Mapped[str] = mapped_column(String(64), default="")
    critical: Mapped[bool] = mapped_column(Boolean, default=False)
    positive: Mapped[bool] = mapped_column(Boolean, default=False)
    #: ISO week of the submission, e.g. "2026-W48": coarse on purpose.
    week: Mapped[str] = mapped_column(String(8))
