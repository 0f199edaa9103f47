"""The vault: seals and opens personal data with each person's data key, and blind indexes."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import QueryableAttribute, Session

from screening.crypto import (
    Aad,
    KeyRing,
    KeyRingError,
    UnreadableError,
    WrappedKey,
    blind_index,
    new_data_key,
    open_json,
    open_text,
    seal_json,
    seal_text,
    unwrap,
    wrap,
)
from screening.db import utcnow
from screening.keys.models import KekCheck, SubjectKey
from screening.keys.sealed import Place, place, places_of, row_ref, versioned

log = logging.getLogger(__name__)
_CACHE = "vault_data_keys"


class UnreadableText(str):
    """A sealed value that could not be opened; pages show it as unreadable and go on."""

    unreadable = True
    #: The security event's reference when the value failed its integrity check (not shredded).
    ref: str | None = None

    def __html__(self) -> str:
        """In an HTML page the marker renders as the translated "unreadable" badge."""
        from screening.keys.display import badge

        return str(badge(self.ref))


UNREADABLE = UnreadableText("\u2014")


class KeyMissingError(RuntimeError):
    """The person's data key was shredded or never created."""


class Vault:
    """Seals and opens values under per-person data keys wrapped by the key ring's KEK."""

    #: Seconds between looks at the key-ring file for a KEK added by `keys rotate`.
    refresh_interval = 30.0

    def __init__(self, ring: KeyRing, refresh_interval: float | None = None) -> None:
        self.ring = ring
        if refresh_interval is not None:
            self.refresh_interval = refresh_interval
        self._next_refresh = time.monotonic() + self.refresh_interval
        self._refresh_lock = threading.Lock()
        #: What is wrong with the key-ring file now (None when it matches), reported once.
        self.problem: str | None = None

    def maybe_refresh(self, session: Session | Callable[[], Session]) -> None:
        """Look at the key-ring file at most once per refresh_interval (a stat) and reload it.

        session (or a callable giving one) is used only when the file changed, to compare the
        new ring's check values with the database's before it is taken up.
        """
        now = time.monotonic()
        if now < self._next_refresh or not self._refresh_lock.acquire(blocking=False):
            return
        try:
            self._next_refresh = now + self.refresh_interval
            self._reload(session)
        finally:
            self._refresh_lock.release()

    def refresh(self, session: Session) -> bool:
        """Reload the ring now if its file changed and matches the database; True if taken up."""
        with self._refresh_lock:
            return self._reload(session)

    def _reload(self, session: Session | Callable[[], Session]) -> bool:
        """Take up a changed key-ring file only if it matches the database; report problems."""

        def matches(candidate: KeyRing) -> bool:
            current = session if isinstance(session, Session) else session()
            problems = candidate.verify_check_values(stored_checks(current))
            if problems:
                self._report(
                    current,
                    "The key-ring file was replaced by one that does not match this database; "
                    "the keys in memory stay in use and no data key is made with the new "
                    "file. Put the key ring that belongs to this database back: "
                    + " ".join(problems),
                )
            return not problems

        try:
            changed = self.ring.refresh(accept=matches)
        except KeyRingError as exc:
            self._report(session, f"Key-ring file problem while serving: {exc}")
            return False
        if changed:
            log.info("key ring reloaded; active KEK %s", self.ring.active_kek_id)
            self.problem = None
        elif self.problem and self.problem.startswith("Key-ring file problem"):
            self.problem = None  # the file is back as it was (same file, or never changed)
        return changed

    def _report(self, session: Session | Callable[[], Session], problem: str) -> None:
        """Log a key-ring problem and alert the admins, once per distinct problem."""
        if problem == self.problem:
            return
        self.problem = problem
        log.error("%s", problem)
        current = session if isinstance(session, Session) else session()
        from screening.notify.system import raise_alert

        raise_alert(current.info["app"], "system.keyring", "/audit/security")

    def index(self, purpose: str, value: str) -> str:
        """Return the blind index of a looked-up value (student number, e-mail)."""
        return blind_index(self.ring, purpose, value)

    def ensure_key(self, session: Session, subject_id: int) -> bytes:
        """Return the person's data key, creating and wrapping one on first use."""
        cache = session.info.setdefault(_CACHE, {})
        if subject_id in cache:
            return cache[subject_id]  # type: ignore[no-any-return]
        row = session.get(SubjectKey, subject_id)
        if row is None:
            self.maybe_refresh(session)
            key = new_data_key()
            wrapped = wrap(self.ring, key, str(subject_id))
            session.add(SubjectKey(user_id=subject_id, kek_id=wrapped.kek_id, wrapped=wrapped.blob))
            session.flush()
            cache[subject_id] = key
            return key
        return self._open_key(session, row)

    def _open_key(self, session: Session, row: SubjectKey) -> bytes:
        cache = session.info.setdefault(_CACHE, {})
        if row.user_id in cache:
            return cache[row.user_id]  # type: ignore[no-any-return]
        if row.wrapped is None or row.kek_id is None:
            raise KeyMissingError(f"data key of subject {row.user_id} is shredded")
        key = unwrap(
            self.ring,
            WrappedKey(row.kek_id, row.wrapped),
            str(row.user_id),
            reload=lambda: self.refresh(session),
        )
        cache[row.user_id] = key
        return key

    def _key(self, session: Session, subject_id: int) -> bytes:
        cached = session.info.setdefault(_CACHE, {}).get(subject_id)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        row = session.get(SubjectKey, subject_id)
        if row is None:
            raise KeyMissingError(f"subject {subject_id} has no data key")
        return self._open_key(session, row)

    def load_keys(self, session: Session, subject_ids: Iterable[int]) -> None:
        """Open the data keys of many people with one query (a list page showing names)."""
        cache = session.info.setdefault(_CACHE, {})
        wanted = {i for i in subject_ids if i not in cache}
        if not wanted:
            return
        for row in session.scalars(select(SubjectKey).where(SubjectKey.user_id.in_(wanted))):
            try:
                self._open_key(session, row)
            except (UnreadableError, KeyMissingError):
                continue  # each value opened later is logged as unreadable on its own

    def seal(
        self,
        session: Session,
        subject_id: int,
        row: object,
        values: Mapping[QueryableAttribute[Any], Any],
    ) -> None:
        """Seal values into the row's sealed columns, bound to table, column, row and person.

        On a versioned row the version goes up by one and the row's other sealed values are
        sealed again under it, so every value of the row carries the same, newest version.
        """
        if not values:
            return
        row = _unproxied(row)
        wanted = {place(attribute).key: value for attribute, value in values.items()}
        old = int(getattr(row, "seal_version", 0) or 0) if versioned(row) else 0
        version = old + 1 if versioned(row) else 0
        key = self.ensure_key(session, subject_id)
        for where in places_of(row):
            if where.key in wanted:
                value = wanted.pop(where.key)
            elif versioned(row) and getattr(row, where.key) is not None:
                value = self._open_strict(session, subject_id, where, row, old)  # may raise
            else:
                continue
            aad = Aad(where.table, where.column, row_ref(row, version), str(subject_id))
            blob = (
                seal_text(key, value, aad) if where.kind == "text" else seal_json(key, value, aad)
            )
            setattr(row, where.key, blob)
        if wanted:
            raise TypeError(f"not sealed columns of {type(row).__name__}: {sorted(wanted)}")
        if versioned(row):
            row.seal_version = version  # type: ignore[attr-defined]

    def _open_strict(
        self, session: Session, subject_id: int, where: Place, row: object, version: int
    ) -> Any:
        """Open one sealed value or raise (never re-seal an unreadable value as if it were data)."""
        blob = getattr(row, where.key)
        aad = Aad(where.table, where.column, row_ref(row, version), str(subject_id))
        key = self._key(session, subject_id)
        return open_text(key, blob, aad) if where.kind == "text" else open_json(key, blob, aad)

    def open(
        self, session: Session, subject_id: int, attribute: QueryableAttribute[Any], row: object
    ) -> Any:
        """Open a row's sealed value: text (unreadable marker on failure) or JSON (None).

        A failure is logged by table, column and row, never by content.
        """
        where = place(attribute)
        row = _unproxied(row)
        if getattr(row, where.key) is None:
            return None
        version = int(getattr(row, "seal_version", 0) or 0) if versioned(row) else 0
        try:
            return self._open_strict(session, subject_id, where, row, version)
        except KeyMissingError:  # shredded: expected, not an attack
            log.warning(
                "sealed value unreadable: %s.%s row %s", where.table, where.column, row_ref(row, 0)
            )
            return UNREADABLE if where.kind == "text" else None
        except UnreadableError:
            ref = self._integrity_failed(session, where, row)
            if where.kind != "text":
                return None
            marker = UnreadableText(UNREADABLE)
            marker.ref = ref
            return marker

    def _integrity_failed(self, session: Session, where: Place, row: object) -> str:
        """Log and audit a sealed value that failed authentication; return its reference."""
        from screening.audit.security import INTEGRITY_FAILED, reference, write_later

        ref = reference()
        log.warning(
            "sealed value unreadable: %s.%s row %s (integrity check failed, ref %s)",
            where.table,
            where.column,
            row_ref(row, 0),
            ref,
        )
        write_later(
            session.info["app"],
            INTEGRITY_FAILED,
            actor_id=None,
            target_type=f"{where.table}.{where.column}"[:32],
            target_id=row_ref(row, 0),
            reason=f"ref {ref}",
        )
        return ref

    def shred(self, session: Session, subject_id: int) -> bool:
        """Destroy the person's data key for good; True if there was one to destroy."""
        row = session.get(SubjectKey, subject_id)
        session.info.setdefault(_CACHE, {}).pop(subject_id, None)
        if row is None or row.wrapped is None:
            return False
        row.wrapped = None
        row.kek_id = None
        row.shredded_at = utcnow()
        session.flush()
        return True

    def record_check_values(self, session: Session) -> None:
        """Store the check value of every KEK in the ring that the database does not know yet."""
        known = {row.kek_id for row in session.scalars(select(KekCheck))}
        for kek_id, value in self.ring.check_values().items():
            if kek_id not in known:
                session.add(KekCheck(kek_id=kek_id, check_value=value))
        session.flush()

    def check_problems(self, session: Session) -> list[str]:
        """Return why the ring does not match the database (empty when it does)."""
        return self.ring.verify_check_values(stored_checks(session))


def stored_checks(session: Session) -> dict[str, str]:
    """The check values of the keys the database expects (retired KEKs left out)."""
    rows = session.execute(
        select(KekCheck.kek_id, KekCheck.check_value).where(KekCheck.retired_at.is_(None))
    )
    return {kek_id: value for kek_id, value in rows}


def vault_of(session: Session) -> Vault:
    """Return the vault of the app this session belongs to."""
    return session.info["app"].extensions["vault"]  # type: ignore[no-any-return]


def _unproxied(row: object) -> object:
    """The mapped object behind a context proxy (Flask-Login's current_user), else the row."""
    unwrap = getattr(row, "_get_current_object", None)
    return unwrap() if callable(unwrap) else row
