"""Second factor: TOTP authenticators (sealed secrets, no code accepted twice), recovery codes."""

from __future__ import annotations

import hmac
import io
import secrets

import pyotp
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from screening.audit.services import append as audit
from screening.auth import clock
from screening.auth.models import STAFF_ROLES, MfaCredential, RecoveryCode, Role, User
from screening.db import utcnow
from screening.keys.services import vault_of

ISSUER = "Screening"
RECOVERY_CODES = 10
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols, none mistaken for another


class MfaError(ValueError):
    """An MFA operation was refused; `reason` says why (wrong code, not enrolled, ...)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def required(user: User) -> bool:
    """Staff must use a second factor; students may."""
    return Role(user.role) in STAFF_ROLES


def credential(session: Session, user: User) -> MfaCredential | None:
    """The user's authenticator, confirmed or pending."""
    return session.get(MfaCredential, user.id)


def enrolled(session: Session, user: User) -> bool:
    """True when the user has a confirmed authenticator."""
    cred = credential(session, user)
    return cred is not None and cred.confirmed_at is not None


def _secret(session: Session, cred: MfaCredential) -> str:
    opened = vault_of(session).open(session, cred.user_id, MfaCredential.secret_sealed, cred)
    if not opened or getattr(opened, "unreadable", False):
        raise MfaError("unreadable")
    return str(opened)


def begin(session: Session, user: User, secret: str | None = None) -> str:
    """Start (or restart) enrolment with a new sealed secret; refuse if one is confirmed."""
    cred = credential(session, user)
    if cred is not None and cred.confirmed_at is not None:
        raise MfaError("enrolled")
    secret = secret or pyotp.random_base32()
    new = cred is None
    if cred is None:
        cred = MfaCredential(user_id=user.id, seal_version=0)
    cred.last_step = None
    vault_of(session).seal(session, user.id, cred, {MfaCredential.secret_sealed: secret})
    if new:
        session.add(cred)  # after sealing: the row cannot be flushed without its secret
    session.flush()
    _audit(session, user, "mfa.begin")
    return secret


def _audit(session: Session, user: User, action: str) -> None:
    """The audit entry of a user's own step with their second factor."""
    audit(session, actor_id=user.id, action=action, target_type="user", target_id=str(user.id))


def enrol_without_confirmation(session: Session, user: User) -> str:
    """Enrol a confirmed authenticator directly (demo accounts only); return the secret."""
    secret = begin(session, user)
    cred = credential(session, user)
    assert cred is not None
    cred.confirmed_at = utcnow()
    session.flush()
    return secret


def secret_of(session: Session, user: User) -> str | None:
    """The secret of the user's authenticator (the development-only demo-code command)."""
    cred = credential(session, user)
    return None if cred is None else _secret(session, cred)


def pending_secret(session: Session, user: User) -> str | None:
    """The secret of a pending enrolment (to show as QR code and text), else None."""
    cred = credential(session, user)
    if cred is None or cred.confirmed_at is not None:
        return None
    return _secret(session, cred)


def provisioning_uri(secret: str, account: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def qr_svg(uri: str) -> bytes:
    """The QR code of the URI as SVG, drawn here (no external service sees the secret)."""
    import qrcode  # loaded at the first enrolment, not at every start-up
    import qrcode.image.svg

    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


def _matching_step(secret: str, code: str) -> int | None:
    """The time step (now, one before or one after) whose code this is, else None."""
    code = "".join(c for c in code if c.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = int(clock.now()) // totp.interval
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _accept_totp(session: Session, cred: MfaCredential, code: str) -> bool:
    step = _matching_step(_secret(session, cred), code)
    if step is None or (cred.last_step is not None and step <= cred.last_step):
        return False  # wrong, or a code already used (replay within its window)
    cred.last_step = step
    session.flush()
    return True


def confirm(session: Session, user: User, code: str) -> list[str]:
    """Finish enrolment with a code from the app; return new recovery codes to show once."""
    cred = credential(session, user)
    if cred is None or cred.confirmed_at is not None:
        raise MfaError("not_pending")
    if not _accept_totp(session, cred, code):
        raise MfaError("wrong_code")
    cred.confirmed_at = utcnow()
    codes = _replace_recovery_codes(session, user)
    _audit(session, user, "mfa.enrol")
    return codes


def new_recovery_codes(session: Session, user: User) -> list[str]:
    """Replace the user's recovery codes with fresh ones (audited)."""
    codes = _replace_recovery_codes(session, user)
    _audit(session, user, "mfa.recovery_codes")
    return codes


def _replace_recovery_codes(session: Session, user: User) -> list[str]:
    """Fresh recovery codes (80 bits each, stored keyed-hashed) instead of the old ones."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    vault = vault_of(session)
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))
        code = "-".join(raw[i : i + 4] for i in range(0, 16, 4))
        session.add(RecoveryCode(user_id=user.id, code_hash=vault.index("recovery_code", code)))
        codes.append(code)
    session.flush()
    return codes


def verify(session: Session, user: User, code: str) -> str:
    """Check a TOTP or recovery code; return which was used, raise MfaError when neither."""
    cred = credential(session, user)
    if cred is None or cred.confirmed_at is None:
        raise MfaError("not_enrolled")
    used = None
    if _accept_totp(session, cred, code):
        used = "totp"
    elif any(c.isalpha() for c in code) and _use_recovery_code(session, user, code):
        used = "recovery"
    if used is None:
        raise MfaError("wrong_code")
    _audit(session, user, f"mfa.{used}")
    return used


def _use_recovery_code(session: Session, user: User, code: str) -> bool:
    try:
        index = vault_of(session).index("recovery_code", code)
    except ValueError:
        return False
    row = session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == index,
            RecoveryCode.used_at.is_(None),
        )
    )
    if row is None:
        return False
    row.used_at = utcnow()
    session.flush()
    return True


def remaining_recovery_codes(session: Session, user: User) -> int:
    """How many unused recovery codes the user has left."""
    rows = session.scalars(
        select(RecoveryCode.id).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    )
    return len(list(rows))


def reset(session: Session, user: User) -> None:
    """Remove the authenticator and recovery codes (lost phone); staff must enrol again."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.execute(delete(MfaCredential).where(MfaCredential.user_id == user.id))
    user.session_version += 1
    session.flush()


def current_code(secret: str) -> str:
    """The code an authenticator shows now (the demo command and the tests use it)."""
    return pyotp.TOTP(secret).at(int(clock.now()))


def random_secret() -> str:
    """A fresh TOTP secret."""
    return pyotp.random_base32()
