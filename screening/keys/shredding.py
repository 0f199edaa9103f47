"""Crypto-shredding one person, with a ledger file that is re-applied after a restore."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.audit.services import append as audit
from screening.db import utcnow
from screening.keys.models import ShredRecord, SubjectKey
from screening.keys.services import vault_of

LEDGER_NAME = "shred-ledger.jsonl"


class LedgerError(ValueError):
    """The shred ledger file cannot be read; the message names the line."""


def ledger_path(session: Session) -> Path:
    """The shred ledger file in the app's instance folder."""
    return Path(session.info["app"].instance_path) / LEDGER_NAME


def _append_line(path: Path, line: dict[str, object]) -> None:
    """Append one JSON line to the ledger, owner-only, flushed to disk before returning."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (json.dumps(line, separators=(",", ":")) + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def shred(session: Session, user_id: int, *, reason: str | None = None) -> bool:
    """Destroy a person's data key, record it in the database and the ledger file, audit it.

    The ledger line is written (and synced) before the caller commits: a crash between the
    two leaves a ledger line for a shred the operator asked for, which reapply completes.
    """
    destroyed = vault_of(session).shred(session, user_id)
    if not destroyed:
        return False
    record = ShredRecord(user_id=user_id, shredded_at=utcnow())
    session.add(record)
    audit(
        session,
        actor_id=None,
        action="keys.shred",
        target_type="user",
        target_id=str(user_id),
        reason=reason,
    )
    session.flush()
    at = record.shredded_at.isoformat().replace("+00:00", "Z")
    _append_line(ledger_path(session), {"user_id": user_id, "shredded_at": at})
    return True


def read_ledger(path: Path) -> list[int]:
    """User ids in a ledger file, in order; LedgerError naming the first bad line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LedgerError(f"No shred ledger at {path}.") from None
    ids: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)["user_id"]
        except (ValueError, KeyError, TypeError):
            raise LedgerError(f"Line {number} of {path} is not a shred record.") from None
        if type(value) is not int:
            raise LedgerError(f"Line {number} of {path} has no valid user id.")
        ids.append(value)
    return ids


def reapply(session: Session, user_ids: Iterable[int]) -> int:
    """Shred again every listed person whose data key came back (restore); return how many."""
    vault = vault_of(session)
    known = set(session.scalars(select(ShredRecord.user_id)))
    count = 0
    for user_id in dict.fromkeys(user_ids):
        if vault.shred(session, user_id):
            count += 1
            audit(
                session,
                actor_id=None,
                action="keys.reshred",
                target_type="user",
                target_id=str(user_id),
            )
        if user_id not in known:
            session.add(ShredRecord(user_id=user_id, shredded_at=utcnow()))
            known.add(user_id)
    session.flush()
    return count


def not_applied(session: Session, ledger_ids: Iterable[int]) -> list[int]:
    """People shredded (in the ledger file or the database's ledger) whose data key is back."""
    shredded = set(ledger_ids) | set(session.scalars(select(ShredRecord.user_id)))
    if not shredded:
        return []
    readable = select(SubjectKey.user_id).where(
        SubjectKey.wrapped.is_not(None), SubjectKey.user_id.in_(sorted(shredded))
    )
    return sorted(session.scalars(readable))


def ledger_ids(session: Session, path: Path | None = None) -> list[int]:
    """User ids in the ledger file (none when there is no file yet); LedgerError if unreadable."""
    path = path or ledger_path(session)
    if not path.exists():
        return []
    return read_ledger(path)
