"""Attempt counters kept in the database: atomic under any concurrency, one host or many.

A counter row is read and changed under its row lock (SELECT ... FOR UPDATE on PostgreSQL;
SQLite runs one write transaction at a time), so N concurrent requests never take more
attempts than the rule allows. Each key gets `free` attempts; after that every further attempt
waits a delay that doubles up to `max_delay` (a growing delay, never a long block), and the
count starts again `forget` seconds after the last attempt. No Flask here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from screening.auth.security_models import AttemptCounter


@dataclass(frozen=True)
class Rule:
    """How many attempts a key gets, and how the delay grows after them."""

    free: int
    delay: float = 30.0
    max_delay: float = 900.0
    forget: float = 86400.0

    def wait(self, count: int) -> float:
        """Seconds to wait after the count-th attempt before the next one is taken."""
        if count < self.free:
            return 0.0
        return float(min(self.delay * 2 ** min(count - self.free, 30), self.max_delay))


@dataclass(frozen=True)
class Want:
    """One key to count an attempt on, the account it belongs to, and its rule."""

    key: str
    account: str | None
    rule: Rule


@dataclass
class Taken:
    """The answer: taken or not, how long to wait, and the keys whose free attempts ran out."""

    allowed: bool
    retry_after: int = 0
    exhausted: list[Want] = field(default_factory=list)
    refused: list[Want] = field(default_factory=list)


def _locked(session: Session, want: Want) -> AttemptCounter:
    """The counter row of a key, created when missing, locked until the transaction ends."""
    values = {"key": want.key, "account": want.account, "count": 0}
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(AttemptCounter).values(values).on_conflict_do_nothing())
    row = session.scalar(
        select(AttemptCounter)
        .where(AttemptCounter.key == want.key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


def take(session: Session, wants: list[Want], now: datetime) -> Taken:
    """Count one attempt on every key, or on none when any key must still wait."""
    rows = [(w, _locked(session, w)) for w in sorted(wants, key=lambda w: w.key)]
    refused: list[Want] = []
    retry = 0.0
    for want, row in rows:
        if row.last_at is not None and (now - row.last_at).total_seconds() > want.rule.forget:
            row.count, row.next_at = 0, None
        if row.next_at is not None and row.next_at > now:
            refused.append(want)
            retry = max(retry, (row.next_at - now).total_seconds())
    if refused:
        session.flush()
        return Taken(False, max(1, math.ceil(retry)), refused=refused)
    exhausted = []
    for want, row in rows:
        row.count += 1
        row.last_at = now
        wait = want.rule.wait(row.count)
        row.next_at = now + timedelta(seconds=wait) if wait else None
        if row.count == want.rule.free:
            exhausted.append(want)
    session.flush()
    return Taken(True, exhausted=exhausted)


def refund(session: Session, want: Want) -> None:
    """Give back an attempt that turned out well (a successful log-in from a shared address)."""
    row = _locked(session, want)
    row.count = max(0, row.count - 1)
    if row.count < want.rule.free:
        row.next_at = None
    session.flush()


def clear(session: Session, key: str) -> None:
    """Forget a key's attempts (a successful log-in of that account)."""
    session.execute(delete(AttemptCounter).where(AttemptCounter.key == key))


def clear_account(session: Session, account: str) -> None:
    """Forget every key of an account (its owner proved themselves through the e-mailed link)."""
    session.execute(delete(AttemptCounter).where(AttemptCounter.account == account))


def forget_older(session: Session, before: datetime) -> None:
    """Delete counters whose last attempt is older than `before` (they count nothing more)."""
    session.execute(delete(AttemptCounter).where(AttemptCounter.last_at < before))


def first_alert(session: Session, key: str, now: datetime, every: timedelta) -> bool:
    """True (and remembered) when `key` raised no alert within `every`: one alert per attack."""
    row = _locked(session, Want(key, None, Rule(free=1)))
    if row.alerted_at is not None and now - row.alerted_at < every:
        return False
    session.execute(update(AttemptCounter).where(AttemptCounter.key == key).values(alerted_at=now))
    return True
