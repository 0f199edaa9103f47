"""Risk tiers from a score: the definition's defaults, overridden by the admins' mapping (pure).

A mapping is keyed "band:<band id>" and "rule:<rule id>" with a tier each. The definition gives
the default of every key (`Band.tier`, `Rule.tier`), so with no overrides `resolve` returns
exactly `Score.alert_level`. Critical rules (e.g. PHQ-9 item 9) can be raised but never lowered
below their definition's tier: no setting can make a crisis answer disappear.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

TIERS = ("none", "moderate", "high", "crisis")


def rank(tier: str) -> int:
    """Order tiers: none < moderate < high < crisis (unknown counts as none)."""
    return TIERS.index(tier) if tier in TIERS else 0


@dataclass(frozen=True)
class Key:
    """One mappable thing of an instrument: a band or a rule, with its default tier."""

    key: str
    label: str
    default: str
    critical: bool = False


def keys(instrument: Any) -> list[Key]:
    """Every band and rule of an instrument definition, with the definition's tier."""
    found = [
        Key(f"band:{b.id}", b.label.get("en") or b.id, b.tier)
        for b in instrument.bands
        if instrument.validated
    ]
    found += [Key(f"rule:{r.id}", r.description, r.tier, r.critical) for r in instrument.rules]
    return found


def effective(instrument_keys: Iterable[Key], overrides: Mapping[str, str]) -> dict[str, str]:
    """The tier of every key: the override where valid, the default otherwise."""
    tiers: dict[str, str] = {}
    for k in instrument_keys:
        chosen = overrides.get(k.key, k.default)
        if chosen not in TIERS or (k.critical and rank(chosen) < rank(k.default)):
            chosen = k.default
        tiers[k.key] = chosen
    return tiers


def check(instrument_keys: Iterable[Key], chosen: Mapping[str, str]) -> dict[str, str]:
    """Problems with an admin's chosen tiers, per key (empty when acceptable)."""
    problems: dict[str, str] = {}
    for k in instrument_keys:
        value = chosen.get(k.key, k.default)
        if value not in TIERS:
            problems[k.key] = "unknown"
        elif k.critical and rank(value) < rank(k.default):
            problems[k.key] = "critical"
    return problems


def resolve(score: Mapping[str, Any], tiers: Mapping[str, str], fallback: str) -> str:
    """The case tier of a scored response (`Score.to_json()`) under a mapping.

    Keys the mapping does not know (a newer definition) keep the score's own alert level as a
    floor, so an unmapped band or rule never lowers the tier.
    """
    found = [tiers.get(f"rule:{f['rule_id']}", f.get("tier", "none")) for f in score["fired"]]
    band = score.get("band")
    bands = list(band.values()) if isinstance(band, Mapping) else [band]
    found += [tiers[f"band:{b}"] for b in bands if b and f"band:{b}" in tiers]
    unmapped = any(f"rule:{f['rule_id']}" not in tiers for f in score["fired"]) or any(
        b and f"band:{b}" not in tiers for b in bands
    )
    if unmapped or not tiers:
        found.append(fallback)
    return max(found, key=rank, default="none")
