"""Accounts: creation, look-up by log-in name, authentication and personal fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.audit.services import append as audit
from screening.auth import policy
from screening.auth.models import STAFF_ROLES, Cohort, Faculty, MfaCredential, Role, User
from screening.auth.passwords import Hasher
from screening.db import utcnow
from screening.keys.services import vault_of

MIN_PASSWORD = policy.MIN_SINGLE_FACTOR


class AccountError(ValueError):
    """An account operation was refused; the message is safe to show."""


class WeakPassword(AccountError):
    """The password breaks the policy; `reason` and `minimum` let pages say it in any language."""

    def __init__(self, reason: str, minimum: int) -> None:
        messages = {
            "too_short": f"The password must have at least {minimum} characters.",
            "too_long": f"The password must have at most {minimum} characters.",
            "common": "This password is too common; choose a longer, personal passphrase.",
            "identifier": "The password must not be built on your student number, username "
            "or e-mail name.",
            "context": "The password must not be built on the name of this service or of the "
            "university.",
            "pattern": "The password must not be a repeated or sequential pattern such as "
            "12345678 or aaaaaaaa.",
        }
        super().__init__(messages[reason])
        self.reason = reason
        self.minimum = minimum


@dataclass(frozen=True)
class Person:
    """A user's opened personal fields, for pages that show identified data."""

    name: str | None
    email: str | None
    student_number: str | None


def hasher(session: Session) -> Hasher:
    """Return the app's argon2id hasher (built once from configuration)."""
    return session.info["app"].extensions["hasher"]  # type: ignore[no-any-return]


def make_app_hasher(config: Mapping[str, Any]) -> Hasher:
    """Build the hasher at start-up, before any fork, so its slots are shared by all workers."""
    return Hasher(
        config["PASSWORD_HASH_TIME_COST"],
        config["PASSWORD_HASH_MEMORY_KIB"],
        config["PASSWORD_HASH_PARALLELISM"],
        config["PASSWORD_HASH_SLOTS"],
        config["PASSWORD_HASH_WAITING"],
    )


def check_password_policy(
    password: str,
    *,
    with_mfa: bool = False,
    identifiers: list[str] | None = None,
    context: list[str] | None = None,
) -> None:
    """Refuse short, breached, patterned and context-specific passwords (NIST SP 800-63B)."""
    try:
        policy.check(
            password, with_mfa=with_mfa, identifiers=identifiers or [], context=context or []
        )
    except policy.PasswordRejected as exc:
        raise WeakPassword(exc.reason, exc.minimum) from exc


def context_words(session: Session) -> list[str]:
    """The university's names (PASSWORD_CONTEXT_WORDS) a password must not be built on."""
    return [str(w) for w in session.info["app"].config.get("PASSWORD_CONTEXT_WORDS") or []]


def user_identifiers(session: Session, user: User) -> list[str]:
    """The account's log-in name, student number and e-mail name, opened for the check."""
    opened = person(session, user)
    email = opened.email if isinstance(opened.email, str) else None
    number = opened.student_number if isinstance(opened.student_number, str) else None
    return policy.identifiers_of(user.username, number, email)


def has_second_factor(session: Session, user: User) -> bool:
    """True when the password is not the only factor: staff must enrol, students who did."""
    if Role(user.role) in STAFF_ROLES:
        return True
    cred = session.get(MfaCredential, user.id) if user.id is not None else None
    return cred is not None and cred.confirmed_at is not None


def find_by_login(session: Session, login: str) -> User | None:
    """Find a user by staff username or by student number (through its blind index)."""
    login = login.strip()
    if not login:
        return None
    user = session.scalar(select(User).where(User.username == login))
    if user is not None:
        return user
    index = vault_of(session).index("student_number", login)
    return session.scalar(select(User).where(User.student_number_index == index))


def find_student(session: Session, student_number: str) -> User | None:
    """Find a student by student number without decrypting anyone."""
    index = vault_of(session).index("student_number", student_number)
    return session.scalar(select(User).where(User.student_number_index == index))


