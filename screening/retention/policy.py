"""Retention periods per data category and the dates they give: pure, with `now` passed in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

#: The data categories with a retention period, in the order the pages show them.
CATEGORIES = ("answers", "scores", "cases", "stats", "audit", "outbox", "sessions")

#: Defaults in days; docs/privacy.md gives the reasoning for each.
DEFAULT_DAYS: dict[str, int] = {
    "answers": 365,  # raw answers and drafts: one screening year, for follow-up
    "scores": 3 * 365,  # results: change over a course of study
    "cases": 3 * 365,  # cases and notes, counted from close-out (CPS ethics code: >= 3 years)
    "stats": 10 * 365,  # de-identified statistics records: not personal data, for trends
    "audit": 3 * 365,  # who did what; at least six months (Cybersecurity Law art. 21)
    "outbox": 90,  # e-mail queue rows: only delivery troubleshooting
    "sessions": 30,  # used sign-in recovery codes and other spent tokens
}

#: Minimums that an install's configuration may raise, never lower below these floors.
DEFAULT_MINIMUM_DAYS: dict[str, int] = {
    "answers": 30,
    "scores": 30,
    "cases": 365,
    "stats": 365,
    "audit": 180,
    "outbox": 7,
    "sessions": 1,
}

Policy = Mapping[str, int]


@dataclass(frozen=True)
class TooShort:
    """A retention period below the configured minimum for its category."""

    category: str
    days: int
    minimum: int


def merged(stored: Mapping[str, int], floor: Mapping[str, int] | None = None) -> dict[str, int]:
    """The effective policy: defaults, overridden by the periods an admin stored, and never
    below the install's minimum (a minimum raised later also lengthens what was stored)."""
    lowest = floor or {}
    return {c: max(int(stored.get(c, DEFAULT_DAYS[c])), int(lowest.get(c, 0))) for c in CATEGORIES}


def minimums(configured: Mapping[str, int] | None) -> dict[str, int]:
    """The configured minimum per category (defaults where the configuration is silent)."""
    given = configured or {}
    return {c: int(given.get(c, DEFAULT_MINIMUM_DAYS[c])) for c in CATEGORIES}


def check(days: Mapping[str, int], minimum: Mapping[str, int]) -> list[TooShort]:
    """Every category whose period is shorter than its minimum (empty: the policy is valid)."""
    return [
        TooShort(c, int(days[c]), int(minimum[c]))
        for c in CATEGORIES
        if c in days and int(days[c]) < int(minimum[c])
    ]


def until(policy: Policy, category: str, start: datetime) -> datetime:
    """The date data of a category counted from `start` is due for destruction."""
    return start + timedelta(days=int(policy[category]))


def cutoff(policy: Policy, category: str, now: datetime) -> datetime:
    """Data of a category counted from before this moment is past its retention date."""
    return now - timedelta(days=int(policy[category]))


def expired(policy: Policy, category: str, start: datetime, now: datetime) -> bool:
    """True when data of a category counted from `start` is past its retention date at `now`."""
    return until(policy, category, start) <= now
