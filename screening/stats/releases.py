"""Statistics releases: deans see snapshots, published only when their differences are safe.

Live counts give a student away by difference: export, wait for one submission, export again,
and the cell that moved by one is that student's band. So the result counts (bands, positive and
critical flags) and the case-handling counts are published as releases, on a schedule by the
worker and when a campaign closes. A new release is published only when the table of its
differences from the previous release would itself pass the disclosure rules:

- no published entry (cell, row total, column total, grand total) moved by 1 to minimum - 1;
- no moved cell whose complement among its row's movers is below the minimum (ten new
  respondents of whom nine share a band: the moved 9 beside a moved row total of 10, or a moved
  10 beside a moved 10, would tell every newcomer's band).

Otherwise the release waits and the previous one stays published. The first release has no
previous one to be compared with; its own tables are suppressed as every table is.

Which tables: every table a viewer can be shown is a sum of the per-campaign tables checked here
(faculty by band, cohort by band, cohort by band within each faculty, faculty by positive and by
critical). Result counts only grow, and both rules survive adding rows or tables whose
differences pass them (a sum of moves that are each 0 or at least the minimum is 0 or at least
the minimum; a sum of complements that are each 0 or at least the minimum likewise), so pooled
views and trends need no check of their own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, func, insert, select
from sqlalchemy.orm import Session

from screening.campaigns.models import Assignment, Campaign
from screening.stats.models import (
    ReleasedCaseCount,
    ReleasedCount,
    ReleasedParticipation,
    ScoreCount,
    StatsRelease,
)
from screening.stats.suppression import check_minimum

#: Result dimensions kept in a release, in ReleasedCount's primary-key order.
RESULT_KEYS = (
    "campaign_id",
    "instrument_id",
    "faculty_id",
    "cohort_year",
    "band",
    "critical",
    "positive",
)
CASE_KEYS = ("faculty_id", "tier", "state", "contact", "open")
ResultKey = tuple[Any, ...]
Cells = Mapping[tuple[Hashable, Hashable], int]


# --- the differencing rule (pure) ----------------------------------------------------------------


def difference_problems(
    before: Cells, after: Cells, minimum: int, columns: Iterable[Hashable]
) -> list[str]:
    """Why publishing ``after`` beside ``before`` would reveal someone; empty when it would not.

    ``before`` and ``after`` map (row, column) to counts of one table; ``columns`` are all its
    columns (a table of one column is its own group, so the complement rule does not apply).
    """
    check_minimum(minimum)
    cols = list(dict.fromkeys(columns))
    rows = sorted({r for r, _c in (*before, *after)}, key=repr)
    moved = {(r, c): after.get((r, c), 0) - before.get((r, c), 0) for r in rows for c in cols}
    problems: list[str] = []

    def check_line(label: str, cells: dict[Hashable, int]) -> None:
        total = sum(cells.values())
        for c, d in [*cells.items(), ("total", total)]:
            if 0 < abs(d) < minimum:
                problems.append(f"{label} / {c}: moved by {d}")
        if len(cols) < 2:
            return
        for c, d in cells.items():
            if d and abs(total - d) < minimum:
                problems.append(f"{label} / {c}: {d} of {total} movers")

    for r in rows:
        check_line(repr(r), {c: moved[(r, c)] for c in cols})
    check_line("total", {c: sum(moved[(r, c)] for r in rows) for c in cols})
    return problems


# --- reading the live counts and the published release ------------------------------------------


def live_results(session: Session) -> dict[ResultKey, int]:
    """The live overall result counts summed over shards and versions (never shown to anyone)."""
    columns = [getattr(ScoreCount, name) for name in RESULT_KEYS]
    query = (
        select(*columns, func.sum(ScoreCount.n)).where(ScoreCount.subscale == "").group_by(*columns)
    )
    return {tuple(row[:-1]): int(row[-1]) for row in session.execute(query) if row[-1]}


def live_participation(session: Session) -> dict[tuple[int, int], tuple[int, int]]:
    """(campaign, faculty as assigned) -> (assigned, completed), read from the assignments'
    index alone."""
    query = (
        select(
            Assignment.campaign_id,
            Assignment.faculty_id,
            func.count(),
            func.sum(case((Assignment.status == "completed", 1), else_=0)),
        )
        .where(Assignment.faculty_id.is_not(None))
        .group_by(Assignment.campaign_id, Assignment.faculty_id)
    )
    return {(c, f): (int(a), int(done or 0)) for c, f, a, done in session.execute(query)}


def released_participation(session: Session) -> dict[tuple[int, int], tuple[int, int]]:
    """Participation of the published release."""
    rows = session.execute(
        select(
            ReleasedParticipation.campaign_id,
            ReleasedParticipation.faculty_id,
            ReleasedParticipation.assigned,
            ReleasedParticipation.completed,
        )
    )
    return {(c, f): (a, done) for c, f, a, done in rows}


def released_results(session: Session) -> dict[ResultKey, int]:
    """The result counts of the published release."""
    columns = [getattr(ReleasedCount, name) for name in RESULT_KEYS]
    return {
        tuple(row[:-1]): int(row[-1]) for row in session.execute(select(*columns, ReleasedCount.n))
    }


def released_cases(session: Session) -> dict[tuple[Any, ...], int]:
    """The case-handling counts of the published release."""
    columns = [getattr(ReleasedCaseCount, name) for name in CASE_KEYS]
    return {
        tuple(row[:-1]): int(row[-1])
        for row in session.execute(select(*columns, ReleasedCaseCount.n))
    }


def current(session: Session) -> StatsRelease | None:
    """The published release, None before the first."""
    return session.scalar(select(StatsRelease).order_by(StatsRelease.id.desc()).limit(1))


# --- the tables a release must keep safe ----------------------------------------------------------


def _result_tables(counts: Mapping[ResultKey, int]) -> dict[tuple[Any, ...], dict[Any, int]]:
    """Every checked table of the counts: table id -> {(row, column): count}."""
    tables: dict[tuple[Any, ...], dict[Any, int]] = defaultdict(lambda: defaultdict(int))
    for (campaign, instrument, faculty, cohort, band, critical, positive), n in counts.items():
        base = (campaign, instrument)
        tables[(*base, "faculty-band")][(faculty, band)] += n
        tables[(*base, "cohort-band")][(cohort, band)] += n
        tables[(*base, "faculty-cohort-band", faculty)][(cohort, band)] += n
        tables[(*base, "faculty-positive")][(faculty, bool(positive))] += n
        tables[(*base, "faculty-critical")][(faculty, bool(critical))] += n
    return tables


def _case_tables(counts: Mapping[tuple[Any, ...], int]) -> dict[tuple[Any, ...], dict[Any, int]]:
    """Cases per faculty and tier: a new case's tier is a student's result, so it is checked.

    How existing cases move between handling states says how the centre keeps up, not what a
    student answered; those moves are published with the next release.
    """
    table: dict[Any, int] = defaultdict(int)
    for (faculty, tier, *_rest), n in counts.items():
        table[(faculty, tier)] += n
    return {("cases-faculty-tier",): table}


def _columns(table_id: tuple[Any, ...], *tables: Mapping[Any, int]) -> list[Any]:
    """All columns a table can have, so a column that is empty in both still counts."""
    kind = table_id[2] if len(table_id) > 2 else table_id[0]
    if kind in ("faculty-positive", "faculty-critical"):
        return [False, True]
    return sorted({c for t in tables for _r, c in t}, key=repr)


def release_problems(
    before_results: Mapping[ResultKey, int],
    after_results: Mapping[ResultKey, int],
    before_cases: Mapping[tuple[Any, ...], int],
    after_cases: Mapping[tuple[Any, ...], int],
    minimum: int,
) -> list[str]:
    """Every reason the differences between two releases would reveal someone."""
    problems: list[str] = []
    for make, before, after in (
        (_result_tables, before_results, after_results),
        (_case_tables, before_cases, after_cases),
    ):
        old, new = make(before), make(after)
        for table_id in sorted(old.keys() | new.keys(), key=repr):
            a, b = old.get(table_id, {}), new.get(table_id, {})
            for problem in difference_problems(a, b, minimum, _columns(table_id, a, b)):
                problems.append(f"{table_id}: {problem}")
    return problems


# --- publishing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a release attempt did: "published", "unchanged" or "waiting" (with the problems)."""

    status: str
    release: StatsRelease | None
    problems: list[str] = field(default_factory=list)


