"""AES-256-GCM envelopes bound to their place in the database by associated data.

Format of a sealed value (bytes): ``version (1 byte) || nonce (12 bytes) || ciphertext || tag``.
The version byte is also authenticated, so it cannot be swapped without detection.
"""

from __future__ import annotations

import json
import secrets
import struct
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from screening.crypto.errors import UnreadableError

VERSION = 1
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
HEADER_BYTES = 1 + NONCE_BYTES
_AAD_LABEL = b"screening-aad-v1"


def _field(value: str, name: str) -> bytes:
    """Encode one AAD field with a 4-byte length prefix so field boundaries are unambiguous."""
    if not isinstance(value, str):
        raise TypeError(f"Aad.{name} must be str, not {type(value).__name__}")
    if not value:
        raise ValueError(f"Aad.{name} must not be empty (use a fixed placeholder such as '-')")
    raw = value.encode("utf-8")
    return struct.pack(">I", len(raw)) + raw


@dataclass(frozen=True, slots=True)
class Aad:
    """Where a ciphertext lives: table, column, row id and student, so it cannot be moved."""

    table: str
    column: str
    row: str
    subject: str

    def __post_init__(self) -> None:
        """Validate eagerly so a bad context fails where it is built, not deep in a request."""
        self.encode()

    def encode(self) -> bytes:
        """Return the canonical, length-prefixed byte encoding of the context."""
        return _AAD_LABEL + b"".join(
            _field(getattr(self, name), name) for name in ("table", "column", "row", "subject")
        )

    def __bytes__(self) -> bytes:
        """Same as encode(), so bytes(aad) works."""
        return self.encode()


def _check_key(key: bytes) -> None:
    """Refuse keys of the wrong type or size; that is a programming error, not a bad blob."""
    if not isinstance(key, bytes | bytearray) or len(key) != KEY_BYTES:
        raise ValueError(f"key must be {KEY_BYTES} bytes")


def _associated(version: int, aad: Aad) -> bytes:
    """Associated data actually given to AES-GCM: the version byte plus the context."""
    return bytes([version]) + aad.encode()


def seal(key: bytes, plaintext: bytes, aad: Aad) -> bytes:
    """Encrypt plaintext under key with a fresh random nonce, bound to aad."""
    _check_key(key)
    if not isinstance(plaintext, bytes | bytearray | memoryview):
        raise TypeError("plaintext must be bytes; use seal_text or seal_json for other types")
    nonce = secrets.token_bytes(NONCE_BYTES)
    body = AESGCM(bytes(key)).encrypt(nonce, bytes(plaintext), _associated(VERSION, aad))
    return bytes([VERSION]) + nonce + body


def open_sealed(key: bytes, blob: bytes, aad: Aad) -> bytes:
    """Decrypt a sealed value; raise UnreadableError on any failure, revealing nothing."""
    _check_key(key)
    if not isinstance(blob, bytes | bytearray | memoryview):
        raise UnreadableError("sealed value is not bytes")
    data = bytes(blob)
    if len(data) < HEADER_BYTES + TAG_BYTES:
        raise UnreadableError("sealed value is truncated")
    if data[0] != VERSION:
        raise UnreadableError(f"sealed value has unknown envelope version {data[0]}")
    nonce, body = data[1:HEADER_BYTES], data[HEADER_BYTES:]
    try:
        return AESGCM(bytes(key)).decrypt(nonce, body, _associated(data[0], aad))
    except InvalidTag:
        raise UnreadableError(
            "sealed value failed authentication (tampered, wrong key, or moved)"
        ) from None


def seal_text(key: bytes, text: str, aad: Aad) -> bytes:
    """Seal a str as UTF-8."""
    if not isinstance(text, str):
        raise TypeError("text must be str")
    return seal(key, text.encode("utf-8"), aad)


def open_text(key: bytes, blob: bytes, aad: Aad) -> str:
    """Open a value sealed by seal_text."""
    try:
        return open_sealed(key, blob, aad).decode("utf-8")
    except UnicodeDecodeError:
        raise UnreadableError("sealed value is not UTF-8 text") from None


def canonical_json(value: Any) -> bytes:
    """Serialise to canonical JSON (sorted keys, no spaces, no NaN) as UTF-8."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def seal_json(key: bytes, value: Any, aad: Aad) -> bytes:
    """Seal a JSON-serialisable value in canonical form."""
    return seal(key, canonical_json(value), aad)


def open_json(key: bytes, blob: bytes, aad: Aad) -> Any:
    """Open a value sealed by seal_json."""
    try:
        return json.loads(open_sealed(key, blob, aad).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise UnreadableError("sealed value is not valid JSON") from None
