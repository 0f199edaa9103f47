"""Process measures of case handling (pure): time to first contact, share within time, overdue.

`process_measures` takes plain facts, so the statistics dashboards can reuse it on any slice.
A case counts as handled within time when first contact was recorded by its due time; open
cases past their due time without contact count as overdue (and as not within time).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from statistics import median


@dataclass(frozen=True)
class CaseFacts:
    """What the measures need of one case; no person, no clinical detail."""

    tier: str
    faculty: str
    opened_at: datetime
    due_at: datetime
    acknowledged_at: datetime | None
    closed: bool
    #: psych, academic, self_referral or concern (how the case came to light).
    kind: str = "psych"


@dataclass(frozen=True)
class Measure:
    """Counts for one group of cases."""

    group: Hashable
    cases: int
    contacted: int
    within_time: int
    overdue: int
    median_hours_to_contact: float | None

    @property
    def share_within_time(self) -> float | None:
        """Within time / cases whose due time has passed or that were contacted."""
        judged = self.contacted + self.overdue
        return self.within_time / judged if judged else None


def process_measures(
    cases: Iterable[CaseFacts],
    now: datetime,
    key: Callable[[CaseFacts], Hashable] = lambda c: (c.tier, c.faculty),
) -> list[Measure]:
    """Measures per group (by default per tier and faculty), groups in sorted order."""
    groups: dict[Hashable, list[CaseFacts]] = {}
    for c in cases:
        groups.setdefault(key(c), []).append(c)
    result = []
    for group in sorted(groups, key=str):
        members = groups[group]
        hours = [
            (c.acknowledged_at - c.opened_at).total_seconds() / 3600
            for c in members
            if c.acknowledged_at is not None
        ]
        result.append(
            Measure(
                group=group,
                cases=len(members),
                contacted=len(hours),
                within_time=sum(
                    1 for c in members if c.acknowledged_at and c.acknowledged_at <= c.due_at
                ),
                overdue=sum(
                    1
                    for c in members
                    if c.acknowledged_at is None and not c.closed and c.due_at < now
                ),
                median_hours_to_contact=round(median(hours), 1) if hours else None,
            )
        )
    return result