def publish(
    session: Session,
    now: datetime,
    minimum: int,
    case_counts: Mapping[tuple[Any, ...], int],
    reason: str = "manual",
) -> Outcome:
    """Publish the live counts as a new release if their differences are safe; flush only."""
    published = current(session)
    after = live_results(session)
    cases = {key: n for key, n in case_counts.items() if n}
    participation = live_participation(session)
    if published is None:
        reason = "first"
    else:
        before, before_cases = released_results(session), released_cases(session)
        if (after, cases, participation) == (
            before,
            before_cases,
            released_participation(session),
        ):
            return Outcome("unchanged", published)
        problems = release_problems(before, after, before_cases, cases, minimum)
        if problems:
            return Outcome("waiting", published, problems)
    session.execute(delete(ReleasedCount))
    session.execute(delete(ReleasedCaseCount))
    session.execute(delete(ReleasedParticipation))
    if participation:
        session.execute(
            insert(ReleasedParticipation),
            [
                {"campaign_id": c, "faculty_id": f, "assigned": a, "completed": done}
                for (c, f), (a, done) in participation.items()
            ],
        )
    if after:
        session.execute(
            insert(ReleasedCount),
            [dict(zip(RESULT_KEYS, key, strict=True)) | {"n": n} for key, n in after.items()],
        )
    if cases:
        session.execute(
            insert(ReleasedCaseCount),
            [dict(zip(CASE_KEYS, key, strict=True)) | {"n": n} for key, n in cases.items()],
        )
    release = StatsRelease(published_at=now, reason=reason, cells=len(after))
    session.add(release)
    session.flush()
    return Outcome("published", release)


def due_reason(session: Session, now: datetime, interval: timedelta) -> str | None:
    """Why a release is due now ("first", "campaign_close", "schedule"), or None."""
    published = current(session)
    if published is None:
        return "first"
    closed = session.scalar(
        select(func.count())
        .select_from(Campaign)
        .where(Campaign.closes_at > published.published_at, Campaign.closes_at <= now)
    )
    if closed:
        return "campaign_close"
    if now - published.published_at >= interval:
        return "schedule"
    return None
