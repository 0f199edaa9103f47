"""Writing de-identified statistics in the submission's own transaction, and checking the rollup."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from screening.audit.services import append as audit
from screening.instruments import Score
from screening.stats.models import COUNT_SHARDS, ScoreCount, ScoreRecord

#: The dimensions a count is kept for, in primary-key order (the shard comes last).
DIMENSIONS = (
    "campaign_id",
    "instrument_id",
    "subscale",
    "faculty_id",
    "cohort_year",
    "band",
    "critical",
    "positive",
    "instrument_version",
)
Key = tuple[Any, ...]


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
    """Add the de-identified records of one scored response (overall, plus one per subscale)
    and add them to the dashboard counts, all in the caller's transaction."""
    common = {
        "campaign_id": campaign_id,
        "instrument_id": score.instrument,
        "instrument_version": score.version,
        "faculty_id": faculty_id,
        "cohort_year": cohort_year,
        "week": iso_week(when),
    }
    bands = score.band.items() if isinstance(score.band, Mapping) else [("", score.band)]
    rows = [
        ScoreRecord(
            **common,
            subscale=subscale,
            band=band or "",
            critical=score.critical,
            positive=score.positive_screen,
        )
        for subscale, band in bands
    ]
    session.add_all(rows)
    add_counts(session, Counter(_key(row) for row in rows))
    return rows


def _key(row: ScoreRecord) -> Key:
    """A record's dimensions in primary-key order."""
    return tuple(getattr(row, name) for name in DIMENSIONS)


def add_counts(session: Session, counts: Mapping[Key, int], shard: int | None = None) -> None:
    """Add to the counters of these keys in one shard (random unless given), creating them.

    Keys are written in sorted order so that two transactions touching the same counters lock
    them in the same order and cannot deadlock.
    """
    if not counts:
        return
    shard = secrets.randbelow(COUNT_SHARDS) if shard is None else shard
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    for key in sorted(counts, key=repr):
        values = dict(zip(DIMENSIONS, key, strict=True)) | {"shard": shard, "n": counts[key]}
        statement = insert(ScoreCount).values(values)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[*DIMENSIONS, "shard"],
                set_={"n": ScoreCount.n + statement.excluded.n},
            )
        )


def recount(session: Session) -> dict[Key, int]:
    """Counts per key computed from the records themselves (a full scan)."""
    columns = [getattr(ScoreRecord, name) for name in DIMENSIONS]
    query = select(*columns, func.count()).group_by(*columns)
    return {tuple(row[:-1]): int(row[-1]) for row in session.execute(query)}


def stored_counts(session: Session) -> dict[Key, int]:
    """Counts per key as the dashboards read them (shards summed)."""
    columns = [getattr(ScoreCount, name) for name in DIMENSIONS]
    query = select(*columns, func.sum(ScoreCount.n)).group_by(*columns)
    return {tuple(row[:-1]): int(row[-1]) for row in session.execute(query)}


def count_differences(session: Session) -> dict[Key, tuple[int, int]]:
    """Keys whose rollup disagrees with the records: key -> (records, rollup)."""
    truth, stored = recount(session), stored_counts(session)
    return {
        key: (truth.get(key, 0), stored.get(key, 0))
        for key in truth.keys() | stored.keys()
        if truth.get(key, 0) != stored.get(key, 0)
    }


def rebuild_counts(session: Session) -> int:
    """Replace the rollup with counts recomputed from the records; the number of keys.

    On PostgreSQL both tables are locked against writers until the caller commits, so a
    submission cannot land between the recount and the new counters (SQLite's write
    transaction already excludes other writers).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE score_records, score_counts IN SHARE ROW EXCLUSIVE MODE"))
    session.execute(delete(ScoreCount))
    truth = recount(session)
    add_counts(session, truth, shard=0)
    return len(truth)


def record_export(
    session: Session, actor_id: int, target_type: str, target_id: str | None = None
) -> None:
    """Audit an export of suppressed statistics (a campaign, a trend, case handling)."""
    audit(
        session,
        actor_id=actor_id,
        action="stats.export",
        target_type=target_type,
        target_id=target_id,
    )
