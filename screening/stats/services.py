"""Writing de-identified statistics records in the submission's own transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from screening.instruments import Score
from screening.stats.models import ScoreRecord


def iso_week(when: datetime) -> str:
    """The ISO week of a time, e.g. "2026-W48"."""
    year, week, _day = when.isocalendar()
    return f"{year}-W{week:02d}"


def record(
    session: Session,
    *,
    campaign_id: int,
    faculty_id: int,
    cohort_year: int,
    score: Score,
    when: datetime,
) -> list[ScoreRecord]:
    """Add the de-identified records of one scored response: overall, plus one per subscale."""
    common = {
        "campaign_id": campaign_id,
        "instrument_id": score.instrument,
        "instrument_version": score.version,
        "faculty_id": faculty_id,
        "cohort_year": cohort_year,
        "week": iso_week(when),
    }
    rows = []
    if isinstance(score.band, Mapping):
        for subscale, band in score.band.items():
            rows.append(
                ScoreRecord(
                    **common,
                    subscale=subscale,
                    band=band or "",
                    critical=score.critical,
                    positive=score.positive_screen,
                )
            )
    else:
        rows.append(
            ScoreRecord(
                **common,
                subscale="",
                band=score.band or "",
                critical=score.critical,
                positive=score.positive_screen,
            )
        )
    session.add_all(rows)
    return rows
