"""Case handling on the statistics pages: counts by state, suppressed, scoped, no person."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.audit.models import AuditEntry
from screening.auth.models import Faculty
from screening.auth.services import get_or_create_faculty
from screening.cases import intake
from screening.cases.models import Case
from screening.db import utcnow
from screening.stats.queries import Scope, case_counts
from tests.stats.releasing import publish_release

SOURCE = {"instrument": "phq9", "version": 1, "total": 20, "band": "severe", "fired": []}


@pytest.fixture
def law(db: Session) -> Faculty:
    """A small faculty."""
    fac = get_or_create_faculty(db, "LAW", "Law School", "法学院")
    db.commit()
    return fac


def _cases(db: Session, make_user, faculty: Faculty, states: dict[str, int]) -> None:
    """Open one case per student and set its times so it is in the given handling state."""
    now = utcnow()
    for state, n in states.items():
        for _ in range(n):
            student = make_user("student", faculty=faculty)
            case = intake.open_or_raise(
                db, student=student, kind="psych", tier="high", source=SOURCE
            )
            case.opened_at = now - timedelta(hours=30)
            case.due_at = now - timedelta(hours=6)
            if state == "within_time":
                case.acknowledged_at = now - timedelta(hours=20)
            elif state == "late":
                case.acknowledged_at = now - timedelta(hours=2)
            elif state == "waiting":
                case.due_at = now + timedelta(hours=6)
            elif state == "closed_uncontacted":
                case.status = "closed"
    db.commit()


@pytest.fixture
def cases(db: Session, make_user, faculty: Faculty, law: Faculty) -> None:
    """Computer Science: 12 within time, 2 late, 3 overdue, 11 waiting. Law: 3 overdue.
    Medicine: 15 within time, 10 late, 12 waiting."""
    make_user("counselor")
    _cases(db, make_user, faculty, {"within_time": 12, "late": 2, "overdue": 3, "waiting": 11})
    _cases(db, make_user, law, {"overdue": 3})
    medicine = get_or_create_faculty(db, "MED", "Medicine", "医学院")
    _cases(db, make_user, medicine, {"within_time": 15, "late": 10, "waiting": 12})
    publish_release(db)


def test_every_case_is_counted_once_in_its_state(db: Session, faculty, law, cases) -> None:
    """The released counts hold every case once, in its state, and scope to one faculty."""
    counts = case_counts(db, Scope())
    medicine = db.scalar(select(Faculty).where(Faculty.code == "MED"))
    assert counts["faculty"] == {
        (medicine.id, "within_time"): 15,
        (medicine.id, "late"): 10,
        (medicine.id, "waiting"): 12,
        (faculty.id, "within_time"): 12,
        (faculty.id, "late"): 2,
        (faculty.id, "overdue"): 3,
        (faculty.id, "waiting"): 11,
        (law.id, "overdue"): 3,
    }
    assert counts["tier"] == {
        ("high", "within_time"): 27,
        ("high", "late"): 12,
        ("high", "overdue"): 6,
        ("high", "waiting"): 23,
    }
    total = sum(counts["faculty"].values())
    assert total == len(db.scalars(select(Case)).all())
    only_law = case_counts(db, Scope(law.id))
    assert only_law["faculty"] == {(law.id, "overdue"): 3}


def test_page_and_csv_hide_small_counts_and_name_no_one(
    client: FlaskClient, logged_in, cases, db: Session
) -> None:
    logged_in("dean")
    page = client.get("/stats/cases")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Case handling by faculty" in html and "Case handling by tier" in html
    assert "Law School" in html and "Computer Science" in html
    assert "Person " not in html  # no student or staff name
    export = client.get("/stats/cases.csv")
    assert export.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    law = next(r for r in rows if r and r[0] == "Law School")
    assert "3" not in law[1:] and all(c in {"<10", "Hidden", "—"} for c in law[1:]), law
    cs = next(r for r in rows if r and r[0] == "Computer Science")
    true = {"within_time": "12", "late": "2", "overdue": "3", "waiting": "11"}
    for shown, value in zip(cs[1:5], true.values(), strict=True):
        assert shown in {value, "<10", "Hidden"}, cs
    assert "2" not in cs[1:] and "3" not in cs[1:]  # small counts never published
    med = next(r for r in rows if r and r[0] == "Medicine")
    assert med[1:4] == ["15", "10", "<10"] and med[6] == "37", med  # large counts published
    tier = next(r for r in rows if r and r[0] == "High")
    assert tier[1:3] == ["27", "12"] and tier[6] == "68", tier
    page_rows = html.count('<th scope="row">Computer Science</th>')
    assert page_rows == 3  # handling state, open cases, hours to first contact
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "stats.export"))
    assert entry is not None and entry.target_type == "cases"


def test_faculty_dean_sees_only_their_faculty(
    client: FlaskClient, logged_in, cases, law: Faculty
) -> None:
    logged_in("dean", faculty=law)
    html = client.get("/stats/cases").get_data(as_text=True)
    assert "Law School" in html and "Computer Science" not in html
    assert "Computer Science" not in client.get("/stats/cases.csv").get_data(as_text=True)


def test_counselor_cannot_open_the_statistics(client: FlaskClient, logged_in, cases) -> None:
    logged_in("counselor")
    assert client.get("/stats/cases").status_code == 403
    assert client.get("/stats/cases.csv").status_code == 403


def test_no_cases_says_so(client: FlaskClient, logged_in, app: Flask) -> None:
    logged_in("supervisor")
    html = client.get("/stats/cases").get_data(as_text=True)
    assert "No cases yet." in html and "Download CSV" not in html


def test_hours_to_first_contact_and_open_cases(client: FlaskClient, logged_in, cases) -> None:
    """Medicine: 15 contacted after 10 hours, 10 after 28: bands, total and the median band."""
    logged_in("dean")
    rows = list(csv.reader(io.StringIO(client.get("/stats/cases.csv").get_data(as_text=True)[1:])))
    start = rows.index(["Hours to first contact by faculty"])
    header = rows[start + 1]
    assert header[1:] == [
        "Within 1 hour",
        "1 to 24 hours",
        "24 to 72 hours",
        "More than 72 hours",
        "Total",
        "Median",
    ]
    end = rows.index([], start)
    for row in rows[start + 2 : end - 1]:
        assert (row[6] != "—") == row[5].isdigit(), row  # a median only for a shown group size
    start = rows.index(["Hours to first contact by tier"])
    high = next(r for r in rows[start:] if r and r[0] == "High")
    # Its two zero bands could be pinned down (neither can go below 0), so 12 hides with them.
    assert high[1:] == ["<10", "27", "Hidden", "<10", "39", "1 to 24 hours"]
    start = rows.index(["Open cases by faculty"])
    med = next(r for r in rows[start:] if r and r[0] == "Medicine")
    # All 37 still open: "37 of 37" would be a complement of 0, so it is hidden with the total.
    assert med[1:] == ["Hidden", "<10", "Hidden", "—"]


def test_median_band() -> None:
    """The band holding the middle case."""
    from screening.stats.reports import median_band

    assert median_band([0, 15, 10, 0], ["a", "b", "c", "d"]) == "b"
    assert median_band([5, 5, 10, 0], ["a", "b", "c", "d"]) == "b"
    assert median_band([0, 0, 0, 3], ["a", "b", "c", "d"]) == "d"
