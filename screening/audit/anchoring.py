"""Chain heads written on a schedule to a file outside the database, checked on every write.

Each line is one `audit anchor` document. Before a new line is added, every chain is verified
against the last line: a chain that no longer reaches its anchored entry, or whose anchored
entry changed, was rewritten or cut, and nothing new is anchored over it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from screening.audit.services import Anchor, ChainReport, anchor, parse_anchor, verify


@dataclass(frozen=True)
class AnchorResult:
    """What one anchoring round found: written or not, and the chains that did not match."""

    written: bool
    broken: list[ChainReport]
    compared: bool


def read_last(path: Path) -> Anchor | None:
    """The last anchor in the file; None when there is none yet; AnchorError if unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    if not text.strip():
        return None
    return parse_anchor(text)


def _append(path: Path, line: str) -> None:
    """Append one line, owner-only, on disk before returning."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def anchor_to_file(session: Session, path: Path) -> AnchorResult:
    """Verify the chains against the file's last anchor; if all match, append the heads now."""
    pinned = read_last(path)
    broken = [r for r in verify(session, anchor=pinned) if not r.ok]
    if broken:
        return AnchorResult(False, broken, pinned is not None)
    _append(path, json.dumps(anchor(session), separators=(",", ":"), sort_keys=True))
    return AnchorResult(True, [], pinned is not None)


def last_anchored_at(path: Path) -> datetime | None:
    """When the worker last wrote the chain heads to the anchor file (None: never, unreadable)."""
    try:
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return datetime.fromisoformat(str(json.loads(lines[-1])["at"]).replace("Z", "+00:00"))
    except (OSError, IndexError, ValueError, KeyError, TypeError):
        return None
