"""Key-ring file: JSON document format, safe reading and private atomic writing."""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import secrets
import stat
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from screening.crypto.errors import KeyRingError

FORMAT = "screening-keyring"
FORMAT_VERSION = 1
KEY_BYTES = 32
ACTIVE = "active"
RETIRED_PENDING = "retired-pending"
INIT_HINT = "flask --app wsgi init"
_KEK_ID = re.compile(r"^k[1-9][0-9]*$")


@dataclass(frozen=True, slots=True)
class KekInfo:
    """Public description of one KEK, without its key material."""

    id: str
    created: str
    status: str


@dataclass(frozen=True, slots=True)
class Kek:
    """One KEK including its key material (kept out of repr)."""

    id: str
    key: bytes = field(repr=False)
    created: str
    status: str


@dataclass(frozen=True, slots=True)
class State:
    """Immutable snapshot of the ring; writers swap it whole so readers never see half a change."""

    keks: tuple[Kek, ...]
    active: str
    blind_key: bytes = field(repr=False)
    audit_key: bytes = field(repr=False)


def now() -> str:
    """UTC timestamp in ISO 8601 with a Z suffix."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _b64(key: bytes) -> str:
    """Standard base64 text of a key."""
    return base64.b64encode(key).decode("ascii")


def _key(value: Any, what: str, where: str) -> bytes:
    """Decode one base64 key field, refusing anything that is not exactly 32 bytes."""
    if not isinstance(value, str):
        raise KeyRingError(f"{where}: {what} is missing. Restore the key ring from its backup.")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise KeyRingError(
            f"{where}: {what} is not valid base64. Restore the key ring from its backup."
        ) from None
    if len(raw) != KEY_BYTES:
        raise KeyRingError(
            f"{where}: {what} is {len(raw)} bytes, expected {KEY_BYTES}. "
            "Restore the key ring from its backup."
        )
    return raw


def parse(doc: Any, where: str) -> State:
    """Validate a decoded key-ring document and build its state, naming the first problem."""
    fix = "Restore the key ring from its backup; do not edit it by hand."
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise KeyRingError(f"{where} is not a Screening key ring. {fix}")
    if doc.get("version") != FORMAT_VERSION:
        raise KeyRingError(
            f"{where} has key-ring format version {doc.get('version')!r}; this release reads "
            f"version {FORMAT_VERSION}. Upgrade Screening or restore a matching key ring."
        )
    raw_keks = doc.get("keks")
    if not isinstance(raw_keks, list) or not raw_keks:
        raise KeyRingError(f"{where} holds no KEKs. {fix}")
    keks: list[Kek] = []
    for item in raw_keks:
        if not isinstance(item, dict) or not _KEK_ID.match(str(item.get("id", ""))):
            raise KeyRingError(f"{where} has a KEK entry without a valid id. {fix}")
        kid = item["id"]
        if item.get("status") not in (ACTIVE, RETIRED_PENDING):
            raise KeyRingError(f"{where}: KEK {kid} has unknown status. {fix}")
        if any(k.id == kid for k in keks):
            raise KeyRingError(f"{where}: KEK {kid} appears twice. {fix}")
        key = _key(item.get("key"), f"key of KEK {kid}", where)
        keks.append(Kek(kid, key, str(item.get("created", "")), item["status"]))
    active = doc.get("active_kek")
    actives = [k.id for k in keks if k.status == ACTIVE]
    if actives != [active]:
        raise KeyRingError(
            f"{where}: active_kek is {active!r} but KEKs marked active are {actives}. {fix}"
        )
    blind = _key(doc.get("blind_index_key"), "blind_index_key", where)
    audit = _key(doc.get("audit_key"), "audit_key", where)
    if len({blind, audit, *(k.key for k in keks)}) != len(keks) + 2:
        raise KeyRingError(f"{where}: two keys are identical; keys must be independent. {fix}")
    return State(tuple(keks), str(active), blind, audit)  # checked above: an active KEK id


def dump(state: State) -> bytes:
    """Serialise a state to the key-ring JSON document."""
    doc = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "active_kek": state.active,
        "keks": [
            {"id": k.id, "key": _b64(k.key), "created": k.created, "status": k.status}
            for k in state.keks
        ],
        "blind_index_key": _b64(state.blind_key),
        "audit_key": _b64(state.audit_key),
    }
    return (json.dumps(doc, indent=2) + "\n").encode("utf-8")


def write_private(path: Path, data: bytes, *, exclusive_at: bool = False) -> Path:
    """Write data to a new owner-only file (beside path, or at path itself) and return it."""
    target = path if exclusive_at else path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


def sync_dir(directory: Path) -> None:
    """Flush a directory entry so a rename or link survives a crash."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def signature(info: os.stat_result) -> tuple[int, int, int]:
    """Identity of one version of the file; os.replace always changes the inode."""
    return (info.st_ino, info.st_mtime_ns, info.st_size)


def read_file(target: Path) -> tuple[State, tuple[int, int, int]]:
    """Check, read and parse a key-ring file, raising KeyRingError with the fix."""
    try:
        info = target.stat()
    except FileNotFoundError:
        raise KeyRingError(
            f"No key ring at {target}. For a new installation run `{INIT_HINT}`. If this "
            "installation already holds data, do NOT create a new one: restore the key "
            "ring from its backup, or the data stays unreadable."
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise KeyRingError(f"The key ring path {target} is not a regular file.")
    mode = stat.S_IMODE(info.st_mode)
    if os.name == "posix" and mode & 0o077:
        raise KeyRingError(
            f"The key ring {target} has mode {mode:04o}, so other users can read or change "
            f"it. Only its owner may have access. Fix it with: chmod 600 {target}"
        )
    try:
        text = target.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyRingError(
            f"Cannot read the key ring {target} ({type(exc).__name__}). Check that the "
            "file belongs to the user running Screening, or restore it from its backup."
        ) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise KeyRingError(
            f"The key ring {target} is not valid JSON (line {exc.lineno}, column "
            f"{exc.colno}). Restore it from its backup; do not edit it by hand."
        ) from None
    return parse(doc, f"The key ring {target}"), signature(info)
