"""Fixed aggregate queries over the published release: indexed GROUP BY, never decryption.

Deans read the counts of the latest statistics release (`ReleasedCount`), never the live
counts, so two views a submission apart cannot be subtracted (see releases.py). A view sums at
most a few thousand rows however many students took part.

Every function takes a ``Scope``: a dean tied to a faculty gets ``Scope(faculty_id)`` and the
faculty filter is part of the SQL, so other faculties' rows are never read for them. Callers choose
among these fixed queries only; no grouping or filter comes from user input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from screening.campaigns.models import Campaign, CampaignInstrument
from screening.stats.models import ReleasedCaseCount, ReleasedCount, ReleasedParticipation

#: Raw counts keyed by (group, column); they hold true values and must be suppressed first.
Counts = dict[tuple[int, str], int]


#: The number of results in a group: the sum of its counter rows.
_N = func.sum(ReleasedCount.n)


@dataclass(frozen=True)
class Scope:
    """Which rows a viewer may aggregate: one faculty, or the whole university (None)."""

    faculty_id: int | None = None


def _scoped(query: Select, scope: Scope) -> Select:
    """Add the faculty filter of a scoped viewer."""
    if scope.faculty_id is not None:
        query = query.where(ReleasedCount.faculty_id == scope.faculty_id)
    return query


def _overall(campaign_id: int, instrument_id: Any) -> list[Any]:
    """Conditions selecting the overall results of one campaign and instrument."""
    return [ReleasedCount.campaign_id == campaign_id, ReleasedCount.instrument_id == instrument_id]


def _has_results(scope: Scope, *conditions: Any) -> Any:
    """EXISTS over the counts: an index probe that stops at the first matching row."""
    query = select(ReleasedCount.n).where(*conditions)
    return _scoped(query, scope).exists()


def campaigns_with_results(session: Session, scope: Scope) -> list[tuple[int, str]]:
    """(id, name) of campaigns that have any results in scope, newest first."""
    query = (
        select(Campaign.id, Campaign.name)
        .where(_has_results(scope, ReleasedCount.campaign_id == Campaign.id))
        .order_by(Campaign.opens_at.desc(), Campaign.id.desc())
    )
    return [(cid, name) for cid, name in session.execute(query)]


def instruments_in(session: Session, campaign_id: int, scope: Scope) -> list[str]:
    """Instrument ids of a campaign that have results in scope, sorted."""
    query = select(CampaignInstrument.instrument_id).where(
        CampaignInstrument.campaign_id == campaign_id,
        _has_results(scope, *_overall(campaign_id, CampaignInstrument.instrument_id)),
    )
    return sorted(session.scalars(query))


def instruments_with_results(session: Session, scope: Scope) -> list[str]:
    """Instrument ids with results in any campaign, in scope, sorted."""
    ids = select(CampaignInstrument.instrument_id).distinct().subquery()
    query = select(ids.c.instrument_id).where(
        _has_results(scope, ReleasedCount.instrument_id == ids.c.instrument_id)
    )
    return sorted(session.scalars(query))


def bands_by_faculty(
    session: Session, campaign_id: int, instrument_id: str, scope: Scope
) -> Counts:
    """Count of results per (faculty id, band)."""
    query = _scoped(
        select(ReleasedCount.faculty_id, ReleasedCount.band, _N)
        .where(*_overall(campaign_id, instrument_id))
        .group_by(ReleasedCount.faculty_id, ReleasedCount.band),
        scope,
    )
    return {(fac, band): int(n) for fac, band, n in session.execute(query)}


def bands_by_cohort(session: Session, campaign_id: int, instrument_id: str, scope: Scope) -> Counts:
    """Count of results per (cohort year, band)."""
    query = _scoped(
        select(ReleasedCount.cohort_year, ReleasedCount.band, _N)
        .where(*_overall(campaign_id, instrument_id))
        .group_by(ReleasedCount.cohort_year, ReleasedCount.band),
        scope,
    )
    return {(year, band): int(n) for year, band, n in session.execute(query)}


def flags_by_faculty(
    session: Session, campaign_id: int, instrument_id: str, scope: Scope
) -> Counts:
    """Per faculty: results ("total"), positive screens ("positive") and critical ("critical")."""
    query = _scoped(
        select(
            ReleasedCount.faculty_id,
            _N,
            func.sum(case((ReleasedCount.positive, ReleasedCount.n), else_=0)),
            func.sum(case((ReleasedCount.critical, ReleasedCount.n), else_=0)),
        )
        .where(*_overall(campaign_id, instrument_id))
        .group_by(ReleasedCount.faculty_id),
        scope,
    )
    counts: Counts = {}
    for fac, total, positive, critical in session.execute(query):
        counts[(fac, "total")] = int(total)
        counts[(fac, "positive")] = int(positive or 0)
        counts[(fac, "critical")] = int(critical or 0)
    return counts


def bands_by_campaign(session: Session, instrument_id: str, scope: Scope) -> Counts:
    """Count of results per (campaign id, band) across all campaigns, for the trend."""
    query = _scoped(
        select(ReleasedCount.campaign_id, ReleasedCount.band, _N)
        .where(ReleasedCount.instrument_id == instrument_id)
        .group_by(ReleasedCount.campaign_id, ReleasedCount.band),
        scope,
    )
    return {(cid, band): int(n) for cid, band, n in session.execute(query)}


def participation_by_faculty(session: Session, campaign_id: int, scope: Scope) -> Counts:
    """Per faculty (the student's when assigned): assigned students ("assigned") and those who
    completed ("completed"), as of the latest release."""
    query = select(
        ReleasedParticipation.faculty_id,
        ReleasedParticipation.assigned,
        ReleasedParticipation.completed,
    ).where(ReleasedParticipation.campaign_id == campaign_id)
    if scope.faculty_id is not None:
        query = query.where(ReleasedParticipation.faculty_id == scope.faculty_id)
    counts: Counts = {}
    for fac, assigned, completed in session.execute(query):
        counts[(fac, "assigned")] = int(assigned)
        counts[(fac, "completed")] = int(completed)
    return counts


def case_counts(session: Session, scope: Scope) -> dict[str, Counts]:
    """Released case-handling counts by faculty and by tier: handling state ("faculty",
    "tier"), contact band ("contact-faculty", "contact-tier"), open or closed ("open-…")."""
    query = select(
        ReleasedCaseCount.faculty_id,
        ReleasedCaseCount.tier,
        ReleasedCaseCount.state,
        ReleasedCaseCount.contact,
        ReleasedCaseCount.open,
        ReleasedCaseCount.n,
    )
    if scope.faculty_id is not None:
        query = query.where(ReleasedCaseCount.faculty_id == scope.faculty_id)
    counts: dict[str, dict[Any, int]] = {
        "faculty": {},
        "tier": {},
        "contact-faculty": {},
        "contact-tier": {},
        "open-faculty": {},
        "open-tier": {},
    }
    for fac, tier, state, contact, is_open, n in session.execute(query):
        status = "open" if is_open else "closed"
        for key, cell in (
            ("faculty", (fac, state)),
            ("tier", (tier, state)),
            ("open-faculty", (fac, status)),
            ("open-tier", (tier, status)),
        ):
            counts[key][cell] = counts[key].get(cell, 0) + n
        if contact:
            for key, cell in (
                ("contact-faculty", (fac, contact)),
                ("contact-tier", (tier, contact)),
            ):
                counts[key][cell] = counts[key].get(cell, 0) + n
    return counts


def last_campaigns(session: Session, instrument_id: str, scope: Scope, count: int) -> list[int]:
    """Ids of the latest ``count`` campaigns with released results of the instrument in scope."""
    query = (
        select(Campaign.id)
        .where(
            _has_results(
                scope,
                ReleasedCount.campaign_id == Campaign.id,
                ReleasedCount.instrument_id == instrument_id,
            )
        )
        .order_by(Campaign.opens_at.desc(), Campaign.id.desc())
        .limit(count)
    )
    return list(session.scalars(query))


def pooled_bands(
    session: Session, campaign_ids: list[int], instrument_id: str, scope: Scope, by: str
) -> Counts:
    """Count of results per (faculty id or cohort year, band) over several campaigns pooled."""
    group = ReleasedCount.faculty_id if by == "faculty" else ReleasedCount.cohort_year
    query = _scoped(
        select(group, ReleasedCount.band, _N)
        .where(
            ReleasedCount.campaign_id.in_(campaign_ids),
            ReleasedCount.instrument_id == instrument_id,
        )
        .group_by(group, ReleasedCount.band),
        scope,
    )
    return {(g, band): int(n) for g, band, n in session.execute(query)}
