"""Session lifetime: a fresh session at log-in, idle and absolute timeouts, the MFA step.

The session cookie carries when the user authenticated and was last seen, and whether the
second factor was completed. A before_request hook ends sessions that were idle too long
(staff 15 minutes, students 30 by default) or are older than the absolute limit (12 hours).
"""

from __future__ import annotations

from flask import current_app, flash, request, session
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from screening.auth import access, clock
from screening.auth.models import User

AUTH_AT = "auth_at"
SEEN_AT = "seen_at"
MFA_OK = access.MFA_OK
NEXT = "after_mfa"
MFA_AT = "mfa_at"


def start(user: User, *, second_factor_pending: bool, next_url: str | None = None) -> None:
    """Begin a fresh session for the user: nothing carried over but the language."""
    chosen = session.get("lang")
    session.clear()
    login_user(user)
    now = clock.now()
    session[AUTH_AT] = now
    session[SEEN_AT] = now
    session[MFA_OK] = not second_factor_pending
    if second_factor_pending and next_url:
        session[NEXT] = next_url
    if user.locale or chosen:
        session["lang"] = user.locale or chosen


def second_factor_done() -> str | None:
    """Record the completed second factor (and when); return where the user wanted to go."""
    session[MFA_OK] = True
    session[MFA_AT] = clock.now()
    target: str | None = session.pop(NEXT, None)
    return target


def second_factor_age() -> float | None:
    """Seconds since this session last passed a second-factor check, None if it never did."""
    at = session.get(MFA_AT)
    return clock.now() - at if isinstance(at, int | float) else None


def second_factor_checked() -> None:
    """Record a fresh second-factor check (a step-up before a sensitive action)."""
    session[MFA_AT] = clock.now()


def mfa_complete() -> bool:
    """True when this session passed the second factor (or the user needs none)."""
    return bool(session.get(MFA_OK))


def refresh_login(user: User) -> None:
    """Keep the current session valid after the user's session version changed."""
    login_user(user)


def end() -> None:
    """Forget the user in this browser."""
    logout_user()
    session.clear()


def _idle_limit(user: User) -> int:
    key = "SESSION_IDLE_STUDENT" if user.role == "student" else "SESSION_IDLE_STAFF"
    return int(current_app.config[key])


def check_timeouts() -> None:
    """before_request: end an idle or too old session, else note that the user was seen."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return
    now = clock.now()
    auth_at, seen_at = session.get(AUTH_AT), session.get(SEEN_AT)
    expired = (
        not isinstance(auth_at, int | float)
        or not isinstance(seen_at, int | float)
        or now - seen_at > _idle_limit(current_user)
        or now - auth_at > int(current_app.config["SESSION_ABSOLUTE"])
    )
    if expired:
        end()
        flash(_("Your session ended. Please log in again."), "info")
        return
    session[SEEN_AT] = now
