"""Who may see a case: scope, break-glass with a reason and an alert, audit of every view."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from screening.audit.models import AuditEntry
from screening.auth.services import get_or_create_faculty
from screening.cases import intake
from screening.cases.models import BreakGlassGrant, Case
from screening.notify.models import Alert
from tests.conftest import log_in_fully

CLOSE = {
    "outcome": "hospitalised",
    "note": "Admitted",
    "plan": "Weekly talk for a month",
    "safety_plan": "y",
}
SOURCE = {"instrument": "phq9", "version": 1, "total": 22, "band": "severe", "fired": []}


def _case(db, make_user) -> Case:
    student = make_user("student", name="张同学")
    case = intake.open_or_raise(db, student=student, kind="psych", tier="high", source=SOURCE)
    db.commit()
    return case


def test_every_view_is_audited(client: FlaskClient, logged_in, make_user, db) -> None:
    case = _case(db, make_user)
    me = logged_in("counselor")
    assert client.get(f"/cases/{case.id}").status_code == 200
    client.get(f"/cases/{case.id}")
    views = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "case.view", AuditEntry.actor_id == me.id)
    ).all()
    assert len(views) == 2 and all(v.target_id == str(case.id) for v in views)


def test_break_glass_needs_a_reason_grants_an_hour_and_alerts_supervisors(
    client: FlaskClient, logged_in, make_user, db
) -> None:
    case = _case(db, make_user)
    supervisor = make_user("supervisor")
    law = get_or_create_faculty(db, "LAW", "Law", "法学院")
    db.commit()
    outsider = logged_in("counselor", faculties=[law])
    refused = client.get(f"/cases/{case.id}", follow_redirects=True)
    assert refused.status_code == 403 and "张同学".encode() not in refused.data
    assert b"break-glass" in refused.data
    short = client.post(f"/cases/{case.id}/break-glass", data={"reason": "need it"})
    assert short.status_code == 403 and db.scalar(select(BreakGlassGrant)) is None
    reason = "Student called the night line and named this case"
    granted = client.post(f"/cases/{case.id}/break-glass", data={"reason": reason})
    assert granted.status_code == 302
    page = client.get(f"/cases/{case.id}")
    assert page.status_code == 200 and "张同学".encode() in page.data
    assert b"Emergency access" in page.data
    grant = db.scalar(select(BreakGlassGrant))
    assert grant.user_id == outsider.id
    assert grant.expires_at - grant.granted_at == timedelta(hours=1)
    assert reason.encode() not in grant.reason_sealed
    alert = db.scalar(select(Alert).where(Alert.recipient_id == supervisor.id))
    assert alert is not None and alert.kind == "case.breakglass"
    view = db.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "case.view", AuditEntry.actor_id == outsider.id
        )
    )
    assert view.reason == "break_glass"
    grant.expires_at = grant.granted_at  # an hour later
    db.commit()
    assert client.get(f"/cases/{case.id}").status_code == 302


def test_deans_admins_and_students_have_no_case_access(
    client: FlaskClient, logged_in, make_user, db
) -> None:
    case = _case(db, make_user)
    for role in ("dean", "admin", "student"):
        logged_in(role)
        assert client.get(f"/cases/{case.id}").status_code == 403
        assert (
            client.post(f"/cases/{case.id}/break-glass", data={"reason": "x" * 20}).status_code
            == 403
        )
        client.post("/auth/logout")
    logged_in("dean")
    assert client.get("/cases/register").status_code == 403
    assert client.get("/cases/measures").status_code == 403


def test_crisis_close_out_needs_another_supervisor(
    client: FlaskClient, logged_in, make_user, db
) -> None:
    student = make_user("student")
    case = intake.open_or_raise(db, student=student, kind="psych", tier="crisis", source=SOURCE)
    db.commit()
    other = make_user("supervisor")
    me = logged_in("supervisor")
    client.post(f"/cases/{case.id}/acknowledge")
    client.post(f"/cases/{case.id}/close", data={"outcome": "hospitalised", "note": "Admitted"})
    db.expire_all()
    assert db.get(Case, case.id).status == "open"  # no follow-up plan, no safety plan
    client.post(f"/cases/{case.id}/close", data=CLOSE)
    db.expire_all()
    assert db.get(Case, case.id).status == "pending_signoff"
    mine = client.post(f"/cases/{case.id}/signoff", follow_redirects=True)
    assert b"Another supervisor must sign off" in mine.data
    db.expire_all()
    assert db.get(Case, case.id).status == "pending_signoff"
    client.post("/auth/logout")
    log_in_fully(client, db, other)
    back = client.post(f"/cases/{case.id}/signoff", data={"decision": "refuse", "note": ""})
    assert back.status_code == 302
    db.expire_all()
    assert db.get(Case, case.id).status == "pending_signoff"  # sending back needs a reason
    client.post(
        f"/cases/{case.id}/signoff", data={"decision": "refuse", "note": "Confirm discharge plan"}
    )
    db.expire_all()
    reopened = db.get(Case, case.id)
    assert reopened.status == "open" and reopened.outcome is None
    client.post("/auth/logout")
    log_in_fully(client, db, me)
    client.post(f"/cases/{case.id}/close", data={**CLOSE, "note": "Plan agreed"})
    client.post("/auth/logout")
    log_in_fully(client, db, other)
    client.post(f"/cases/{case.id}/signoff", data={"decision": "approve", "note": "OK"})
    db.expire_all()
    closed = db.get(Case, case.id)
    assert closed.status == "closed" and closed.signed_off_by == other.id
    assert closed.closed_by == me.id


def test_referral_needs_a_destination(client: FlaskClient, logged_in, make_user, db) -> None:
    case = _case(db, make_user)
    logged_in("counselor")
    bad = client.post(
        f"/cases/{case.id}/notes",
        data={"kind": "referred", "text": "Needs a psychiatrist"},
        follow_redirects=True,
    )
    assert b"Choose where the student was referred to." in bad.data
    good = client.post(
        f"/cases/{case.id}/notes",
        data={"kind": "referred", "referral": "hospital", "text": "Needs a psychiatrist"},
        follow_redirects=True,
    )
    assert b"Needs a psychiatrist" in good.data and b"Hospital" in good.data
