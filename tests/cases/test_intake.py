"""Intake: one open case per student and kind even under concurrency; routing; tier mappings."""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from screening.cases import intake, tiering
from screening.cases.models import Case, CaseEvent, TierMapping
from screening.db import make_engine
from screening.keys.services import vault_of
from tests.cases.test_cases import _submit_phq9
from tests.conftest import login_as

SOURCE = {"instrument": "phq9", "version": 1, "total": 20, "band": "severe", "fired": []}


def test_tier_none_opens_nothing(db, make_user) -> None:
    student = make_user("student")
    assert intake.open_or_raise(db, student=student, kind="psych", tier="none", source={}) is None
    assert db.scalar(select(func.count()).select_from(Case)) == 0


def test_concurrent_flags_for_one_student_make_one_case(app: Flask, db, make_user) -> None:
    make_user("counselor")
    student = make_user("student")
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def flag(tier: str) -> None:
        engine = make_engine(app.config["DATABASE_URL"])
        try:
            with Session(engine, info={"app": app}) as session:
                barrier.wait()
                me = session.get(type(student), student.id)
                intake.open_or_raise(session, student=me, kind="psych", tier=tier, source=SOURCE)
                session.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            engine.dispose()

    tiers = ["moderate", "high", "crisis", "moderate"]
    threads = [threading.Thread(target=flag, args=(t,)) for t in tiers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    cases = db.scalars(select(Case)).all()
    assert len(cases) == 1 and cases[0].tier == "crisis"
    types = db.scalars(select(CaseEvent.type).where(CaseEvent.case_id == cases[0].id)).all()
    assert types.count("opened") == 1 and types.count("flag") == 3


def test_a_closed_case_lets_a_new_one_open(db, make_user) -> None:
    student = make_user("student")
    first = intake.open_or_raise(db, student=student, kind="psych", tier="high", source=SOURCE)
    first.status = "closed"
    db.commit()
    second = intake.open_or_raise(db, student=student, kind="psych", tier="high", source=SOURCE)
    academic = intake.open_or_raise(
        db, student=student, kind="academic", tier="moderate", source={"signal": "academic"}
    )
    db.commit()
    assert len({first.id, second.id, academic.id}) == 3


def test_routing_balances_caseload_and_keeps_advisors_for_academic_cases(db, make_user) -> None:
    busy = make_user("counselor")
    free = make_user("counselor")
    advisor = make_user("counselor")
    advisor.is_advisor = True
    db.commit()
    students = [make_user("student") for _ in range(4)]
    got = [
        intake.open_or_raise(db, student=s, kind="psych", tier="high", source=SOURCE).assignee_id
        for s in students[:3]
    ]
    assert got == [busy.id, free.id, busy.id]  # fewest open cases, lowest id on a tie
    academic = intake.open_or_raise(
        db, student=students[3], kind="academic", tier="moderate", source={"signal": "academic"}
    )
    assert academic.assignee_id == advisor.id
    assert advisor.id not in got


def test_source_is_sealed(db, make_user) -> None:
    student = make_user("student")
    case = intake.open_or_raise(
        db,
        student=student,
        kind="psych",
        tier="crisis",
        source={**SOURCE, "fired": [{"rule_id": "r", "description": "Item 9 answered 2"}]},
    )
    db.commit()
    row = db.scalar(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.type == "opened")
    )
    blob = row.detail_sealed
    assert blob and b"Item 9" not in blob and b"phq9" not in blob
    opened = vault_of(db).open(db, student.id, CaseEvent.detail_sealed, row)
    assert opened["fired"][0]["description"] == "Item 9 answered 2"


def test_tier_mapping_is_versioned_and_recorded_on_the_case(
    app: Flask, client: FlaskClient, logged_in, make_user, make_campaign, db
) -> None:
    instrument = app.extensions["library"].get("phq9")
    keys = tiering.keys(instrument)
    critical = [k for k in keys if k.critical]
    bands = [k for k in keys if k.key.startswith("band:")]
    assert critical and bands
    logged_in("admin")
    form = {k.key: k.default for k in keys}
    lowered = client.post("/cases/admin/tiers/phq9", data={**form, critical[0].key: "none"})
    assert lowered.status_code == 200
    assert b"Critical rules (suicide items) can never be set below crisis." in lowered.data
    assert db.scalar(select(func.count()).select_from(TierMapping)) == 0
    # Raise the mildest band to "moderate": a low PHQ-9 now opens a case.
    mildest = bands[0]
    saved = client.post("/cases/admin/tiers/phq9", data={**form, mildest.key: "moderate"})
    assert saved.status_code == 302
    again = client.post("/cases/admin/tiers/phq9", data={**form, mildest.key: "moderate"})
    assert again.status_code == 302
    versions = db.scalars(select(TierMapping.version).order_by(TierMapping.version)).all()
    assert versions == [1, 2]
    client.post("/auth/logout")
    make_user("counselor")
    make_campaign(["phq9"])
    student = make_user("student", student_number="20247777")
    login_as(client, "20247777")
    _submit_phq9(client, db, student)  # all zero
    case = db.scalar(select(Case))
    latest = db.scalar(select(TierMapping).where(TierMapping.version == 2))
    assert case is not None and case.tier == "moderate" and case.tier_mapping_id == latest.id


def test_resolve_never_lowers_an_unmapped_flag() -> None:
    score = {"fired": [{"rule_id": "new_rule", "tier": "crisis"}], "band": "none_band"}
    assert tiering.resolve(score, {"band:none_band": "none"}, "crisis") == "crisis"
    assert tiering.resolve({"fired": [], "band": "mild"}, {"band:mild": "none"}, "moderate") == (
        "none"
    )


@pytest.mark.parametrize("tier", ["crisis", "high", "moderate"])
def test_due_time_follows_the_tier(app: Flask, db, make_user, tier: str) -> None:
    student = make_user("student")
    case = intake.open_or_raise(db, student=student, kind="psych", tier=tier, source=SOURCE)
    hours = app.config["CASE_SLA_HOURS"][tier]
    assert (case.due_at - case.opened_at).total_seconds() == hours * 3600
