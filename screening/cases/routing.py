"""Who gets a case: pure choices over candidates, testable without a database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

TIER_RANK = {"moderate": 1, "high": 2, "crisis": 3}
DEFAULT_SLA_HOURS = {"crisis": 1, "high": 24, "moderate": 72}


@dataclass(frozen=True)
class Candidate:
    """A counselor who could take a case, with their current open caseload."""

    user_id: int
    open_cases: int


def pick(candidates: Sequence[Candidate]) -> int | None:
    """The counselor with the fewest open cases (lowest id on a tie), or None."""
    if not candidates:
        return None
    return min(candidates, key=lambda c: (c.open_cases, c.user_id)).user_id


def higher(tier: str, other: str) -> str:
    """The more urgent of two tiers."""
    return tier if TIER_RANK[tier] >= TIER_RANK[other] else other


def due(opened: datetime, tier: str, sla_hours: Mapping[str, float]) -> datetime:
    """When first contact is due for a tier."""
    return opened + timedelta(hours=sla_hours.get(tier, DEFAULT_SLA_HOURS[tier]))
