"""Password hashing with argon2id; parameters come from configuration and are measured in bench/."""

from __future__ import annotations

import contextlib

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError


def make_hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    """Return an argon2id hasher; OWASP's minimum is m=19 MiB, t=2, p=1."""
    return PasswordHasher(
        time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
    )


def verify(hasher: PasswordHasher, stored: str | None, password: str) -> bool:
    """True when the password matches; a missing hash is still checked against a dummy in time."""
    if stored is None:
        with contextlib.suppress(VerificationError):
            hasher.verify(_dummy(hasher), password + "x")
        return False
    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMIES: dict[tuple[int, int, int], str] = {}


def _dummy(hasher: PasswordHasher) -> str:
    """A hash to verify against for unknown users, so timing does not reveal who exists."""
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    if key not in _DUMMIES:
        _DUMMIES[key] = hasher.hash("unknown-user-dummy-password")
    return _DUMMIES[key]
