"""The risk register and process measures: scope, escaping, audit, counts."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from screening.audit.models import AuditEntry
from screening.auth.services import get_or_create_faculty
from screening.cases import intake
from screening.cases.measures import CaseFacts, process_measures
from screening.cases.register import COLUMNS

SOURCE = {"instrument": "phq9", "version": 1, "total": 15, "band": "moderate", "fired": []}
RESPONSIBLE = COLUMNS.index("responsible")


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_exports_escape_formula_triggers(
    client: FlaskClient, logged_in, make_user, db, prefix: str
) -> None:
    evil = make_user("counselor", name=f'{prefix}HYPERLINK("http://x")')
    student = make_user("student")
    case = intake.open_or_raise(db, student=student, kind="psych", tier="moderate", source=SOURCE)
    case.assignee_id = evil.id
    db.commit()
    admin = logged_in("admin")
    text = client.get("/cases/register.csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][RESPONSIBLE] == f'\'{prefix}HYPERLINK("http://x")'
    book = load_workbook(io.BytesIO(client.get("/cases/register.xlsx").data))
    cell = book.active.cell(row=2, column=RESPONSIBLE + 1).value
    assert cell.startswith("'")
    exports = db.scalars(
        select(AuditEntry.reason).where(
            AuditEntry.action == "register.export", AuditEntry.actor_id == admin.id
        )
    ).all()
    assert sorted(exports) == ["csv", "xlsx"]


def test_register_shows_scope_only_and_no_student(
    client: FlaskClient, logged_in, make_user, db
) -> None:
    law = get_or_create_faculty(db, "LAW", "Law", "法学院")
    db.commit()
    ours = make_user("student", name="陈同学")
    theirs = make_user("student", faculty=law)
    a = intake.open_or_raise(db, student=ours, kind="psych", tier="high", source=SOURCE)
    b = intake.open_or_raise(db, student=theirs, kind="psych", tier="crisis", source=SOURCE)
    db.commit()
    logged_in("supervisor")  # serves CS only
    rows = list(csv.reader(io.StringIO(client.get("/cases/register.csv").data.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == [str(a.id)]
    assert str(b.id) not in {r[0] for r in rows[1:]}
    page = client.get("/cases/register")
    assert page.status_code == 200 and "陈同学".encode() not in page.data


def test_process_measures_counts() -> None:
    t0 = datetime(2026, 9, 1, 8, tzinfo=UTC)
    now = t0 + timedelta(days=5)

    def facts(
        tier: str, contact_hours: float | None, limit: int, closed: bool = False
    ) -> CaseFacts:
        contacted = t0 + timedelta(hours=contact_hours) if contact_hours is not None else None
        return CaseFacts(tier, "CS", t0, t0 + timedelta(hours=limit), contacted, closed)

    measures = process_measures(
        [
            facts("crisis", 0.5, 1),
            facts("crisis", 3, 1),
            facts("crisis", None, 1),
            facts("high", 10, 24),
            facts("high", None, 24, closed=True),
        ],
        now,
    )
    crisis, high = measures
    assert crisis.group == ("crisis", "CS") and crisis.cases == 3
    assert (crisis.contacted, crisis.within_time, crisis.overdue) == (2, 1, 1)
    assert crisis.share_within_time == pytest.approx(1 / 3)
    assert crisis.median_hours_to_contact == 1.8
    assert (high.contacted, high.within_time, high.overdue) == (1, 1, 0)
    assert high.share_within_time == 1.0


def test_measures_page(client: FlaskClient, logged_in, make_user, db) -> None:
    student = make_user("student")
    intake.open_or_raise(db, student=student, kind="psych", tier="crisis", source=SOURCE)
    db.commit()
    logged_in("supervisor")
    page = client.get("/cases/measures")
    assert page.status_code == 200 and b"Median hours to first contact" in page.data


def test_xlsx_has_typed_local_dates_a_frozen_header_a_named_sheet_and_widths(
    client: FlaskClient, logged_in, make_user, db
) -> None:
    student = make_user("student")
    case = intake.open_or_raise(db, student=student, kind="psych", tier="moderate", source=SOURCE)
    case.opened_at = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)  # 00:30 on 2 March in Beijing
    db.commit()
    logged_in("supervisor", faculties=[])
    book = load_workbook(io.BytesIO(client.get("/cases/register.xlsx").data))
    sheet = book.active
    assert sheet.title == "Risk register" and sheet.freeze_panes == "A2"
    opened = sheet.cell(row=2, column=COLUMNS.index("opened") + 1)
    assert opened.value == datetime(2026, 3, 2, 0, 30) and opened.is_date
    assert sheet.column_dimensions["B"].width >= 20
    text = client.get("/cases/register.csv").data.decode("utf-8-sig")
    assert "2026-03-02 00:30" in text
    page = client.get("/cases/register").get_data(as_text=True)
    assert "2026" in page and "+00:00" not in page and "main" in page
    assert '<main id="main" class="wide">' in page