def authenticate(session: Session, login: str, password: str) -> User | None:
    """Return the active user with these credentials, or None (one answer for every failure)."""
    user = find_by_login(session, login)
    ok = hasher(session).verify(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        return None
    if hasher(session).check_needs_rehash(user.password_hash or ""):
        user.password_hash = hasher(session).hash(password)
    user.last_login_at = utcnow()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """Set a new password after the policy check and end the user's other sessions."""
    check_password_policy(
        password,
        with_mfa=has_second_factor(session, user),
        identifiers=user_identifiers(session, user),
        context=context_words(session),
    )
    user.password_hash = hasher(session).hash(password)
    user.session_version += 1


def set_personal(
    session: Session,
    user: User,
    *,
    name: str | None = None,
    email: str | None = None,
    student_number: str | None = None,
) -> None:
    """Seal the given personal fields into the user's row and refresh the blind indexes."""
    vault = vault_of(session)
    if user.id is None:
        session.flush()
    values: dict[Any, str] = {}
    if name is not None:
        values[User.name_sealed] = name
    if email is not None:
        email = email.strip()
        values[User.email_sealed] = email
        user.email_index = vault.index("email", email) if email else None
    if student_number is not None:
        student_number = student_number.strip()
        values[User.student_number_sealed] = student_number
    vault.seal(session, user.id, user, values)


def person(session: Session, user: User) -> Person:
    """Open a user's personal fields (callers showing a student to staff must audit the view)."""
    vault = vault_of(session)
    return Person(
        name=vault.open(session, user.id, User.name_sealed, user),
        email=vault.open(session, user.id, User.email_sealed, user),
        student_number=vault.open(session, user.id, User.student_number_sealed, user),
    )


def create_user(
    session: Session,
    *,
    role: Role,
    username: str | None = None,
    password: str | None = None,
    password_hash: str | None = None,
    name: str = "",
    email: str = "",
    student_number: str | None = None,
    faculty: Faculty | None = None,
    cohort: Cohort | None = None,
    faculties: list[Faculty] | None = None,
) -> User:
    """Create a user with sealed personal fields; raise AccountError on a conflict."""
    if role == Role.STUDENT:
        if not student_number or faculty is None or cohort is None:
            raise AccountError("A student needs a student number, a faculty and a cohort.")
        if find_student(session, student_number) is not None:
            raise AccountError("A student with this student number exists already.")
    else:
        if not username:
            raise AccountError("Staff accounts need a username.")
        if session.scalar(select(User).where(User.username == username)) is not None:
            raise AccountError("This username is taken.")
    user = User(
        role=str(role),
        username=username,
        faculty=faculty,
        cohort=cohort,
        active=True,
        session_version=1,
        is_advisor=False,
    )
    if student_number:
        user.student_number_index = vault_of(session).index("student_number", student_number)
    if faculties:
        user.faculties = list(faculties)
    if password is not None:
        check_password_policy(
            password,
            with_mfa=role in STAFF_ROLES,
            identifiers=policy.identifiers_of(username, student_number, email),
            context=context_words(session),
        )
        user.password_hash = hasher(session).hash(password)
    elif password_hash is not None:
        user.password_hash = password_hash
    session.add(user)
    session.flush()
    set_personal(session, user, name=name, email=email, student_number=student_number)
    session.flush()
    return user


def get_or_create_faculty(
    session: Session, code: str, name_en: str = "", name_zh: str = ""
) -> Faculty:
    """Return the faculty with this code, creating it when missing."""
    faculty = session.scalar(select(Faculty).where(Faculty.code == code))
    if faculty is None:
        faculty = Faculty(code=code, name_en=name_en or code, name_zh=name_zh or name_en or code)
        session.add(faculty)
        session.flush()
    return faculty


def get_or_create_cohort(session: Session, year: int) -> Cohort:
    """Return the cohort of this entry year, creating it when missing."""
    cohort = session.scalar(select(Cohort).where(Cohort.year == year))
    if cohort is None:
        cohort = Cohort(year=year)
        session.add(cohort)
        session.flush()
    return cohort


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """Change one's own password after proving the current one; ends every other session."""
    if not hasher(session).verify(user.password_hash, current):
        raise AccountError("The current password is wrong.")
    set_password(session, user, new)
    _audit_user(session, user.id, "user.password", user)


def _audit_user(
    session: Session, actor_id: int | None, action: str, user: User, reason: str | None = None
) -> None:
    """The audit entry of something done to (or by) an account."""
    audit(
        session,
        actor_id=actor_id,
        action=action,
        target_type="user",
        target_id=str(user.id),
        reason=reason,
    )


def record_login(session: Session, user: User, method: str) -> None:
    """Audit a successful log-in (password or single sign-on)."""
    _audit_user(session, user.id, "login", user, f"method={method}")


def record_failed_login(session: Session, method: str | None = None) -> None:
    """Audit a refused log-in; single sign-on says which method, a password log-in nothing."""
    audit(
        session,
        actor_id=None,
        action="login.failed",
        target_type="login",
        target_id=None,
        reason=f"method={method}" if method else None,
    )


def log_out_everywhere(session: Session, user: User) -> None:
    """End every session of the user: a replayed cookie of any of them is dead (audited)."""
    user.session_version += 1
    session.flush()
    _audit_user(session, user.id, "logout", user)


def create_account(
    session: Session, actor: User, *, is_advisor: bool = False, **fields: Any
) -> User:
    """An admin creates an account (`create_user`'s fields); audited with its role."""
    user = create_user(session, **fields)
    user.is_advisor = is_advisor and fields["role"] == Role.COUNSELOR
    session.flush()
    _audit_user(session, actor.id, "user.create", user, f"role={fields['role']}")
    return user


def set_active(session: Session, actor: User, user: User, active: bool) -> None:
    """Enable or disable an account; disabling ends its sessions (audited)."""
    user.active = active
    user.session_version += 1
    session.flush()
    _audit_user(session, actor.id, "user.enable" if active else "user.disable", user)


def set_faculties(session: Session, actor: User, user: User, faculties: list[Faculty]) -> None:
    """Set the faculties a counselor or supervisor serves (audited with their codes)."""
    user.faculties = list(faculties)
    session.flush()
    codes = ",".join(sorted(f.code for f in user.faculties))
    _audit_user(session, actor.id, "user.faculties", user, codes)


def create_faculty(session: Session, actor: User, code: str, name_en: str, name_zh: str) -> Faculty:
    """Add a faculty (audited by its code)."""
    faculty = Faculty(code=code, name_en=name_en, name_zh=name_zh)
    session.add(faculty)
    session.flush()
    audit(
        session, actor_id=actor.id, action="faculty.create", target_type="faculty", target_id=code
    )
    return faculty


def record_account_access(
    session: Session, actor_id: int | None, action: str, user_id: int, reason: str | None = None
) -> None:
    """Audit a staff read or change of a person's account (search hit, view, edit, MFA reset)."""
    audit(
        session,
        actor_id=actor_id,
        action=action,
        target_type="user",
        target_id=str(user_id),
        reason=reason,
    )
