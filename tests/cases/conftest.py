"""Helpers for the counselor workspace: a student with contact data and a flagged response."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.auth.contact import Contact, set_contact
from screening.auth.models import User
from screening.cases.models import Case

CONTACT = Contact(
    phone="138 0013 8000",
    emergency_name="李建国",
    emergency_relation="父亲",
    emergency_phone="139-0013-9000",
    class_name="计科2401班",
    dorm="紫荆公寓3号楼512",
)


def submit_answers(
    app: Flask, db: Session, student: User, instrument_id: str, answers: dict[str, Any]
) -> Case | None:
    """Submit one instrument for a student through the real flow (with its case hooks)."""
    from screening.campaigns.models import Assignment
    from screening.db import utcnow
    from screening.responses import services as flow

    assignment = db.scalar(
        select(Assignment).where(Assignment.student_id == student.id).order_by(Assignment.id.desc())
    )
    assert assignment is not None, "the student needs a campaign assignment"
    flow.decide_consent(db, assignment, True)
    library = app.extensions["library"]
    step = next(s for s in assignment.campaign.instruments if s.instrument_id == instrument_id)
    result = flow.submit(
        db,
        student=student,
        assignment=assignment,
        instrument=library.get(instrument_id, step.version),
        answers=answers,
        token=f"t-{assignment.id}-{instrument_id}",
        lang="zh-Hans",
        now=utcnow(),
    )
    assert not result.errors, result.errors
    db.commit()
    return db.scalar(select(Case).where(Case.student_id == student.id))


@pytest.fixture
def crisis_case(app: Flask, db: Session, make_user, make_campaign) -> Callable[..., Case]:
    """A PHQ-9 with item 9 answered 'several days': a crisis case for a student with contacts."""

    def make(**kwargs: Any) -> Case:
        kwargs.setdefault("name", "李同学")
        kwargs.setdefault("student_number", "20245555")
        counselor = kwargs.pop("class_counselor", None)
        student = make_user("student", **kwargs)
        set_contact(db, student, CONTACT)
        if counselor is not None:
            student.class_counselor_id = counselor.id
        db.commit()
        make_campaign(["phq9"])  # assigns every student of the faculty, this one included
        answers = {f"q{i}": 1 for i in range(1, 10)} | {"q2": 2, "q9": 1}
        case = submit_answers(app, db, student, "phq9", answers)
        assert case is not None and case.tier == "crisis"
        return case

    return make
