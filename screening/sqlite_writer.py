"""SQLite writers queue for the database instead of sleeping in SQLite's busy handler.

SQLite lets one transaction write at a time. A connection that finds the lock taken sleeps and
retries with growing pauses (up to 100 ms each), so under a burst some requests lose the race
again and again and wait seconds while the lock is free most of that time. Here a connection
takes a per-database lock before ``BEGIN IMMEDIATE`` and frees it right after ``COMMIT`` or
``ROLLBACK``: threads of a process queue on a thread lock, processes on ``flock`` of a file
beside the database, and the next writer starts as soon as the previous one ends.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from typing import Any

try:
    import fcntl
except ImportError:  # not POSIX: SQLite's own busy handler still serialises writers
    fcntl = None  # type: ignore[assignment]

#: How long a writer waits for the lock before failing as SQLite's busy timeout would.
WAIT_SECONDS = 30.0
_thread_locks: dict[str, threading.Lock] = {}
_guard = threading.Lock()


def _thread_lock(path: str) -> threading.Lock:
    """The lock the threads of this process share for one database file."""
    with _guard:
        return _thread_locks.setdefault(path, threading.Lock())


def lock_path(database: str) -> str | None:
    """The lock file of a database path; None for in-memory and URI databases."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return os.path.abspath(database) + "-writer"


class QueuedConnection(sqlite3.Connection):
    """A sqlite3 connection that holds the writer lock from BEGIN IMMEDIATE to its end."""

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._lock_path = lock_path(os.fspath(database))
        self._fd: int | None = None
        self._held: threading.Lock | None = None

    def begin_immediate(self) -> None:
        """Queue for the writer lock, then begin a write transaction."""
        self._acquire()
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._release()
            raise

    def commit(self) -> None:
        """Commit, then let the next writer in."""
        try:
            super().commit()
        finally:
            self._release()

    def rollback(self) -> None:
        """Roll back, then let the next writer in."""
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        """Close the connection and its lock file."""
        try:
            super().close()
        finally:
            self._release()
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def _acquire(self) -> None:
        if self._lock_path is None or self._held is not None:
            return
        deadline = time.monotonic() + WAIT_SECONDS
        lock = _thread_lock(self._lock_path)
        if not lock.acquire(timeout=WAIT_SECONDS):
            raise sqlite3.OperationalError("database is locked (waited for the writer queue)")
        try:
            self._lock_file(deadline)
        except BaseException:
            lock.release()
            raise
        self._held = lock

    def _lock_file(self, deadline: float) -> None:
        """Take the file lock other processes use; polled so that waiting can time out."""
        if fcntl is None or self._lock_path is None:
            return
        if self._fd is None:
            self._fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        pause = 0.0002
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise sqlite3.OperationalError("database is locked (another process)") from None
                time.sleep(pause)
                pause = min(pause * 2, 0.002)

    def _release(self) -> None:
        lock, self._held = self._held, None
        if lock is None:
            return
        if fcntl is not None and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        lock.release()
