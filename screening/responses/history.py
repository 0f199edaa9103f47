"""A student's screening results over time, for the counselor who holds their case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.instruments import Library
from screening.responses.models import Submission
from screening.responses.services import open_score

#: Reliable change in total score, where published (PHQ-9: McMillan, Gilbody & Richards 2010).
RELIABLE_CHANGE = {"phq9": 6}


@dataclass(frozen=True)
class PastScore:
    """One earlier screening result, for a counselor's view over time."""

    instrument: str
    submitted_at: datetime
    total: float | None
    band: Any
    change: float | None
    reliable: bool


def screening_history(
    session: Session, student_id: int, library: Library
) -> dict[str, list[PastScore]]:
    """The student's scores per instrument over time, with reliable change where defined."""
    rows = session.scalars(
        select(Submission)
        .where(Submission.student_id == student_id)
        .order_by(Submission.submitted_at)
    )
    history: dict[str, list[PastScore]] = {}
    for row in rows:
        result = open_score(session, row) or {}
        total = result.get("total")
        earlier = history.setdefault(row.instrument_id, [])
        previous = earlier[-1].total if earlier else None
        change = total - previous if total is not None and previous is not None else None
        threshold = RELIABLE_CHANGE.get(row.instrument_id)
        earlier.append(
            PastScore(
                row.instrument_id,
                row.submitted_at,
                total,
                result.get("band"),
                change,
                bool(threshold and change is not None and abs(change) >= threshold),
            )
        )
    return history
