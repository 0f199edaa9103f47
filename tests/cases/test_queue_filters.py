"""The queue as a table: filters, sort, exact search by number or phone, names for one page."""

from __future__ import annotations

import re
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.audit.models import AuditEntry
from screening.auth.contact import Contact, set_contact
from screening.auth.services import get_or_create_faculty
from screening.cases import intake
from screening.db import utcnow

SOURCE = {"instrument": "phq9", "version": 1, "total": 20, "band": "severe", "fired": []}


def _ids(html: str) -> set[int]:
    return {int(n) for n in re.findall(r'href="/cases/(\d+)"', html)}


def _open(db: Session, make_user, tier: str = "high", **kwargs):
    student = make_user("student", **kwargs)
    case = intake.open_or_raise(db, student=student, kind="psych", tier=tier, source=SOURCE)
    db.commit()
    return student, case


def test_search_by_student_number_or_phone_finds_exactly_that_student(
    client: FlaskClient, logged_in, make_user, db: Session
) -> None:
    me = logged_in("counselor")
    wanted, case = _open(db, make_user, student_number="20249999", name="陈同学")
    set_contact(db, wanted, Contact(phone="13912345678"))
    db.commit()
    _open(db, make_user, student_number="20248888", name="吴同学")
    for query in ("20249999", " 20249999 ", "139 1234 5678", "+86-139-1234-5678"):
        page = client.get("/cases/", query_string={"q": query}).get_data(as_text=True)
        assert _ids(page) == {case.id}, query
        assert "陈同学" in page and "吴同学" not in page
    missing = client.get("/cases/", query_string={"q": "2024999"}).get_data(as_text=True)
    assert _ids(missing) == set()
    audited = db.scalars(select(AuditEntry).where(AuditEntry.action == "queue.view")).all()
    assert audited and all(a.actor_id == me.id for a in audited)
    assert all("2024" not in (a.reason or "") for a in audited)  # no search term in the log


def test_filters_narrow_the_queue(client: FlaskClient, logged_in, make_user, db: Session) -> None:
    me = logged_in("counselor")
    law = get_or_create_faculty(db, "LAW", "Law", "法学院")
    db.commit()
    me.faculties.append(law)
    db.merge(me)
    db.commit()
    _, crisis = _open(db, make_user, "crisis")
    _, mine = _open(db, make_user, "moderate")
    mine.assignee_id = me.id
    _, late = _open(db, make_user, "high")
    late.due_at = utcnow() - timedelta(hours=2)
    late.escalation_level = 1
    _, lawcase = _open(db, make_user, "moderate", faculty=law)
    for case in (crisis, late, lawcase):  # routing gave them to me, the only counselor
        case.assignee_id = None
    db.commit()

    def listed(**query: str) -> set[int]:
        return _ids(client.get("/cases/", query_string=query).get_data(as_text=True))

    assert listed() == {crisis.id, mine.id, late.id, lawcase.id}
    assert listed(tier="crisis") == {crisis.id}
    assert listed(mine="1") == {mine.id}
    assert listed(overdue="1") == {late.id}
    assert listed(escalated="1") == {late.id}
    assert listed(unassigned="1") == {crisis.id, late.id, lawcase.id}
    assert listed(faculty=str(law.id)) == {lawcase.id}
    assert listed(status="pending_signoff") == set()
    assert listed(tier="moderate", unassigned="1") == {lawcase.id}
    newest = client.get("/cases/", query_string={"sort": "newest"}).get_data(as_text=True)
    order = [int(n) for n in re.findall(r'href="/cases/(\d+)"', newest)]
    assert order == sorted(order, reverse=True)


def test_names_open_only_for_the_page_and_scope_holds(
    client: FlaskClient, logged_in, make_user, db: Session
) -> None:
    law = get_or_create_faculty(db, "LAW", "Law", "法学院")
    db.commit()
    for n in range(53):
        _open(db, make_user, "moderate" if n else "crisis", name=f"学生{n:02d}")
    _open(db, make_user, "crisis", name="法学院学生", faculty=law, student_number="L2024")
    logged_in("counselor")
    first = client.get("/cases/").get_data(as_text=True)
    assert len(_ids(first)) == 50 and "学生00" in first
    shown = set(re.findall(r"学生\d\d", first))
    assert len(shown) == 50  # the three on the next page are not opened
    assert "法学院学生" not in first
    assert _ids(client.get("/cases/", query_string={"q": "L2024"}).get_data(as_text=True)) == set()


def test_dean_has_no_queue(client: FlaskClient, logged_in, make_user, db: Session) -> None:
    _open(db, make_user, "crisis", student_number="20247777")
    logged_in("dean")
    assert client.get("/cases/", query_string={"q": "20247777"}).status_code == 403
