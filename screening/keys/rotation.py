"""KEK rotation: add a KEK, re-wrap every data key in small transactions, retire the old KEK."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from screening import db
from screening.audit.services import append as audit
from screening.crypto import KeyRingError, WrappedKey, rewrap
from screening.db import utcnow
from screening.keys.models import KekCheck, SubjectKey
from screening.keys.services import vault_of

BATCH = 500


class RotationError(RuntimeError):
    """A rotation or retirement step that must not go ahead; the message says why."""


def start_rotation(session: Session) -> str:
    """Add a new active KEK, save the ring file and record its check value; return its id."""
    vault = vault_of(session)
    ring = vault.ring
    if ring.path is None:
        raise RotationError(
            "The key ring comes from an environment variable and cannot be changed here. "
            "Rotate on a key-ring file, then update the variable from it."
        )
    kek_id = ring.add_kek()
    ring.save()
    vault.record_check_values(session)
    audit(session, actor_id=None, action="keys.rotate", target_type="kek", target_id=kek_id)
    return kek_id


def _pending(session: Session, active: str) -> object:
    return (SubjectKey.wrapped.is_not(None)) & (SubjectKey.kek_id != active)


def remaining(session: Session) -> int:
    """How many data keys are still wrapped under a KEK other than the active one."""
    active = vault_of(session).ring.active_kek_id
    count = session.scalar(select(func.count()).where(_pending(session, active)))  # type: ignore[arg-type]
    return int(count or 0)


def rewrap_batch(session: Session, size: int = BATCH) -> int:
    """Re-wrap up to size data keys under the active KEK, skipping rows others hold locked."""
    ring = vault_of(session).ring
    active = ring.active_kek_id
    query = (
        select(SubjectKey)
        .where(_pending(session, active))  # type: ignore[arg-type]
        .order_by(SubjectKey.user_id)
        .limit(size)
        .with_for_update(skip_locked=True)
    )
    done = 0
    for row in session.scalars(query):
        assert row.kek_id is not None and row.wrapped is not None
        new = rewrap(ring, WrappedKey(row.kek_id, row.wrapped), str(row.user_id))
        row.kek_id, row.wrapped = new.kek_id, new.blob
        done += 1
    session.flush()
    return done


def rewrap_all(
    new_session: Callable[[], AbstractContextManager[Session]],
    *,
    size: int = BATCH,
    pause: float = 0.2,
    settle: float = 0.0,
) -> int:
    """Re-wrap in committed batches until no key is left on an old KEK; return how many.

    settle keeps looking for that many seconds after the first empty pass, to catch keys
    that web processes wrapped under the old KEK before they noticed the new one.
    """
    total = 0
    quiet_since: float | None = None
    while True:
        with new_session() as session:
            done = rewrap_batch(session, size)
            db.complete(session)
            left = remaining(session) if done == 0 else 1
        total += done
        if left:
            quiet_since = None
            if done == 0:
                time.sleep(pause)  # the remaining rows are locked by others for a moment
            continue
        quiet_since = quiet_since or time.monotonic()
        if time.monotonic() - quiet_since >= settle:
            return total
        time.sleep(pause)


def usage(session: Session) -> dict[str, int]:
    """Number of live wrapped data keys per KEK id."""
    rows = session.execute(
        select(SubjectKey.kek_id, func.count())
        .where(SubjectKey.wrapped.is_not(None))
        .group_by(SubjectKey.kek_id)
    ).all()
    return {str(kek_id): int(count) for kek_id, count in rows}


def retire(session: Session, kek_id: str) -> None:
    """Remove a KEK from the ring once no data key uses it, and mark its check value retired."""
    vault = vault_of(session)
    ring = vault.ring
    if ring.path is None:
        raise RotationError(
            "The key ring comes from an environment variable and cannot be changed here."
        )
    vault.refresh(session)
    if vault.problem:
        raise RotationError(vault.problem)
    in_use = usage(session).get(kek_id, 0)
    if in_use:
        raise RotationError(
            f"{in_use} data keys are still wrapped under {kek_id}; run `keys rotate` again "
            "to finish re-wrapping, then retire."
        )
    try:
        ring.retire(kek_id)
    except KeyRingError as exc:
        raise RotationError(str(exc)) from exc
    check = session.get(KekCheck, kek_id)
    if check is not None:
        check.retired_at = utcnow()
    audit(session, actor_id=None, action="keys.retire", target_type="kek", target_id=kek_id)
    session.flush()
    ring.save()
