"""Imports every feature's models so the metadata knows all tables (migrations, tests)."""

from screening.audit.models import AuditEntry, AuditHead
from screening.auth.models import Cohort, Faculty, User
from screening.campaigns.models import (
    Assignment,
    Campaign,
    CampaignInstrument,
    Consent,
    CrisisResource,
    InstrumentEnablement,
)
from screening.keys.models import KekCheck, ShredRecord, SubjectKey
from screening.responses.models import Draft, Submission
from screening.stats.models import ScoreRecord

__all__ = [
    "Assignment",
    "AuditEntry",
    "AuditHead",
    "Campaign",
    "CampaignInstrument",
    "Cohort",
    "Consent",
    "CrisisResource",
    "Draft",
    "Faculty",
    "InstrumentEnablement",
    "KekCheck",
    "ScoreRecord",
    "ShredRecord",
    "SubjectKey",
    "Submission",
    "User",
]
