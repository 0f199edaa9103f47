"""Imports every feature's models so the metadata knows all tables (migrations, tests)."""

from screening.audit import immutable  # noqa: F401 - the audit trigger comes with its table
from screening.audit.models import AuditEntry, AuditHead
from screening.auth.models import Cohort, Faculty, MfaCredential, RecoveryCode, User
from screening.auth.security_models import AttemptCounter, LoginFailure, PasswordReset
from screening.campaigns.models import (
    Assignment,
    Campaign,
    CampaignInstrument,
    Consent,
    CrisisResource,
    InstrumentEnablement,
)
from screening.cases.models import (
    BreakGlassGrant,
    Case,
    CaseEvent,
    OnCallShift,
    TierMapping,
)
from screening.health import HealthBeat
from screening.keys.models import KekCheck, ShredRecord, SubjectKey
from screening.notify.models import Alert, OutboxMessage
from screening.referrals.models import (
    ClassCounselorNotice,
    ConcernReport,
    ContactRequest,
    ReporterRole,
)
from screening.responses.models import Draft, Submission
from screening.retention.models import LegalHold, RetentionPeriod
from screening.stats.models import (
    ReleasedCaseCount,
    ReleasedCount,
    ReleasedParticipation,
    ScoreCount,
    ScoreRecord,
    StatsRelease,
)

__all__ = [
    "Alert",
    "Assignment",
    "AttemptCounter",
    "AuditEntry",
    "AuditHead",
    "BreakGlassGrant",
    "Campaign",
    "CampaignInstrument",
    "Case",
    "CaseEvent",
    "ClassCounselorNotice",
    "Cohort",
    "ConcernReport",
    "Consent",
    "ContactRequest",
    "CrisisResource",
    "Draft",
    "Faculty",
    "HealthBeat",
    "InstrumentEnablement",
    "KekCheck",
    "LegalHold",
    "LoginFailure",
    "MfaCredential",
    "OnCallShift",
    "OutboxMessage",
    "PasswordReset",
    "RecoveryCode",
    "ReleasedCaseCount",
    "ReleasedCount",
    "ReleasedParticipation",
    "ReporterRole",
    "RetentionPeriod",
    "ScoreCount",
    "ScoreRecord",
    "ShredRecord",
    "StatsRelease",
    "SubjectKey",
    "Submission",
    "TierMapping",
    "User",
]
