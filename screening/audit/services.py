"""Appending to and verifying the audit chains."""

from __future__ import annotations

import hmac
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from screening.audit.chain import GENESIS, ChainEntry, entry_mac, verify_chain
from screening.audit.models import AuditEntry, AuditHead
from screening.db import for_writing, utcnow

CHAINS = 8


def _key(session: Session) -> bytes:
    return session.info["app"].extensions["vault"].ring.audit_key  # type: ignore[no-any-return]


def _fields(entry: AuditEntry) -> dict[str, str | int | None]:
    return {
        "at": entry.at.isoformat(),
        "actor_id": entry.actor_id,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "reason": entry.reason,
        "chain": entry.chain,
    }


def _create_head(session: Session, chain: int) -> None:
    """Insert a chain's empty head unless another writer just did (no duplicate-key error)."""
    values = {"chain": chain, "seq": 0, "mac": GENESIS}
    if session.get_bind().dialect.name == "postgresql":
        session.execute(pg_insert(AuditHead).values(values).on_conflict_do_nothing())
    else:
        session.execute(sqlite_insert(AuditHead).values(values).on_conflict_do_nothing())


def append(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    target_type: str | None = None,
    target_id: str | None = None,
    reason: str | None = None,
) -> AuditEntry:
    """Append an entry to one chain inside the caller's transaction (committed with it)."""
    # The view marks a GET that audits with db.for_writing(session); this is the safety net
    # for an audited read whose view does not (a security event in a request hook).
    for_writing(session)
    chain = random.randrange(CHAINS)  # noqa: S311 - load spreading, not security
    head = session.scalar(select(AuditHead).where(AuditHead.chain == chain).with_for_update())
    if head is None:
        _create_head(session, chain)
        head = session.scalar(select(AuditHead).where(AuditHead.chain == chain).with_for_update())
        assert head is not None
    entry = AuditEntry(
        chain=chain,
        seq=head.seq + 1,
        at=utcnow(),
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=reason,
        prev_mac=head.mac,
    )
    entry.mac = entry_mac(_key(session), entry.prev_mac, entry.seq, _fields(entry))
    head.seq, head.mac = entry.seq, entry.mac
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    """The verification of one chain."""

    chain: int
    entries: int
    ok: bool
    first_broken_seq: int | None
    reason: str


def _entries(session: Session, chain: int) -> Iterator[ChainEntry]:
    rows = session.scalars(
        select(AuditEntry).where(AuditEntry.chain == chain).order_by(AuditEntry.id)
    )
    for row in rows:
        yield ChainEntry(seq=row.seq, prev_mac=row.prev_mac, mac=row.mac, fields=_fields(row))


Anchor = dict[int, tuple[int, str]]
ANCHOR_FORMAT = "screening-audit-anchor"


class AnchorError(ValueError):
    """An anchor line that cannot be read."""


def anchor(session: Session) -> dict[str, object]:
    """The chain heads (last seq and MAC per chain) for operators to record outside the server."""
    heads = session.scalars(select(AuditHead).order_by(AuditHead.chain))
    return {
        "format": ANCHOR_FORMAT,
        "at": utcnow().isoformat().replace("+00:00", "Z"),
        "heads": {str(h.chain): [h.seq, h.mac] for h in heads},
    }


def parse_anchor(text: str) -> Anchor:
    """Read the last non-empty line of an anchor file written from `audit anchor`."""
    lines = [line for line in text.splitlines() if line.strip()]
    try:
        doc = json.loads(lines[-1])
        if doc.get("format") != ANCHOR_FORMAT:
            raise ValueError
        return {int(c): (int(v[0]), str(v[1])) for c, v in doc["heads"].items()}
    except (IndexError, ValueError, KeyError, TypeError, AttributeError):
        raise AnchorError("The anchor file does not end with a line from `audit anchor`.") from None


def _check_chain(
    key: bytes,
    chain: int,
    entries: list[ChainEntry],
    head: AuditHead | None,
    pin: tuple[int, str] | None,
) -> ChainReport:
    result = verify_chain(key, entries, expected_last_seq=pin[0] if pin else None)
    ok, first, reason = result.ok, result.first_broken_seq, result.reason
    last_seq = entries[-1].seq if entries else 0
    last_mac = entries[-1].mac if entries else GENESIS
    if ok and pin is not None and pin[0] > 0:
        anchored = next((e for e in entries if e.seq == pin[0]), None)
        if anchored is None or not hmac.compare_digest(anchored.mac, pin[1]):
            ok, first = False, pin[0]
            reason = f"entry {pin[0]} differs from the anchor: the chain was rewritten"
    if ok and head is not None and (last_seq, last_mac) != (head.seq, head.mac):
        ok, first = False, last_seq + 1
        reason = "entries after this sequence number were removed (head differs)"
    return ChainReport(chain, len(entries), ok, first, reason)


def verify(session: Session, anchor: Anchor | None = None) -> list[ChainReport]:
    """Verify every chain against its head (and an anchor); name the first broken seq."""
    heads = {h.chain: h for h in session.scalars(select(AuditHead))}
    chains = set(heads) | set(session.scalars(select(AuditEntry.chain).distinct()))
    chains |= set(anchor or {})
    key = _key(session)
    return [
        _check_chain(
            key, chain, list(_entries(session, chain)), heads.get(chain), (anchor or {}).get(chain)
        )
        for chain in sorted(chains)
    ]


def record_reading(session: Session, actor_id: int, action: str, reason: str | None = None) -> None:
    """Audit an administrator's own use of the audit log (view, export, verify)."""
    append(session, actor_id=actor_id, action=action, target_type="audit", reason=reason)
