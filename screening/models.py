"""Imports every feature's models so the metadata knows all tables (migrations, tests)."""

from screening.audit import immutable  # noqa: F401 - the audit trigger comes with its table
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
from screening.health import HealthBeat
from screening.keys.models import KekCheck, ShredRecord, SubjectKey
from screening.notify.models import Alert, OutboxMessage
from screening.responses.models import Draft, Submission
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
    "HealthBeat",
    "InstrumentEnablement",
    "KekCheck",
    "MfaCredential",
    "OnCallShift",
    "OutboxMessage",
    "RecoveryCode",
    "ScoreCount",
    "ScoreRecord",
    "ShredRecord",
    "SubjectKey",
    "Submission",
    "TierMapping",
    "User",
]
