"""Requests for contact, concern reports, reporter flags and class counselors' notices.

What a student or a reporter wrote (urgency, way of contact, signs, free text, who reported)
is sealed under the student's data key; the tables keep only ids, times and states.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from screening.db import Base, utcnow
from screening.keys.sealed import sealed

REPORTER_KINDS = ("class_committee", "dorm_head")


class ContactRequest(Base):
    """A student's own request to talk to someone (我想找人聊聊); it opens or joins a case."""

    __tablename__ = "contact_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: {"urgency", "contact_by", "contact_when", "text"} under the student's key.
    detail_sealed: Mapped[bytes | None] = sealed("json")


class ConcernReport(Base):
    """A concern about a student from staff or a student reporter.

    A report about a student the reporter may not report (or who does not exist) is kept too,
    without a student, a case or anything the reporter wrote about them, so the reporter's own
    list looks the same whichever student number was typed.
    """

    __tablename__ = "concern_reports"
    __table_args__ = (
        CheckConstraint("state IN ('received','unfounded')", name="state_known"),
        Index("ix_concern_reports_reporter", "reporter_index", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Blind index of the reporter's user id: their own list and their daily limit, without a
    #: readable link from reporter to student in the table.
    reporter_index: Mapped[str] = mapped_column(String(64))
    student_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default="received")
    #: {"reporter_id", "reporter_kind", "signs", "urgency", "text"} under the student's key.
    detail_sealed: Mapped[bytes | None] = sealed("json")
    #: The student number as the reporter typed it, under the reporter's own key (their list).
    copy_sealed: Mapped[bytes | None] = sealed("json")
    unfounded_at: Mapped[datetime | None] = mapped_column()
    unfounded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ReporterRole(Base):
    """A student an admin made a reporter: class psychological committee member or dorm head."""

    __tablename__ = "reporter_roles"
    __table_args__ = (
        CheckConstraint("kind IN ('class_committee','dorm_head')", name="kind_known"),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    set_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClassCounselorNotice(Base):
    """A class counselor (辅导员) told of a student's open crisis case, or asked to help reach
    the student; no answer, score or note travels with it."""

    __tablename__ = "class_counselor_notices"
    __table_args__ = (CheckConstraint("kind IN ('told','asked')", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    counselor_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
