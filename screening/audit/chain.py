"""Pure core of the tamper-evident audit log: an HMAC chain over append-only entries.

Each entry's MAC covers its sequence number, the previous entry's MAC and its fields, under
the audit key from the key ring. Threat model: this detects quiet edits, deletions,
insertions and reordering by someone who can change the database but does not hold the
audit key (a DBA, a stolen backup, an SQL injection). It does NOT stop anyone holding the
audit key, who can rewrite the whole chain; and deleting entries from the END is only
detected against an expected last sequence number kept elsewhere (expected_last_seq).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

GENESIS = "0" * 64
FIRST_SEQ = 1
_LABEL = "screening-audit-v1"

FieldValue = str | int | None


def _canonical(prev_mac: str, seq: int, fields: Mapping[str, FieldValue]) -> bytes:
    """Canonical JSON of what an entry's MAC covers; refuses types that do not round-trip."""
    if type(seq) is not int or seq < FIRST_SEQ:
        raise ValueError(f"seq must be an int >= {FIRST_SEQ}")
    if not isinstance(prev_mac, str):
        raise TypeError("prev_mac must be str")
    for name, value in fields.items():
        if not isinstance(name, str):
            raise TypeError("audit field names must be str")
        if value is not None and type(value) not in (str, int):
            # bool, float, datetime... would not come back from the database unchanged.
            raise TypeError(f"audit field {name!r} must be str, int or None")
    doc = {"v": _LABEL, "seq": seq, "prev": prev_mac, "fields": dict(fields)}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_mac(key: bytes, prev_mac: str, seq: int, fields: Mapping[str, FieldValue]) -> str:
    """HMAC-SHA256 (hex) of one entry, chained to the previous entry's MAC."""
    if not isinstance(key, bytes) or len(key) < 32:
        raise ValueError("audit key must be at least 32 bytes")
    return hmac.new(key, _canonical(prev_mac, seq, fields), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainEntry:
    """One audit entry as stored: its position, the MAC it links to, its MAC and its fields."""

    seq: int
    prev_mac: str
    mac: str
    fields: Mapping[str, FieldValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Freeze the fields too, so an entry cannot change after its MAC was computed."""
        object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))


def next_entry(
    key: bytes, previous: ChainEntry | None, fields: Mapping[str, FieldValue]
) -> ChainEntry:
    """Build the entry that follows previous (or the first entry if None)."""
    seq = FIRST_SEQ if previous is None else previous.seq + 1
    prev_mac = GENESIS if previous is None else previous.mac
    return ChainEntry(seq, prev_mac, entry_mac(key, prev_mac, seq, fields), fields)


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Outcome of verify_chain: ok, the first seq where the chain breaks, and why."""

    ok: bool
    first_broken_seq: int | None
    reason: str
    checked: int = 0


def verify_chain(
    key: bytes,
    entries: Iterable[ChainEntry],
    *,
    expected_last_seq: int | None = None,
) -> VerifyResult:
    """Verify entries (in ascending seq order, from the first) and name the first break."""
    expected_seq, expected_prev, checked = FIRST_SEQ, GENESIS, 0
    for entry in entries:
        seq = entry.seq
        if seq != expected_seq:
            if type(seq) is int and seq > expected_seq:
                why = f"entry {expected_seq} is missing or out of place (found entry {seq})"
            else:
                why = f"entry {seq} is out of order or repeated (expected {expected_seq})"
            return VerifyResult(False, expected_seq, why, checked)
        if not hmac.compare_digest(str(entry.prev_mac), expected_prev):
            why = f"entry {seq} does not link to entry {seq - 1} (previous MAC differs)"
            return VerifyResult(False, seq, why, checked)
        try:
            actual = entry_mac(key, entry.prev_mac, seq, entry.fields)
        except (TypeError, ValueError):
            return VerifyResult(False, seq, f"entry {seq} has fields of an invalid type", checked)
        if not hmac.compare_digest(actual, str(entry.mac)):
            why = f"entry {seq} was altered (MAC does not match its content)"
            return VerifyResult(False, seq, why, checked)
        expected_seq, expected_prev, checked = seq + 1, entry.mac, checked + 1
    last = expected_seq - 1
    if expected_last_seq is not None and last < expected_last_seq:
        why = f"entries after {last} are missing (expected the log to reach {expected_last_seq})"
        return VerifyResult(False, expected_seq, why, checked)
    if checked == 0:
        return VerifyResult(True, None, "the audit log is empty", 0)
    return VerifyResult(True, None, f"all {checked} entries verified", checked)
