"""Password reset by e-mail: single-use links valid 30 minutes, sent through the outbox.

Only a SHA-256 hash of the token is stored. The token itself is an HMAC of the reset's id and
a random nonce under the app's secret key, recomputed by the worker when it sends the e-mail,
so neither the outbox nor a copy of the database holds a working link. No Flask here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from screening.audit.services import append as audit
from screening.auth import counters
from screening.auth.models import User
from screening.auth.security_models import PasswordReset
from screening.auth.services import set_password
from screening.keys.services import vault_of

VALID_FOR = timedelta(minutes=30)
LINK_PREFIX = "/auth/reset/"
#: At most this many accounts get a link for one identifier (e.g. a shared e-mail address).
MAX_ACCOUNTS = 5


class ResetInvalid(ValueError):
    """The link is unknown, used or expired."""


def _secret(session: Session) -> bytes:
    return str(session.info["app"].config["SECRET_KEY"]).encode()


def _token(session: Session, reset_id: int, nonce: str) -> str:
    mac = hmac.new(_secret(session), f"password-reset:{reset_id}:{nonce}".encode(), "sha256")
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode("ascii")


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def accounts_for(session: Session, identifier: str) -> list[User]:
    """Active accounts named by a staff username, a student number or an e-mail address."""
    identifier = identifier.strip()
    if not identifier:
        return []
    vault = vault_of(session)
    if "@" in identifier:
        where = User.email_index == vault.index("email", identifier)
    else:
        where = (User.username == identifier) | (
            User.student_number_index == vault.index("student_number", identifier)
        )
    return list(
        session.scalars(select(User).where(where, User.active.is_(True)).limit(MAX_ACCOUNTS))
    )


def request_reset(session: Session, user: User, now: datetime) -> PasswordReset:
    """Create a reset for the user and queue its e-mail in the caller's transaction."""
    from screening.notify.services import enqueue

    # Resets a day past their expiry say nothing useful any more: keep no such history.
    session.execute(delete(PasswordReset).where(PasswordReset.expires_at < now - timedelta(days=1)))
    reset = PasswordReset(
        user_id=user.id, nonce=secrets.token_hex(16), created_at=now, expires_at=now + VALID_FOR
    )
    session.add(reset)
    session.flush()
    assert reset.nonce is not None
    reset.token_hash = token_hash(_token(session, reset.id, reset.nonce))
    enqueue(
        session,
        recipient_id=user.id,
        kind="password.reset",
        link_path=f"{LINK_PREFIX}{reset.id}",
        alert=False,
    )
    audit(
        session,
        actor_id=None,
        action="password.reset_requested",
        target_type="user",
        target_id=str(user.id),
    )
    session.flush()
    return reset


def link_path(session: Session, queued_path: str, now: datetime) -> str | None:
    """The real link of a queued reset e-mail, or None when the reset is used or expired."""
    try:
        reset_id = int(queued_path.removeprefix(LINK_PREFIX))
    except ValueError:
        return None
    reset = session.get(PasswordReset, reset_id)
    if reset is None or reset.used_at is not None or reset.nonce is None:
        return None
    if reset.expires_at <= now:
        return None
    return LINK_PREFIX + _token(session, reset.id, reset.nonce)


def _valid(session: Session, token: str, now: datetime) -> PasswordReset | None:
    if not token or len(token) > 128:
        return None
    reset = session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == token_hash(token))
    )
    if reset is None or reset.used_at is not None or reset.expires_at <= now:
        return None
    return reset


def user_for(session: Session, token: str, now: datetime) -> User | None:
    """The active account a valid (unused, unexpired) link resets, else None."""
    reset = _valid(session, token, now)
    user = session.get(User, reset.user_id) if reset else None
    return user if user is not None and user.active else None


def use(session: Session, token: str, password: str, now: datetime, account_key: str) -> User:
    """Set the new password through a valid link, once: ends every session, clears throttles.

    The policy is checked first (WeakPassword keeps the link usable); then the link is claimed
    with a conditional UPDATE, so two concurrent uses cannot both succeed.
    """
    reset = _valid(session, token, now)
    user = session.get(User, reset.user_id) if reset else None
    if reset is None or user is None or not user.active:
        raise ResetInvalid("invalid")
    set_password(session, user, password)  # raises WeakPassword before anything is claimed
    claimed = session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
        .values(used_at=now, nonce=None)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        raise ResetInvalid("used")
    session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now, nonce=None)
    )
    counters.clear_account(session, account_key)
    audit(
        session,
        actor_id=user.id,
        action="password.reset",
        target_type="user",
        target_id=str(user.id),
    )
    session.flush()
    return user
