"""Alerts to admins raised by a process while it serves, written in a transaction of their own."""

from __future__ import annotations

import logging
import threading

from flask import Flask

from screening.db import work
from screening.notify.services import alert_admins

log = logging.getLogger(__name__)
_THREADS = "system_alert_threads"


def _write(app: Flask, kind: str, link_path: str) -> None:
    """Commit the alert rows; a failure is logged (the log line was written already)."""
    try:
        with work(app) as session:
            alert_admins(session, kind, link_path)
    except Exception as exc:  # the caller goes on serving; the log says the alert is missing
        log.error("admins could not be alerted of %s: %s", kind, type(exc).__name__)


def raise_alert(app: Flask, kind: str, link_path: str, *, wait: bool = False) -> None:
    """Alert admins of kind without joining the caller's transaction.

    The caller may be in the middle of a request that holds SQLite's single writer lock (or
    may roll back), so the rows are written by a short thread that queues for the lock and
    commits on its own. wait=True writes in the calling thread (worker and commands).
    """
    if wait:
        _write(app, kind, link_path)
        return
    thread = threading.Thread(target=_write, args=(app, kind, link_path), daemon=True)
    app.extensions.setdefault(_THREADS, []).append(thread)
    thread.start()


def join_alerts(app: Flask) -> None:
    """Wait for alert threads started so far (commands before exiting, and tests)."""
    threads = app.extensions.get(_THREADS, [])
    while threads:
        threads.pop().join()
