"""Imports every feature's models so the metadata knows all tables (migrations, tests)."""

from screening.audit.models import AuditEntry, AuditHead
from screening.auth.models import Cohort, Faculty, MfaCredential, RecoveryCode, User
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
from screening.keys.models import KekCheck, ShredRecord, SubjectKey
from screening.notify.models import Alert, OutboxMessage
from screening.responses.models import Draft, Submission
from screening.retention.models import LegalHold, RetentionPeriod
from screening.stats.models import ScoreCount, ScoreRecord

__all__ = [
    "Alert",
    "Assignment",
    "AuditEntry",
    "AuditHead",
    "BreakGlassGrant",
    "Campaign",
    "CampaignInstrument",
    "Case",
    "CaseEvent",
    "Cohort",
    "Consent",
    "CrisisResource",
    "Draft",
    "Faculty",
    "InstrumentEnablement",
    "KekCheck",
    "LegalHold",
    "MfaCredential",
    "OnCallShift",
    "OutboxMessage",
    "RecoveryCode",
    "RetentionPeriod",
    "ScoreCount",
    "ScoreRecord",
    "ShredRecord",
    "SubjectKey",
    "Submission",
    "TierMapping",
    "User",
]
