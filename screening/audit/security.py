"""Security events (`security.*` audit entries): written on their own, counted, burst-alerted.

A refused request rolls back, so its security event is written in a transaction of its own.
Every `security.*` action counts, whoever writes it (log-in throttling and MFA write theirs
through `append` directly): the burst check counts rows, not calls of this module.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from screening import db
from screening.audit.models import AuditEntry
from screening.audit.services import append
from screening.db import new_session, utcnow

log = logging.getLogger(__name__)

PREFIX = "security."
ACCESS_DENIED = "security.access_denied"
OUT_OF_SCOPE_CASE = "security.out_of_scope_case"
CSRF_FAILED = "security.csrf_failed"
RATE_LIMITED = "security.rate_limited"
INTEGRITY_FAILED = "security.integrity_failed"
#: The same event (action, actor, target) is written at most once per this many seconds per
#: process, so a flood of refused requests cannot flood the audit log.
REPEAT_SECONDS = 10.0
_recent: dict[tuple[int, str, int | None, str | None, str | None], float] = {}
_recent_lock = threading.Lock()


def reference() -> str:
    """A short reference a user can quote and an admin can find in the security view."""
    return secrets.token_hex(4).upper()


def _fresh(key: tuple[int, str, int | None, str | None, str | None]) -> bool:
    """True unless the same event was written by this process a moment ago."""
    now = time.monotonic()
    with _recent_lock:
        if len(_recent) > 10_000:
            _recent.clear()
        if now - _recent.get(key, -REPEAT_SECONDS) < REPEAT_SECONDS:
            return False
        _recent[key] = now
        return True


def write(
    app: Flask,
    action: str,
    *,
    actor_id: int | None,
    target_type: str | None = None,
    target_id: str | None = None,
    reason: str | None = None,
    deduplicated: bool = False,
) -> None:
    """Write one security event in its own committed transaction, then check for a burst.

    The caller's request is being refused: its own session must hold no write lock (SQLite),
    so callers roll it back first. A failure to write is logged, never raised.
    """
    if not action.startswith(PREFIX):
        raise ValueError(f"{action!r} is not a security event")
    if not deduplicated and not _fresh((id(app), action, actor_id, target_type, target_id)):
        return
    log.warning("%s actor=%s target=%s %s", action, actor_id, target_type, target_id)
    try:
        with new_session(app) as session:
            append(
                session,
                actor_id=actor_id,
                action=action,
                target_type=target_type,
                target_id=(target_id or "")[:64] or None,
                reason=(reason or "")[:500] or None,
            )
            check_burst(session, app.config)
            db.complete(session)
    except Exception as exc:  # the refusal itself must still be answered
        log.error("security event %s not written: %s", action, type(exc).__name__)


def write_later(
    app: Flask,
    action: str,
    *,
    actor_id: int | None,
    target_type: str | None = None,
    target_id: str | None = None,
    reason: str | None = None,
) -> None:
    """Write a security event from a thread, for callers in the middle of a transaction."""
    if not _fresh((id(app), action, actor_id, target_type, target_id)):
        return
    fields = {
        "actor_id": actor_id,
        "target_type": target_type,
        "target_id": target_id,
        "reason": reason,
        "deduplicated": True,
    }
    thread = threading.Thread(target=write, args=(app, action), kwargs=fields, daemon=True)
    app.extensions.setdefault("system_alert_threads", []).append(thread)
    thread.start()


def refused(app: Flask, action: str, target_type: str, target_id: object) -> None:
    """Record that this request is refused: roll its transaction back, write the event."""
    from flask import request
    from flask_login import current_user

    from screening import db

    try:
        actor = current_user.id if current_user.is_authenticated else None
    except Exception:  # the user cannot be loaded: record the event without an actor
        actor = None
    # Nothing of a refused request is kept, and on SQLite its session may hold the writer
    # lock. Rolling back frees it; nothing may touch that session again before the write
    # (its objects are expired now, and reloading one would take the lock again).
    db.discard(db.session())
    write(
        app,
        action,
        actor_id=actor,
        target_type=target_type,
        target_id=str(target_id),
        reason=f"{request.method} {request.path}"[:500],
    )


def denied(target_type: str, target_id: object) -> None:
    """Mark this request's 404 as a denial of someone else's object (written by the handler)."""
    from flask import g

    g.security_event = (ACCESS_DENIED, target_type, str(target_id))


def count_since(session: Session, since: datetime) -> int:
    """How many security events of any kind were written since the given time."""
    query = select(func.count()).where(
        AuditEntry.action.startswith(PREFIX, autoescape=True), AuditEntry.at >= since
    )
    return int(session.scalar(query) or 0)


def check_burst(session: Session, config: Mapping[str, Any]) -> bool:
    """Alert admins when security events in the window reach the threshold; True if so."""
    from screening.notify.services import alert_admins

    threshold = int(config["SECURITY_BURST_THRESHOLD"])
    minutes = int(config["SECURITY_BURST_MINUTES"])
    if count_since(session, utcnow() - timedelta(minutes=minutes)) < threshold:
        return False
    if alert_admins(session, "security.burst", "/admin/audit/security"):
        log.error("burst of security events: %s or more in %s minutes", threshold, minutes)
    return True
