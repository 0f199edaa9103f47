"""Alerts say tier, case, faculty and why; crises first; escalations grouped; bulk acknowledge."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from screening.audit.models import AuditEntry
from screening.auth.services import get_or_create_faculty
from screening.cases import intake
from screening.notify.models import Alert
from screening.notify.services import enqueue

WHY = {
    "instrument": "phq9",
    "version": 1,
    "total": 12,
    "band": "moderate",
    "fired": [{"rule_id": "q9_self_harm_thoughts", "tier": "crisis", "values": {"q9": 1}}],
}


def _entries(html: str) -> list[str]:
    return re.findall(r"<li class=\"(?:new|seen)[^\"]*\">(.*?)</li>", html, re.S)


def test_inbox_entries_say_tier_case_faculty_and_why_crisis_first(
    client: FlaskClient, logged_in, make_user, db: Session
) -> None:
    me = logged_in("counselor")
    moderate = intake.open_or_raise(
        db, student=make_user("student"), kind="psych", tier="moderate", source=WHY
    )
    crisis = intake.open_or_raise(
        db, student=make_user("student"), kind="psych", tier="crisis", source=WHY
    )
    db.flush()
    for _ in range(120):  # a supervisor's night of escalations of one case
        enqueue(db, recipient_id=me.id, kind="case.escalated", link_path=f"/cases/{moderate.id}")
    db.commit()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    page = client.get("/inbox/").get_data(as_text=True)
    entries = _entries(page)
    assert len(entries) == 3  # new crisis, new moderate, 120 escalations as one
    assert "alert-crisis" in page.split(entries[0])[0][-200:]
    assert f"个案 {crisis.id}" in entries[0] and "危机" in entries[0]
    assert "计算机学院" in entries[0] and "PHQ-9" in entries[0] and "第 9 题" in entries[0]
    escalations = next(e for e in entries if "× 120" in e)
    assert f"个案 {moderate.id}" in escalations
    assert 'class="nav-count">122<' in page  # the unread count in the navigation
    views = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "inbox.view")
    assert db.scalar(views) == 1


def test_acknowledge_several_at_once_and_a_group_at_a_time(
    client: FlaskClient, logged_in, make_user, db: Session
) -> None:
    me = logged_in("counselor")
    case = intake.open_or_raise(
        db, student=make_user("student"), kind="psych", tier="high", source=WHY
    )
    db.flush()
    for _ in range(3):
        enqueue(db, recipient_id=me.id, kind="case.escalated", link_path=f"/cases/{case.id}")
    enqueue(db, recipient_id=me.id, kind="case.signoff", link_path=f"/cases/{case.id}")
    db.commit()
    alerts = db.scalars(select(Alert).where(Alert.recipient_id == me.id)).all()
    escalated = next(a for a in alerts if a.kind == "case.escalated")
    signoff = next(a for a in alerts if a.kind == "case.signoff")
    answer = client.post("/inbox/acknowledge", data={"alert": [escalated.id, signoff.id]})
    assert answer.status_code == 302
    left = db.scalars(
        select(Alert.kind).where(Alert.recipient_id == me.id, Alert.acknowledged_at.is_(None))
    ).all()
    assert left == ["case.new"]
    new = db.scalar(select(Alert).where(Alert.recipient_id == me.id, Alert.kind == "case.new"))
    opened = client.post(f"/inbox/{new.id}/acknowledge")
    assert opened.headers["Location"] == f"/cases/{case.id}"
    page = client.get("/cases/").get_data(as_text=True)
    assert "nav-count" not in page


def test_outside_scope_alert_shows_no_reason(
    client: FlaskClient, logged_in, make_user, db: Session
) -> None:
    law = get_or_create_faculty(db, "LAW", "Law", "法学院")
    db.commit()
    me = logged_in("supervisor", faculties=[law])
    case = intake.open_or_raise(
        db, student=make_user("student"), kind="psych", tier="crisis", source=WHY
    )
    db.flush()
    enqueue(db, recipient_id=me.id, kind="case.escalated", link_path=f"/cases/{case.id}")
    db.commit()
    page = client.get("/inbox/").get_data(as_text=True)
    assert f"Case {case.id}" in page and "PHQ" not in page and "item 9" not in page
