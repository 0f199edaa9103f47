"""When the counselling centre will contact a student: the time limit of their open case."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from screening.cases.models import Case


def contact_due(session: Session, student_id: int) -> datetime | None:
    """The earliest time first contact is due on the student's open, unacknowledged cases.

    None when there is none (no case, or a counsellor has already acknowledged it).
    """
    return session.scalar(
        select(func.min(Case.due_at)).where(
            Case.student_id == student_id,
            Case.status != "closed",
            Case.acknowledged_at.is_(None),
        )
    )
