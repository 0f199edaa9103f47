"""Publishing a statistics release in tests, as the worker and `flask stats release` do."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from screening.cases.register import handling_cells
from screening.db import utcnow
from screening.stats import releases


def publish_release(db: Session, now: datetime | None = None) -> releases.Outcome:
    """Try to publish the live counts and case handling as a release (minimum 10); commit."""
    when = now or utcnow()
    outcome = releases.publish(db, when, 10, handling_cells(db, when), "manual")
    db.commit()
    return outcome
