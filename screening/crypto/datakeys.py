"""Per-student data keys, wrapped (envelope encryption) under the key ring's active KEK.

Each student's answers and notes are sealed with that student's own data key; destroying
the wrapped data key ("shredding") makes them unreadable for good. Only wrapped keys are
stored in the database; rotating a KEK re-wraps data keys without touching the data.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from screening.crypto.envelope import KEY_BYTES, Aad, open_sealed, seal
from screening.crypto.errors import KeyRingError, UnreadableError
from screening.crypto.keyring import KeyRing

_WRAP_TABLE = "(data-key)"
_WRAP_COLUMN = "wrapped"


@dataclass(frozen=True, slots=True)
class WrappedKey:
    """A data key sealed under one KEK: store kek_id and blob together, per student."""

    kek_id: str
    blob: bytes = field(repr=False)


def _wrap_aad(kek_id: str, subject: str) -> Aad:
    """Bind a wrapped key to its student and KEK id, so it cannot be moved or relabelled."""
    return Aad(table=_WRAP_TABLE, column=_WRAP_COLUMN, row=kek_id, subject=subject)


def new_data_key() -> bytes:
    """Return a fresh random 256-bit data key."""
    return secrets.token_bytes(KEY_BYTES)


def wrap(ring: KeyRing, data_key: bytes, subject: str) -> WrappedKey:
    """Seal data_key under the active KEK, bound to the student (subject)."""
    if not isinstance(data_key, bytes) or len(data_key) != KEY_BYTES:
        raise ValueError(f"data key must be {KEY_BYTES} bytes")
    kek_id, kek = ring.active_kek()
    return WrappedKey(kek_id, seal(kek, data_key, _wrap_aad(kek_id, subject)))


def unwrap(
    ring: KeyRing,
    wrapped: WrappedKey,
    subject: str,
    reload: Callable[[], object] | None = None,
) -> bytes:
    """Open a wrapped data key for this student; UnreadableError if it cannot be opened.

    If the KEK is unknown and reload is given, it is called once first (the vault reloads the
    ring from its file, checked against the database), so a web process picks up a KEK that
    `keys rotate` added in another process.
    """
    try:
        kek = ring.kek(wrapped.kek_id)
    except KeyRingError:
        if reload is not None:
            reload()
        try:
            kek = ring.kek(wrapped.kek_id)
        except KeyRingError:
            raise UnreadableError(
                f"data key is wrapped under KEK {wrapped.kek_id}, which the key ring does not "
                "hold (retired, or wrong key ring)"
            ) from None
    data_key = open_sealed(kek, wrapped.blob, _wrap_aad(wrapped.kek_id, subject))
    if len(data_key) != KEY_BYTES:
        raise UnreadableError("wrapped data key has the wrong length")
    return data_key


def rewrap(ring: KeyRing, wrapped: WrappedKey, subject: str) -> WrappedKey:
    """Re-wrap under the active KEK (unchanged if already there), for rotation in batches."""
    if wrapped.kek_id == ring.active_kek_id:
        return wrapped
    return wrap(ring, unwrap(ring, wrapped, subject), subject)
