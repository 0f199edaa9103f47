"""Audit entries are appended by the services, so the web, the CLI and the worker agree."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from screening.audit.models import AuditEntry
from screening.auth import mfa
from screening.auth.services import change_password
from screening.cases import academic
from tests.cases.test_academic import HEADER
from tests.conftest import PASSWORD


def _entries(db, action: str) -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_the_command_line_import_is_audited_as_the_web_import_is(
    runner, make_user, db, tmp_path: Path
) -> None:
    make_user("student", student_number="20249001")
    data = tmp_path / "registrar.csv"
    data.write_text(HEADER + "20249001,2025-1,12,1.8,20\n20249999,2025-1,0,3,0\n", "utf-8")
    result = runner.invoke(args=["cases", "import-academic", "--skip-invalid", str(data)])
    assert result.exit_code == 0, result.output
    [entry] = _entries(db, "academic.import")
    assert entry.actor_id is None and entry.target_type == "registrar"
    assert entry.reason == "2 rows, 1 flagged, 1 skipped"


def test_a_campaign_made_on_the_command_line_is_audited(make_campaign, db) -> None:
    campaign = make_campaign(["phq9"])
    [entry] = _entries(db, "campaign.create")
    assert entry.target_id == str(campaign.id) and entry.actor_id is None


def test_services_called_outside_a_request_audit_themselves(make_user, db) -> None:
    """A password change or a second factor step, by whatever path, leaves its entry."""
    user = make_user("counselor")
    change_password(db, user, PASSWORD, "another long enough passphrase 42")
    mfa.begin(db, user)
    db.commit()
    assert [e.target_id for e in _entries(db, "user.password")] == [str(user.id)]
    assert [e.actor_id for e in _entries(db, "mfa.begin")] == [user.id]
    assert academic.apply(db, [], {}, {}).rows == 0
    assert [e.reason for e in _entries(db, "academic.import")] == ["0 rows, 0 flagged, 0 skipped"]
