"""Imports every feature's models so the metadata knows all tables (migrations, tests)."""

from screening.audit.models import AuditEntry, AuditHead
from screening.auth.models import Cohort, Faculty, MfaCredential, RecoveryCode, User
from screening.keys.models import KekCheck, ShredRecord, SubjectKey
from screening.stats.models import ScoreRecord

__all__ = [
    "AuditEntry",
    "AuditHead",
    "Cohort",
    "Faculty",
    "KekCheck",
    "MfaCredential",
    "RecoveryCode",
    "ScoreRecord",
    "ShredRecord",
    "SubjectKey",
    "User",
]
