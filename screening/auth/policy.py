"""Password policy after NIST SP 800-63B: length and a blocklist, no composition rules.

The blocklist is Django's `common-passwords.txt.gz` (20,000 common passwords, BSD licence, see
`common-passwords.LICENSE` beside it), shipped with the project and never fetched at run time.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

MIN_SINGLE_FACTOR = 15
MIN_WITH_MFA = 8
MAX_LENGTH = 1024
COMMON_FILE = Path(__file__).resolve().parent / "common-passwords.txt.gz"


class PasswordRejected(ValueError):
    """The password does not meet the policy; `reason` names which rule and `minimum` its size."""

    def __init__(self, reason: str, minimum: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.minimum = minimum


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped blocklist, lower-cased, read once per process."""
    with gzip.open(COMMON_FILE, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip())


def minimum_length(with_mfa: bool) -> int:
    """15 characters where the password is the only factor, 8 with a second factor."""
    return MIN_WITH_MFA if with_mfa else MIN_SINGLE_FACTOR


def check(password: str, *, with_mfa: bool) -> None:
    """Raise PasswordRejected unless the password is long enough and not a common one."""
    minimum = minimum_length(with_mfa)
    if len(password) < minimum:
        raise PasswordRejected("too_short", minimum)
    if len(password) > MAX_LENGTH:
        raise PasswordRejected("too_long", MAX_LENGTH)
    if password.strip().lower() in common_passwords():
        raise PasswordRejected("common")
