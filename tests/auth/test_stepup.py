"""Break-glass needs a fresh second factor; every wrong code is audited as security.mfa_failed."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from screening.audit.models import AuditEntry
from screening.auth import clock, mfa
from screening.auth.services import get_or_create_faculty
from screening.cases import intake
from screening.cases.models import BreakGlassGrant, Case
from tests.conftest import enrol_mfa, login_as, totp_code

SOURCE = {"instrument": "phq9", "version": 1, "total": 22, "band": "severe", "fired": []}
REASON = "Student called the night line and named this case"


def _outside_case(db, make_user) -> Case:
    student = make_user("student", name="张同学")
    case = intake.open_or_raise(db, student=student, kind="psych", tier="high", source=SOURCE)
    db.commit()
    return case


def _failures(db, where: str) -> list[AuditEntry]:
    db.expire_all()
    query = select(AuditEntry).where(
        AuditEntry.action == "security.mfa_failed", AuditEntry.reason == where
    )
    return list(db.scalars(query))


def test_break_glass_after_five_minutes_asks_for_a_code_again(
    client: FlaskClient, logged_in, make_user, db, monkeypatch
) -> None:
    case = _outside_case(db, make_user)
    law = get_or_create_faculty(db, "LAW", "Law", "法学院")
    db.commit()
    me = logged_in("counselor", faculties=[law])
    secret = mfa.secret_of(db, me)
    assert secret is not None
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start + 6 * 60)  # logged in 6 minutes ago
    page = client.get(f"/cases/{case.id}/break-glass")
    assert page.status_code == 403 and b'name="code"' in page.data
    without = client.post(f"/cases/{case.id}/break-glass", data={"reason": REASON})
    assert without.status_code == 401 and db.scalar(select(BreakGlassGrant)) is None
    wrong = client.post(f"/cases/{case.id}/break-glass", data={"reason": REASON, "code": "000000"})
    assert wrong.status_code == 401 and db.scalar(select(BreakGlassGrant)) is None
    assert REASON.encode() in wrong.data  # the written reason is kept on the page
    assert len(_failures(db, "break_glass")) == 2
    granted = client.post(
        f"/cases/{case.id}/break-glass",
        data={"reason": REASON, "code": totp_code(db, me, secret)},
    )
    assert granted.status_code == 302
    grant = db.scalar(select(BreakGlassGrant))
    assert grant is not None and grant.user_id == me.id
    db.expire_all()
    actions = list(db.scalars(select(AuditEntry.action).where(AuditEntry.actor_id == me.id)))
    assert "case.break_glass" in actions and "mfa.totp" in actions


def test_break_glass_right_after_the_second_factor_needs_no_new_code(
    client: FlaskClient, logged_in, make_user, db
) -> None:
    case = _outside_case(db, make_user)
    law = get_or_create_faculty(db, "LAW", "Law", "法学院")
    db.commit()
    logged_in("counselor", faculties=[law])
    page = client.get(f"/cases/{case.id}/break-glass")
    assert b'name="code"' not in page.data
    assert client.post(f"/cases/{case.id}/break-glass", data={"reason": REASON}).status_code == 302


def test_a_wrong_code_at_log_in_and_at_enrolment_is_audited(
    client: FlaskClient, make_user, db
) -> None:
    user = make_user("counselor")
    enrol_mfa(db, user)
    login_as(client, user.username or "")
    assert client.post("/auth/mfa", data={"code": "123456"}).status_code == 401
    assert client.post("/auth/mfa", data={"code": "ABCD-EFGH-JKLM-NPQR"}).status_code == 401
    failures = _failures(db, "login")
    assert len(failures) == 2 and {f.actor_id for f in failures} == {user.id}
    assert all("123456" not in (f.reason or "") for f in failures)

    other = make_user("counselor")
    fresh = client.application.test_client()
    login_as(fresh, other.username or "")
    fresh.post("/auth/mfa/setup/start")
    assert fresh.post("/auth/mfa/setup", data={"code": "000000"}).status_code == 401
    assert len(_failures(db, "enrolment")) == 1
