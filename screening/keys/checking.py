"""`keys check`: is the ring private and sound, does it match the database, does every key open."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.crypto import UnreadableError, WrappedKey, unwrap
from screening.keys.models import SubjectKey
from screening.keys.services import vault_of


@dataclass
class CheckReport:
    """What `keys check` found: problems, and how many data keys opened or failed (by user id)."""

    problems: list[str] = field(default_factory=list)
    opened: int = 0
    shredded: int = 0
    failed: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems and not self.failed


def file_problems(path: os.PathLike[str] | None) -> list[str]:
    """Problems with the key-ring file's type and permissions (none for an environment ring)."""
    if path is None:
        return []
    try:
        info = os.stat(path)
    except OSError as exc:
        return [f"Cannot read the key ring file {path} ({type(exc).__name__})."]
    mode = stat.S_IMODE(info.st_mode)
    if os.name == "posix" and mode & 0o077:
        return [
            f"The key ring {path} has mode {mode:04o}; other users can read it. "
            f"Fix it with: chmod 600 {path}"
        ]
    return []


def check(session: Session, batch: int = 1000) -> CheckReport:
    """Check the ring file, the stored check values and that every wrapped data key opens."""
    vault = vault_of(session)
    ring = vault.ring
    vault.refresh(session)
    report = CheckReport(file_problems(ring.path))
    if vault.problem:
        report.problems.append(vault.problem)
    report.problems += vault.check_problems(session)
    rows = session.execute(
        select(SubjectKey.user_id, SubjectKey.kek_id, SubjectKey.wrapped).order_by(
            SubjectKey.user_id
        )
    ).yield_per(batch)
    for user_id, kek_id, wrapped in rows:
        if wrapped is None or kek_id is None:
            report.shredded += 1
            continue
        try:
            unwrap(
                ring,
                WrappedKey(kek_id, wrapped),
                str(user_id),
                reload=lambda: vault.refresh(session),
            )
        except UnreadableError:
            report.failed.append(user_id)
        else:
            report.opened += 1
    return report
