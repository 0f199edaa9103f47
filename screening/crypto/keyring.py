"""The key ring: a private JSON file (or environment value) holding every long-lived key.

It holds key-encryption keys (KEKs) that wrap per-student data keys, one separate
blind-index key and one separate audit HMAC key. Key material never appears in reprs,
error messages or the database; the database stores only check values.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from screening.crypto.errors import KeyRingError
from screening.crypto.ringfile import (
    ACTIVE,
    INIT_HINT,
    KEY_BYTES,
    RETIRED_PENDING,
    Kek,
    KekInfo,
    State,
    dump,
    now,
    parse,
    read_file,
    signature,
    sync_dir,
    write_private,
)

DEFAULT_FILENAME = "keyring.json"
BLIND_INDEX = "blind-index"
AUDIT = "audit"


class KeyRing:
    """All long-lived keys; thread-safe (readers take an immutable snapshot)."""

    def __init__(self, state: State, path: Path | None) -> None:
        """Use create, load or from_env instead of calling this directly."""
        self._state = state
        self._path = path
        self._lock = threading.Lock()
        self._signature: tuple[int, int, int] | None = None
        self._refused: tuple[int, int, int] | None = None

    def __repr__(self) -> str:
        """Describe the ring without any key material."""
        return f"KeyRing(path={self._path!s}, active={self._state.active!r})"

    # -- construction -------------------------------------------------------------------

    @classmethod
    def generate(cls) -> KeyRing:
        """Return a new in-memory ring with one KEK and fresh blind-index and audit keys."""
        kek = Kek("k1", secrets.token_bytes(KEY_BYTES), now(), ACTIVE)
        state = State(
            (kek,), kek.id, secrets.token_bytes(KEY_BYTES), secrets.token_bytes(KEY_BYTES)
        )
        return cls(state, None)

    @classmethod
    def create(cls, path: str | os.PathLike[str]) -> KeyRing:
        """Create a new key-ring file at path (mode 0600); refuse if anything is there already."""
        target = Path(path)
        if target.exists() or target.is_symlink():
            raise KeyRingError(
                f"A key ring already exists at {target}; refusing to overwrite it, because "
                "data encrypted under it would become unreadable. Move it away first if you "
                "really mean to start over."
            )
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        ring = cls.generate()
        data = dump(ring._state)
        tmp = write_private(target, data)
        try:
            os.link(tmp, target)  # atomic and exclusive: fails if target appeared meanwhile
        except FileExistsError:
            raise KeyRingError(
                f"A key ring appeared at {target} while creating one; refusing to overwrite it."
            ) from None
        except OSError:  # file system without hard links: exclusive create, then write
            write_private(target, data, exclusive_at=True)
        finally:
            tmp.unlink(missing_ok=True)
        sync_dir(target.parent)
        ring._path = target
        ring._signature = signature(target.stat())
        return ring

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> KeyRing:
        """Load and validate the key-ring file; raise KeyRingError saying what is wrong and why."""
        target = Path(path)
        state, sig = read_file(target)
        ring = cls(state, target)
        ring._signature = sig
        return ring

    @classmethod
    def from_env(cls, value: str | None) -> KeyRing:
        """Load a ring from an environment value: the key-ring JSON, raw or base64-encoded."""
        hint = (
            "Set it to the key-ring file's content, or to `base64 -w0 keyring.json` of it, "
            f"or use a key-ring file instead (create one with `{INIT_HINT}`)."
        )
        text = (value or "").strip()
        if not text:
            raise KeyRingError(f"The key-ring environment variable is empty. {hint}")
        try:
            if not text.startswith("{"):
                text = base64.b64decode(text, validate=True).decode("utf-8")
            doc = json.loads(text)
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise KeyRingError(
                f"The key-ring environment variable is neither key-ring JSON nor base64 of it. "
                f"{hint}"
            ) from None
        return cls(parse(doc, "The key ring from the environment"), None)

    def refresh(self, accept: Callable[[KeyRing], bool] | None = None) -> bool:
        """Reload from the file if another process replaced it (e.g. `keys rotate`); True if so.

        With accept, the new file is taken up only if accept(candidate) approves it (its check
        values match the database's); a refused file is not looked at again until it changes.
        A file that is gone or unusable raises KeyRingError, and the keys in memory stay.
        """
        if self._path is None:
            return False
        with self._lock:
            current = signature(self._path.stat()) if self._path.exists() else None
            if current is not None and current in (self._signature, self._refused):
                return False
            state, sig = read_file(self._path)  # raises, with the fix, when gone or unusable
            if sig in (self._signature, self._refused):
                return False
            if accept is not None and not accept(KeyRing(state, self._path)):
                self._refused = sig
                return False
            self._state, self._signature, self._refused = state, sig, None
            return True

    def export_env(self) -> str:
        """Return this ring as a value suitable for from_env (base64 of the JSON document)."""
        return base64.b64encode(dump(self._state)).decode("ascii")

    # -- persistence ---------------------------------------------------------------------

    @property
    def path(self) -> Path | None:
        """The file this ring was loaded from or created at, or None if from the environment."""
        return self._path

    def save(self) -> None:
        """Write the ring atomically back to its file (temp file 0600, then os.replace)."""
        if self._path is None:
            raise KeyRingError(
                "This key ring came from the environment and has no file to save to. Change "
                "keys on a key-ring file, then update the environment variable from it."
            )
        with self._lock:
            tmp = write_private(self._path, dump(self._state))
            try:
                os.replace(tmp, self._path)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            sync_dir(self._path.parent)
            self._signature = signature(self._path.stat())

    # -- rotation ------------------------------------------------------------------------

    def add_kek(self) -> str:
        """Add a new KEK, make it active, keep the old ones as retired-pending; return its id."""
        with self._lock:
            state = self._state
            number = max(int(k.id[1:]) for k in state.keks) + 1
            new = Kek(f"k{number}", secrets.token_bytes(KEY_BYTES), now(), ACTIVE)
            old = tuple(replace(k, status=RETIRED_PENDING) for k in state.keks)
            self._state = replace(state, keks=(*old, new), active=new.id)
            return new.id

    def retire(self, kek_id: str) -> None:
        """Remove a non-active KEK for good; only after no wrapped key refers to it any more."""
        with self._lock:
            state = self._state
            if kek_id == state.active:
                raise KeyRingError(f"KEK {kek_id} is the active KEK; rotate before retiring it.")
            if all(k.id != kek_id for k in state.keks):
                raise KeyRingError(f"KEK {kek_id} is not in the key ring.")
            self._state = replace(state, keks=tuple(k for k in state.keks if k.id != kek_id))

    # -- access --------------------------------------------------------------------------

    @property
    def active_kek_id(self) -> str:
        """Id of the KEK that wraps new data keys."""
        return self._state.active

    def active_kek(self) -> tuple[str, bytes]:
        """The active KEK id and key, read from one snapshot so they always belong together."""
        state = self._state
        return state.active, next(k.key for k in state.keks if k.id == state.active)

    def kek(self, kek_id: str) -> bytes:
        """Key material of one KEK; KeyRingError if the ring does not hold it."""
        for k in self._state.keks:
            if k.id == kek_id:
                return k.key
        raise KeyRingError(f"KEK {kek_id} is not in the key ring (retired, or wrong key ring).")

    def keks(self) -> list[KekInfo]:
        """Public descriptions of all KEKs, oldest first."""
        return [KekInfo(k.id, k.created, k.status) for k in self._state.keks]

    @property
    def blind_index_key(self) -> bytes:
        """Key for blind indexes (lookups by student number or e-mail)."""
        return self._state.blind_key

    @property
    def audit_key(self) -> bytes:
        """Key for the audit-log HMAC chain."""
        return self._state.audit_key

    # -- check values --------------------------------------------------------------------

    def check_value(self, kek_id: str) -> str:
        """Check value of a KEK (or of "blind-index" / "audit") that is safe to store anywhere."""
        if kek_id == BLIND_INDEX:
            key = self.blind_index_key
        elif kek_id == AUDIT:
            key = self.audit_key
        else:
            key = self.kek(kek_id)
        label = b"screening-kek-check:" + kek_id.encode("utf-8")
        return hmac.new(key, label, hashlib.sha256).hexdigest()[:32]

    def check_values(self) -> dict[str, str]:
        """Check values of every KEK plus the blind-index and audit keys, for the database."""
        names = [k.id for k in self._state.keks] + [BLIND_INDEX, AUDIT]
        return {name: self.check_value(name) for name in names}

    def verify_check_values(self, stored: Mapping[str, str]) -> list[str]:
        """Compare check values stored in the database with this ring; return the problems."""
        problems: list[str] = []
        for name, expected in sorted(stored.items()):
            try:
                actual = self.check_value(name)
            except KeyRingError:
                problems.append(
                    f"The database expects key {name}, but the key ring does not hold it: "
                    "data under it cannot be read. Restore the matching key ring from backup."
                )
                continue
            if not hmac.compare_digest(actual, expected):
                problems.append(
                    f"Key {name} in the key ring does not match the database: this is the wrong "
                    "key ring for this database. Restore the matching key ring from backup."
                )
        return problems
