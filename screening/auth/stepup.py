"""Step-up: a fresh second-factor check (within the last 5 minutes) before a sensitive action.

Break-glass access to another counselor's case asks for it on top of the written reason. A
wrong code is audited as `security.mfa_failed`, like every other code checked.
"""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy.orm import Session

from screening.audit.services import append as audit
from screening.auth import mfa, sessions, throttle

FRESH_SECONDS = 300


def fresh(max_age: float = FRESH_SECONDS) -> bool:
    """True when this session passed a second-factor check within `max_age` seconds."""
    age = sessions.second_factor_age()
    return age is not None and 0 <= age <= max_age


def audit_failure(session: Session, where: str) -> None:
    """A wrong second-factor code, in the caller's transaction (the caller commits)."""
    audit(
        session,
        actor_id=current_user.id,
        action="security.mfa_failed",
        target_type="user",
        target_id=str(current_user.id),
        reason=where,
    )


def confirm(session: Session, code: str, where: str) -> bool:
    """Check a code now: True (and the session's check is fresh) or False (audited).

    Counted like the second factor at log-in: 429 with Retry-After when too many were wrong.
    """
    gate = throttle.code_gate(current_user.id)
    try:
        used = mfa.verify(session, current_user, code)
    except mfa.MfaError:
        audit_failure(session, where)
        return False
    sessions.second_factor_checked()
    throttle.login_succeeded(session, gate)
    audit(
        session,
        actor_id=current_user.id,
        action=f"mfa.{used}",
        target_type="user",
        target_id=str(current_user.id),
        reason=where,
    )
    return True
