"""Password hashing with argon2id, bounded so that log-in bursts cannot starve other requests.

argon2id is memory-hard: each hash holds its memory cost (19 MiB at OWASP's minimum) and a
core for its duration. A per-process semaphore lets only a few hashes run at once, so a class
logging in together queues for the hasher while pages keep loading, and a worker's memory
stays bounded. Parameters come from configuration; bench/ measures their cost.
"""

from __future__ import annotations

import contextlib
import multiprocessing

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError


class Hasher:
    """argon2id hashing and verification with at most `slots` hashes running at once."""

    def __init__(self, time_cost: int, memory_kib: int, parallelism: int, slots: int = 1) -> None:
        self.argon2 = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        # A process-shared semaphore: built before gunicorn forks (preload_app), it bounds
        # hashing across all workers of the host, leaving a core free for everything else.
        self._slots = multiprocessing.BoundedSemaphore(max(1, slots))
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        """Hash a new password."""
        with self._slots:
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
        with self._slots:
            return self.argon2.verify(stored, password)

    def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = self.hash("unknown-user-dummy-password")
        return self._dummy
