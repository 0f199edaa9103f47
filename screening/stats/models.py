"""The de-identified statistics tables: no link to a student or a submission, by construction."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from screening.db import Base

#: Counter rows per combination of dimensions. Each submission adds to one shard picked at
#: random, so concurrent submissions of the same faculty, cohort and band rarely wait on one
#: row lock (PostgreSQL holds it until commit); readers sum the shards.
COUNT_SHARDS = 16


def _random_key() -> str:
    """A random key: rows carry no order that could be matched to submission times."""
    return uuid.uuid4().hex


class ScoreRecord(Base):
    """One scored result (or one subscale of it) reduced to coarse, non-identifying dimensions.

    There is deliberately no student id, submission id, exact time or sequential key: the
    statistics cannot be joined back to a person. This is the record of truth; the dashboards
    read its rollup, `ScoreCount`, which `stats check` compares against it.
    """

    __tablename__ = "score_records"

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


class ScoreCount(Base):
    """How many score records share one combination of dimensions (one shard of the count).

    Written in the submission's transaction beside the records, so the dashboards sum a few
    thousand counter rows instead of counting a million records. The primary key leads with the
    columns every campaign view filters on, so it is the index those views read.
    """

    __tablename__ = "score_counts"
    __table_args__ = (
        Index(
            "ix_score_counts_trend",
            "instrument_id",
            "subscale",
            "campaign_id",
            "faculty_id",
            "band",
            "n",
        ),
    )

    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instrument_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    subscale: Mapped[str] = mapped_column(String(64), primary_key=True)
    faculty_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    band: Mapped[str] = mapped_column(String(64), primary_key=True)
    critical: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    positive: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    instrument_version: Mapped[int] = mapped_column(Integer, primary_key=True)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class StatsRelease(Base):
    """One publication of the statistics: deans read the counts of the latest release only.

    Results are never shown live: a dean who exports, waits for one student to submit and
    exports again would learn that student's band by difference. A release is published only
    when its differences from the previous one pass the disclosure rules (see releases.py).
    """

    __tablename__ = "stats_releases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    published_at: Mapped[datetime] = mapped_column()
    #: Why it was published: "first", "schedule", "campaign_close" or "manual".
    reason: Mapped[str] = mapped_column(String(32))
    #: Number of result counts in the release (for the operator's log).
    cells: Mapped[int] = mapped_column(Integer, default=0)


class ReleasedCount(Base):
    """The result counts of the latest release: overall results, shards and versions summed.

    Only the latest release's counts are kept; publishing replaces them in one transaction, so a
    reader sees either the old release or the new one, never a mixture.
    """

    __tablename__ = "released_counts"
    __table_args__ = (
        Index(
            "ix_released_counts_view",
            "instrument_id",
            "campaign_id",
            "faculty_id",
            "band",
            "n",
        ),
    )

    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instrument_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    faculty_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    band: Mapped[str] = mapped_column(String(64), primary_key=True)
    critical: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    positive: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class ReleasedCaseCount(Base):
    """Case-handling counts of the latest release, per faculty, tier, state and contact time.

    ``state`` is how a case stands against its time limit; ``contact`` the band of hours from
    opening to first contact ("" when there was none). No case id, no date, no person.
    """

    __tablename__ = "released_case_counts"

    faculty_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tier: Mapped[str] = mapped_column(String(32), primary_key=True)
    state: Mapped[str] = mapped_column(String(32), primary_key=True)
    contact: Mapped[str] = mapped_column(String(16), primary_key=True)
    #: Not yet closed (open or awaiting sign-off).
    open: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class ReleasedParticipation(Base):
    """Invited and completed students per campaign and faculty (as assigned), of the latest
    release: published with the results so a page shows one moment, and read in a few rows."""

    __tablename__ = "released_participation"

    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    faculty_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assigned: Mapped[int] = mapped_column(Integer)
    completed: Mapped[int] = mapped_column(Integer)
