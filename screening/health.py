"""The health check's write probe: one row per process, updated and committed on each check."""

from __future__ import annotations

import os
import socket
from datetime import datetime

from sqlalchemy import String, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from screening.db import Base, complete, utcnow


class HealthBeat(Base):
    """The last time a process could commit a write (a full disk or a read-only database fails)."""

    __tablename__ = "health_beats"

    #: host:pid of the process that checked, so checks of many processes never contend.
    probe: Mapped[str] = mapped_column(String(128), primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)


def probe_name() -> str:
    """This process's row."""
    return f"{socket.gethostname()[:100]}:{os.getpid()}"


def check_writes(session: Session) -> None:
    """Write and commit this process's row; raises whatever the database raises."""
    name = probe_name()
    done = session.execute(
        update(HealthBeat).where(HealthBeat.probe == name).values(checked_at=utcnow())
    ).rowcount  # type: ignore[attr-defined]
    if not done:
        session.add(HealthBeat(probe=name))
    complete(session)  # the probe is the write: it must reach the disk now
