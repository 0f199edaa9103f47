"""Blind indexes: keyed hashes that find a student by student number or e-mail unencrypted.

The index is HMAC-SHA256 under the key ring's blind-index key, with the purpose as domain
separation, over a normalised value. Without the key an index reveals nothing and cannot
be confirmed by guessing; with it, equal (normalised) values give equal indexes.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
import unicodedata
from collections.abc import Callable, Mapping
from types import MappingProxyType

from screening.crypto.keyring import KeyRing

EMAIL = "email"
STUDENT_NUMBER = "student_number"
RECOVERY_CODE = "recovery_code"
PHONE = "phone"
#: Who wrote a concern report (a user id): their own reports are found, the link stays sealed.
REPORTER = "reporter"
_LABEL = b"screening-blind-v1"


def _email(value: str) -> str:
    """E-mail addresses compare without surrounding space and case (and Unicode width)."""
    return unicodedata.normalize("NFKC", value).strip().casefold()


def _student_number(value: str) -> str:
    """Student numbers compare without surrounding space (full-width digits folded by NFKC)."""
    return unicodedata.normalize("NFKC", value).strip()


def _recovery_code(value: str) -> str:
    """Recovery codes compare without spaces, hyphens and case, as people retype them."""
    return "".join(c for c in unicodedata.normalize("NFKC", value) if c.isalnum()).upper()


def _phone(value: str) -> str:
    """Phone numbers compare as digits only; +86/0086 before an 11-digit mobile is dropped."""
    text = unicodedata.normalize("NFKC", value).strip()
    digits = "".join(c for c in text if c.isdigit())
    if not (text.startswith("+") or digits.startswith("00")):
        return digits
    digits = digits.removeprefix("00")
    if digits.startswith("86") and len(digits) == 13:
        return digits[2:]
    return "+" + digits if digits else ""


NORMALISERS: Mapping[str, Callable[[str], str]] = MappingProxyType(
    {
        EMAIL: _email,
        STUDENT_NUMBER: _student_number,
        RECOVERY_CODE: _recovery_code,
        PHONE: _phone,
        REPORTER: str.strip,
    }
)


def normalise(purpose: str, value: str) -> str:
    """Normalise value the way the index for purpose does; ValueError for unknown or empty."""
    try:
        normaliser = NORMALISERS[purpose]
    except KeyError:
        raise ValueError(f"unknown blind-index purpose {purpose!r}") from None
    if not isinstance(value, str):
        raise TypeError("blind-index value must be str")
    normalised = normaliser(value)
    if not normalised:
        raise ValueError("blind-index value is empty after normalisation")
    return normalised


def blind_index(ring: KeyRing, purpose: str, value: str) -> str:
    """Return the hex blind index of value for purpose (e.g. "email", "student_number")."""
    purpose_raw = purpose.encode("utf-8")
    message = (
        _LABEL
        + struct.pack(">I", len(purpose_raw))
        + purpose_raw
        + normalise(purpose, value).encode("utf-8")
    )
    return hmac.new(ring.blind_index_key, message, hashlib.sha256).hexdigest()
