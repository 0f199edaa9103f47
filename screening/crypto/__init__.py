"""Cryptography for Screening: the only package that imports `cryptography`.

- envelope: AES-256-GCM values bound to table, column, row and student.
- keyring: the key-ring file with KEKs, the blind-index key and the audit key.
- datakeys: per-student data keys wrapped under a KEK (shredding destroys one).
- blind: keyed blind indexes to look students up without decrypting.
"""

from screening.crypto.blind import EMAIL, STUDENT_NUMBER, blind_index, normalise
from screening.crypto.datakeys import WrappedKey, new_data_key, rewrap, unwrap, wrap
from screening.crypto.envelope import (
    Aad,
    canonical_json,
    open_json,
    open_sealed,
    open_text,
    seal,
    seal_json,
    seal_text,
)
from screening.crypto.errors import CryptoError, KeyRingError, UnreadableError
from screening.crypto.keyring import AUDIT, BLIND_INDEX, DEFAULT_FILENAME, KeyRing
from screening.crypto.ringfile import KekInfo

__all__ = [
    "AUDIT",
    "BLIND_INDEX",
    "DEFAULT_FILENAME",
    "EMAIL",
    "STUDENT_NUMBER",
    "Aad",
    "CryptoError",
    "KekInfo",
    "KeyRing",
    "KeyRingError",
    "UnreadableError",
    "WrappedKey",
    "blind_index",
    "canonical_json",
    "new_data_key",
    "normalise",
    "open_json",
    "open_sealed",
    "open_text",
    "rewrap",
    "seal",
    "seal_json",
    "seal_text",
    "unwrap",
    "wrap",
]
