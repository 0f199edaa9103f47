"""Password hashing with argon2id, bounded so that log-in bursts cannot starve other requests.

argon2id is memory-hard: each hash holds its memory cost (19 MiB at OWASP's minimum) and a
core for its duration. A semaphore shared by the host's workers lets only a few hashes run at
once, so a class logging in together queues for the hasher while pages keep loading, and
memory stays bounded. A request waiting for the hasher holds a worker thread, so each worker
also caps how many may wait: beyond that a log-in is answered at once with "busy, try again"
(HasherBusy) instead of taking the last threads every other page needs.
Parameters come from configuration; bench/ measures their cost.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
from collections.abc import Iterator

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError


class HasherBusy(RuntimeError):
    """Too many requests of this worker are waiting for the hasher: try again shortly."""


class Hasher:
    """argon2id hashing and verification with at most `slots` hashes running at once (per
    host) and at most `waiting` requests waiting for them (per worker process)."""

    def __init__(
        self, time_cost: int, memory_kib: int, parallelism: int, slots: int = 1, waiting: int = 64
    ) -> None:
        self.argon2 = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        # A process-shared semaphore: built before gunicorn forks (preload_app), it bounds
        # hashing across all workers of the host, leaving a core free for everything else.
        self._slots = multiprocessing.BoundedSemaphore(max(1, slots))
        # Per process: each forked worker gets its own copy of this (unheld) semaphore.
        self._waiting = threading.BoundedSemaphore(max(1, waiting))
        self._dummy: str | None = None

    @contextlib.contextmanager
    def _turn(self) -> Iterator[None]:
        """Wait for a hashing slot, unless this worker already has `waiting` requests waiting."""
        if not self._waiting.acquire(blocking=False):
            raise HasherBusy
        try:
            with self._slots:
                yield
        finally:
            self._waiting.release()

    def hash(self, password: str) -> str:
        """Hash a new password."""
        with self._turn():
            return self.argon2.hash(password)

    def check_needs_rehash(self, stored: str) -> bool:
        """True when a stored hash uses older parameters than the configured ones."""
        return self.argon2.check_needs_rehash(stored)

    def verify(self, stored: str | None, password: str) -> bool:
        """True when the password matches; an unknown user costs the same time as a known one."""
        if stored is None:
            with contextlib.suppress(VerificationError):
                self._verify(self._dummy_hash(), password + "x")
            return False
        try:
            return self._verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def _verify(self, stored: str, password: str) -> bool:
        with self._turn():
            return self.argon2.verify(stored, password)

    def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = self.hash("unknown-user-dummy-password")
        return self._dummy
