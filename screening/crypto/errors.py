"""Exceptions raised by the cryptography package."""


class CryptoError(Exception):
    """Base class so callers can catch every failure of this package at once."""


class KeyRingError(CryptoError):
    """The key ring is missing, unreadable, malformed or unsafe; the message says what to do."""


class UnreadableError(CryptoError):
    """A sealed value or wrapped key cannot be opened; never carries plaintext or key material."""
