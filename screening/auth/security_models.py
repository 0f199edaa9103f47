"""State of the log-in defences: attempt counters and password-reset links (never on `users`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from screening.db import Base, utcnow


class AttemptCounter(Base):
    """Counted attempts of one key (an account, an address, an account and address pair).

    Keys and accounts are keyed hashes: the table never holds a log-in name or an address.
    A row is changed only under its row lock (PostgreSQL) or the single writer (SQLite), so
    concurrent requests can never take more attempts than the rule allows.
    """

    __tablename__ = "attempt_counters"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    #: Keyed hash of the account the key belongs to, so a reset can clear every key of it.
    account: Mapped[str | None] = mapped_column(String(40), index=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[datetime | None] = mapped_column()
    #: No attempt is taken before this time (the growing delay).
    next_at: Mapped[datetime | None] = mapped_column()
    #: When this key last raised an alert, so one attack raises one alert.
    alerted_at: Mapped[datetime | None] = mapped_column()


class LoginFailure(Base):
    """One failed log-in: which address tried which account (both keyed hashes), for sprays."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(40), index=True)
    account: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class PasswordReset(Base):
    """An e-mailed password-reset link: single use, 30 minutes; only a hash of its token is kept.

    The token is an HMAC of the row id and `nonce` under the app's secret key: the worker
    recomputes it when it sends the e-mail, and a copy of the database alone cannot. Using or
    expiring the link clears the nonce, after which not even the app can produce it again.
    """

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    nonce: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
