"""Campaigns: created on the command line and the web, students assigned, licences acknowledged."""

from __future__ import annotations

from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from screening.campaigns.models import Assignment, Campaign, InstrumentEnablement


def test_create_by_command_assigns_students(runner: FlaskCliRunner, make_user, db) -> None:
    make_user("student")
    make_user("student")
    result = runner.invoke(
        args=[
            "campaigns",
            "create",
            "--name",
            "新生筛查",
            "--instrument",
            "phq2",
            "--instrument",
            "asq",
            "--instrument",
            "phq9",
            "--step",
            "phq2:phq9",
            "--faculty",
            "CS",
            "--cohort",
            "2024",
            "--opens",
            "2026-01-01 08:00",
            "--closes",
            "2030-01-01 08:00",
            "--show-results",
            "--language",
            "en",  # ASQ is English-only
        ]
    )
    assert result.exit_code == 0, result.output
    assert "2 students assigned" in result.output
    listed = runner.invoke(args=["campaigns", "list"])
    assert "新生筛查" in listed.output and "0/2 completed" in listed.output


def test_command_refuses_unsafe_stepping_and_unknown_faculty(
    runner: FlaskCliRunner, faculty
) -> None:
    base = [
        "campaigns",
        "create",
        "--name",
        "x",
        "--cohort",
        "2024",
        "--opens",
        "2026-01-01 08:00",
        "--closes",
        "2030-01-01 08:00",
    ]
    unsafe = runner.invoke(
        args=[
            *base,
            "--faculty",
            "CS",
            "--instrument",
            "phq2",
            "--instrument",
            "phq9",
            "--step",
            "phq2:phq9",
        ]
    )
    assert unsafe.exit_code != 0
    unknown = runner.invoke(args=[*base, "--faculty", "NOPE", "--instrument", "phq9"])
    assert unknown.exit_code != 0 and "NOPE" in unknown.output


def test_roster_changes_are_picked_up(
    client, logged_in, make_user, runner: FlaskCliRunner, db
) -> None:
    make_user("student")
    runner.invoke(
        args=[
            "campaigns",
            "create",
            "--name",
            "c",
            "--instrument",
            "phq9",
            "--faculty",
            "CS",
            "--cohort",
            "2024",
            "--opens",
            "2026-01-01 08:00",
            "--closes",
            "2030-01-01 08:00",
        ]
    )
    late = logged_in("student")  # added to the roster after the campaign opened
    assert b">c<" in client.get("/screening/").data
    assert db.scalar(select(Assignment).where(Assignment.student_id == late.id)) is not None


def test_admin_creates_campaign_on_the_web(client, logged_in, make_user, faculty, db) -> None:
    from screening.auth.services import get_or_create_cohort

    cohort = get_or_create_cohort(db, 2024)
    db.commit()
    make_user("student")
    logged_in("admin")
    response = client.post(
        "/campaigns/new",
        data={
            "name": "Spring",
            "order": "phq9,gad7",
            "use": ["phq9", "gad7"],
            "faculties": [str(faculty.id)],
            "cohorts": [str(cohort.id)],
            "opens_at": "2026-03-01T08:00",
            "closes_at": "2030-03-20T18:00",
            "consent_version": "v1",
            "reminder_days": "3,7",
            "action": "save",
        },
    )
    assert response.status_code == 302, response.data
    campaign = db.scalar(select(Campaign))
    assert [i.instrument_id for i in campaign.instruments] == ["phq9", "gad7"]
    page = client.get(response.headers["Location"])
    assert b"Participation" in page.data and b"CS" in page.data
    bad = client.post(
        "/campaigns/new",
        data={
            "name": "x",
            "use": ["upi"],
            "faculties": [str(faculty.id)],
            "cohorts": [str(cohort.id)],
            "opens_at": "2026-03-01T08:00",
            "closes_at": "2030-03-20T18:00",
            "consent_version": "v1",
            "action": "save",
        },
    )
    # UPI needs its licence acknowledged: it is not offered, so nothing is chosen.
    assert bad.status_code == 200 and b"Choose at least one instrument" in bad.data
    assert b"Not enabled yet" in bad.data


def test_enabling_an_instrument_records_the_acknowledgement(client, logged_in, db) -> None:
    admin = logged_in("admin")
    refused = client.post("/campaigns/instruments/upi/enable", data={})
    assert refused.status_code == 302
    assert db.scalar(select(func.count()).select_from(InstrumentEnablement)) == 0
    client.post("/campaigns/instruments/upi/enable", data={"acknowledge": "y"})
    row = db.get(InstrumentEnablement, "upi")
    assert row is not None and row.enabled_by == admin.id and row.licence_text


def test_crisis_lines_are_editable(client, logged_in) -> None:
    logged_in("admin")
    assert b"12356" in client.get("/campaigns/crisis-lines").data
    bad = client.post("/campaigns/crisis-lines", data={"lines": "only two | parts"})
    assert b"Line 1" in bad.data
    ok = client.post(
        "/campaigns/crisis-lines", data={"lines": "校心理中心 | Counselling centre | 010-6275-1234"}
    )
    assert ok.status_code == 302
    assert b"010-6275-1234" in client.get("/campaigns/crisis-lines").data
