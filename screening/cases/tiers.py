"""The admins' versioned tier mappings per instrument: read the current one, save a new version."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from screening.audit.services import append as audit
from screening.cases import tiering
from screening.cases.models import TierMapping


class TierMappingError(Exception):
    """The chosen tiers were refused; `problems` maps each key to a reason code."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__(", ".join(sorted(problems)))
        self.problems = dict(problems)


def current(session: Session, instrument_id: str) -> TierMapping | None:
    """The latest mapping version of an instrument, or None (the definition's defaults apply)."""
    return session.scalar(
        select(TierMapping)
        .where(TierMapping.instrument_id == instrument_id)
        .order_by(TierMapping.version.desc())
        .limit(1)
    )


def resolve_with(session: Session, mapping: TierMapping, score: Mapping[str, Any]) -> str:
    """The tier of a scored response (`Score.to_json()`) under a stored mapping."""
    return tiering.resolve(score, mapping.tiers, score.get("alert_level", "none"))


def save(
    session: Session, instrument: Any, chosen: Mapping[str, str], actor_id: int
) -> TierMapping:
    """Store the chosen tiers as the instrument's next mapping version (audited)."""
    keys = tiering.keys(instrument)
    problems = tiering.check(keys, chosen)
    if problems:
        raise TierMappingError(problems)
    latest = session.scalar(
        select(func.max(TierMapping.version)).where(TierMapping.instrument_id == instrument.id)
    )
    mapping = TierMapping(
        instrument_id=instrument.id,
        version=(latest or 0) + 1,
        tiers=tiering.effective(keys, chosen),
        created_by=actor_id,
    )
    session.add(mapping)
    session.flush()
    audit(
        session,
        actor_id=actor_id,
        action="tiers.save",
        target_type="tier_mapping",
        target_id=str(mapping.id),
        reason=f"{instrument.id} v{mapping.version}",
    )
    return mapping
