"""`retention purge`: destroy personal data past its retention date (the worker runs it daily)."""

from __future__ import annotations

from datetime import datetime, timedelta

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from screening.cli.common import ready
from screening.db import utcnow, work
from screening.retention.purge import BATCH, Counts, purge_batch
from screening.retention.services import current_policy

#: How often the worker purges: the policy counts in days.
PURGE_EVERY = timedelta(days=1)


def run_purge(app: Flask, now: datetime, limit: int = BATCH) -> Counts:
    """Purge in batches, each committed on its own, until a batch finds nothing left."""
    total = Counts()
    while True:
        with work(app) as session:  # one batch, one unit of work
            counts = purge_batch(session, current_policy(session), now, limit)
        total.add(counts)
        if not counts.personal() and not counts.stats_records:
            return total


def purge_due(app: Flask, now: datetime) -> bool:
    """True once a day per worker (the purge is idempotent: a second host doing it is harmless)."""
    last = app.extensions.get("retention_last_purge")
    if last is not None and now - last < PURGE_EVERY:
        return False
    app.extensions["retention_last_purge"] = now
    return True


@click.group("retention")
def retention_group() -> None:
    """Data retention."""


@retention_group.command("purge")
@with_appcontext
def purge_command() -> None:
    """Destroy personal data past its retention date now (resumes where an interrupted run left)."""
    ready()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    counts = run_purge(app, utcnow())
    click.echo(f"Purged: {counts.summary()}.")
