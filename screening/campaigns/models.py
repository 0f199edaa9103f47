"""Screening campaigns, their instruments in order, who is targeted, and assignments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from screening.auth.models import Cohort, Faculty
from screening.db import Base, utcnow

campaign_faculties = Table(
    "campaign_faculties",
    Base.metadata,
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("faculty_id", ForeignKey("faculties.id", ondelete="CASCADE"), primary_key=True),
)
campaign_cohorts = Table(
    "campaign_cohorts",
    Base.metadata,
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("cohort_id", ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True),
)


class Campaign(Base):
    """A screening round an admin opens for some faculties and cohorts in a time window."""

    __tablename__ = "campaigns"
    __table_args__ = (CheckConstraint("closes_at > opens_at", name="window_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    opens_at: Mapped[datetime] = mapped_column()
    closes_at: Mapped[datetime] = mapped_column()
    #: Students see their own result in plain words on the receipt.
    show_results: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_version: Mapped[str] = mapped_column(String(32), default="v1")
    #: Days after opening on which pending students get a reminder, e.g. "3,7".
    reminder_days: Mapped[str] = mapped_column(String(64), default="")
    #: Languages of the students it serves (BCP 47, comma-separated): every instrument has them.
    languages: Mapped[str] = mapped_column(String(64), default="zh-Hans,en")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    instruments: Mapped[list[CampaignInstrument]] = relationship(
        order_by="CampaignInstrument.position", cascade="all, delete-orphan"
    )
    faculties: Mapped[list[Faculty]] = relationship(secondary=campaign_faculties)
    cohorts: Mapped[list[Cohort]] = relationship(secondary=campaign_cohorts)

    def is_open(self, now: datetime) -> bool:
        """True between opening and closing."""
        return self.opens_at <= now < self.closes_at


class CampaignInstrument(Base):
    """One instrument of a campaign, at its position, pinned to the version current at creation."""

    __tablename__ = "campaign_instruments"
    __table_args__ = (UniqueConstraint("campaign_id", "instrument_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    instrument_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    #: Stepped screening: asked only when this earlier instrument screened positive.
    when_positive_of: Mapped[str | None] = mapped_column(String(64))


class Assignment(Base):
    """A targeted student's place in a campaign."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("campaign_id", "student_id"),
        CheckConstraint(
            "status IN ('pending','started','completed','declined')", name="status_known"
        ),
        # Covers the participation statistics: counted from the index alone, no join.
        Index("ix_assignments_participation", "campaign_id", "faculty_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The student's faculty when assigned: participation is counted by it, as score records
    #: keep the faculty of their submission, so a later transfer does not move old counts.
    faculty_id: Mapped[int | None] = mapped_column(ForeignKey("faculties.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()
    #: Reminder steps already sent (comma-separated days), so none is sent twice.
    reminders_sent: Mapped[str] = mapped_column(String(64), default="")

    campaign: Mapped[Campaign] = relationship()
    #: The student's consent decision (one per assignment), loaded with the assignment.
    consent: Mapped[Consent | None] = relationship(uselist=False)


class Consent(Base):
    """The student's informed-consent decision for a campaign, with the notice version."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), unique=True
    )
    version: Mapped[str] = mapped_column(String(32))
    agreed: Mapped[bool] = mapped_column(Boolean)
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)


class InstrumentEnablement(Base):
    """An admin's acknowledgement of an instrument's licence, enabling it for campaigns."""

    __tablename__ = "instrument_enablements"

    instrument_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    enabled_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The licence text the admin acknowledged, as shown.
    licence_text: Mapped[str] = mapped_column(Text)


class CrisisResource(Base):
    """A hotline or service shown on the crisis page; editable by admins."""

    __tablename__ = "crisis_resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    label_zh: Mapped[str] = mapped_column(String(200))
    label_en: Mapped[str] = mapped_column(String(200))
    number: Mapped[str] = mapped_column(String(64))


class CounsellingCentre(Base):
    """The university's own counselling centre, shown first on the crisis page; one row.

    Set by admins in both languages; public contact details, not personal data.
    """

    __tablename__ = "counselling_centre"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40))
    place_zh: Mapped[str] = mapped_column(String(200))
    place_en: Mapped[str] = mapped_column(String(200))
    hours_zh: Mapped[str] = mapped_column(String(200))
    hours_en: Mapped[str] = mapped_column(String(200))
    #: Called outside opening hours (empty: the national lines listed after the centre).
    after_hours_phone: Mapped[str] = mapped_column(String(40), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ConsentVersion(Base):
    """One version of the informed-consent notice in both languages; never changed once used.

    Campaigns name a version by its label ("v2"); a student's decision and every submission
    keep that label, so the text they agreed to can always be shown again.
    """

    __tablename__ = "consent_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "v1", "v2", …: what campaigns, decisions and submissions record.
    label: Mapped[str] = mapped_column(String(32), unique=True)
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
