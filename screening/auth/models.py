"""People and the university's structure: users, roles, faculties, cohorts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from screening.db import Base, utcnow
from screening.keys.sealed import sealed


class Role(StrEnum):
    """The five roles; each user has exactly one."""

    STUDENT = "student"
    COUNSELOR = "counselor"
    SUPERVISOR = "supervisor"
    DEAN = "dean"
    ADMIN = "admin"


STAFF_ROLES = frozenset({Role.COUNSELOR, Role.SUPERVISOR, Role.DEAN, Role.ADMIN})
CLINICAL_ROLES = frozenset({Role.COUNSELOR, Role.SUPERVISOR})

counselor_faculties = Table(
    "counselor_faculties",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("faculty_id", ForeignKey("faculties.id", ondelete="CASCADE"), primary_key=True),
)


class Faculty(Base):
    """A faculty or school (院系); students belong to one, counselors serve several."""

    __tablename__ = "faculties"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Short stable code used in rosters, e.g. "CS".
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200))

    def name(self, locale: str) -> str:
        """Return the name in the user's language."""
        return self.name_zh if locale.startswith("zh") else self.name_en


class Cohort(Base):
    """An entry cohort (年级), identified by the year of entry."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)


class User(Base):
    """A person who logs in; personal fields are sealed, looked-up ones have blind indexes."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role IN ('student','counselor','supervisor','dean','admin')", name="role_known"
        ),
        CheckConstraint(
            "role != 'student' OR (faculty_id IS NOT NULL AND cohort_id IS NOT NULL "
            "AND student_number_index IS NOT NULL)",
            name="student_has_faculty_cohort_number",
        ),
        CheckConstraint("role = 'student' OR username IS NOT NULL", name="staff_has_username"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(16), index=True)
    #: Staff log-in name; students log in with their student number instead.
    username: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: HMAC blind index of the student number: finds a student without decrypting anyone.
    student_number_index: Mapped[str | None] = mapped_column(String(64), unique=True)
    email_index: Mapped[str | None] = mapped_column(String(64), index=True)
    #: AES-GCM envelopes under the user's data key, bound to this row and column.
    name_sealed: Mapped[bytes | None] = sealed("text")
    email_sealed: Mapped[bytes | None] = sealed("text")
    student_number_sealed: Mapped[bytes | None] = sealed("text")
    #: Contact data (phone, emergency contact, class, dorm) as one sealed JSON envelope.
    contact_sealed: Mapped[bytes | None] = sealed("json")
    #: HMAC blind index of the phone number: a counselor finds a student by phone.
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    #: The student's class counselor (辅导员), a staff account.
    class_counselor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", use_alter=True)
    )
    #: Raised by every sealed write; bound into the sealed values, so an old one cannot return.
    seal_version: Mapped[int] = mapped_column(Integer, default=0)
    faculty_id: Mapped[int | None] = mapped_column(ForeignKey("faculties.id"), index=True)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Counselors flagged as academic advisors receive academic cases.
    is_advisor: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str | None] = mapped_column(String(16))
    #: Bumped to end every session of this user (log-out everywhere, password change, disable).
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column()

    faculty: Mapped[Faculty | None] = relationship(foreign_keys=[faculty_id])
    cohort: Mapped[Cohort | None] = relationship()
    faculties: Mapped[list[Faculty]] = relationship(secondary=counselor_faculties)

    @property
    def is_staff(self) -> bool:
        """True for every role but student."""
        return self.role != Role.STUDENT

    # Flask-Login protocol: the id carries the session version so a bump ends old sessions.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        """Disabled accounts cannot log in and their sessions end."""
        return self.active

    def get_id(self) -> str:
        """Return the Flask-Login id: user id and session version."""
        return f"{self.id}:{self.session_version}"


class MfaCredential(Base):
    """A user's TOTP authenticator: the secret is sealed, the last accepted step stops replays."""

    __tablename__ = "mfa_credentials"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    secret_sealed: Mapped[bytes] = sealed("text", nullable=False)
    #: Raised by every sealed write; bound into the sealed values, so an old one cannot return.
    seal_version: Mapped[int] = mapped_column(Integer, default=0)
    #: Set when the user proved the authenticator works; until then enrolment is pending.
    confirmed_at: Mapped[datetime | None] = mapped_column()
    #: TOTP time step of the last accepted code: a code is accepted once, never again.
    last_step: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecoveryCode(Base):
    """A single-use recovery code, stored only as a keyed hash (blind index)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
