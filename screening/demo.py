"""A demo university a newcomer can click through: faculties, cohorts, students and staff."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from screening import db
from screening.audit.services import append as audit
from screening.auth import mfa
from screening.auth.contact import Contact, set_contact
from screening.auth.models import Role, User
from screening.auth.services import create_user, get_or_create_cohort, get_or_create_faculty, hasher
from screening.campaigns.models import Assignment
from screening.db import utcnow

FACULTIES = [
    ("CS", "School of Computer Science", "计算机学院"),
    ("MED", "School of Medicine", "医学院"),
    ("LAW", "Law School", "法学院"),
    ("ECON", "School of Economics", "经济学院"),
    ("ART", "School of Fine Arts", "美术学院"),
    ("PHYS", "School of Physics", "物理学院"),
]
COHORTS = [2022, 2023, 2024, 2025]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华建文辉玲"

# Published demo passwords: the demo is for a newcomer's machine, never for production.
STUDENT_PASSWORD = "demo-student-password"  # noqa: S105
STAFF_PASSWORD = "demo-staff-password"  # noqa: S105


class DemoExistsError(RuntimeError):
    """The demo was loaded already."""


def load(students: int = 300, seed: int = 2026) -> list[tuple[str, str, str]]:
    """Create the demo university; return (role, log-in, password) lines to print."""
    s = db.session()
    if s.scalar(select(User).where(User.username == "admin")) is not None:
        raise DemoExistsError("The demo is loaded already (an account named admin exists).")
    rng = random.Random(seed)  # noqa: S311 - reproducible demo names, not secrets
    faculties = [get_or_create_faculty(s, code, en, zh) for code, en, zh in FACULTIES]
    cohorts = [get_or_create_cohort(s, year) for year in COHORTS]
    student_hash = hasher(s).hash(STUDENT_PASSWORD)  # one hash for all demo students: fast
    staff_hash = hasher(s).hash(STAFF_PASSWORD)
    first_number = None
    for i in range(students):
        faculty = faculties[i % len(faculties)]
        cohort = cohorts[(i // len(faculties)) % len(cohorts)]
        number = f"{cohort.year}{faculties.index(faculty) + 1:02d}{i:04d}"
        first_number = first_number or number
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        student = create_user(
            s,
            role=Role.STUDENT,
            student_number=number,
            name=name,
            email=f"{number}@students.demo.edu.cn",
            faculty=faculty,
            cohort=cohort,
            password_hash=student_hash,
        )
        set_contact(s, student, _contact(rng, name, faculty.code, cohort.year, i))
    staff = [
        ("admin", Role.ADMIN, "系统管理员", None, []),
        ("supervisor", Role.SUPERVISOR, "周主任", None, faculties),
        ("dean", Role.DEAN, "校级安全办", None, []),
        ("dean.cs", Role.DEAN, "计算机学院院长", faculties[0], []),
    ]
    for n, faculty in enumerate(faculties):
        staff.append(
            (
                f"counselor.{faculty.code.lower()}",
                Role.COUNSELOR,
                f"{SURNAMES[n]}老师",
                None,
                [faculty],
            )
        )
    staff.append(("counselor.oncall", Role.COUNSELOR, "值班老师", None, faculties))
    staff.append(("advisor", Role.COUNSELOR, "学业导师", None, faculties))
    for username, role, name, scope, served in staff:
        user = create_user(
            s,
            role=role,
            username=username,
            name=name,
            email=f"{username}@staff.demo.edu.cn",
            faculty=scope,
            faculties=list(served),
            password_hash=staff_hash,
        )
        user.is_advisor = username == "advisor"
        mfa.enrol_without_confirmation(s, user)  # codes: `flask --app wsgi demo-code NAME`
    _class_counselors(s, faculties)
    _rota(s)
    _screening(s, rng, faculties, cohorts)
    audit(s, actor_id=None, action="demo.load", target_type="demo", reason=f"students={students}")
    _first_release(s)
    s.flush()
    current_app.logger.info("demo loaded: %d students", students)
    return [
        ("student", first_number or "-", STUDENT_PASSWORD),
        ("counselor", "counselor.cs", STAFF_PASSWORD),
        ("supervisor", "supervisor", STAFF_PASSWORD),
        ("dean", "dean", STAFF_PASSWORD),
        ("dean", "dean.cs", STAFF_PASSWORD),
        ("admin", "admin", STAFF_PASSWORD),
    ]


def _first_release(s: Session) -> None:
    """Publish the first statistics release, so the demo deans see figures at once."""
    from screening.cases.register import handling_cells
    from screening.stats import releases

    s.flush()
    now = utcnow()
    minimum = int(current_app.config["SMALL_CELL_MINIMUM"])
    releases.publish(s, now, minimum, handling_cells(s, now), "first")


CLASS_PREFIX = {
    "CS": "计科",
    "MED": "临床",
    "LAW": "法学",
    "ECON": "经济",
    "ART": "美术",
    "PHYS": "物理",
}
DORMS = ("紫荆公寓", "桃李园", "学知苑", "博雅楼")


def _contact(rng: random.Random, name: str, code: str, year: int, i: int) -> Contact:
    """Plausible contact data: a mobile number, a parent, a class and a dorm room."""
    parent = rng.choice(("父亲", "母亲"))
    room = f"{rng.randrange(1, 7)}{rng.randrange(1, 30):02d}"
    given = rng.choice(("建国", "秀兰", "志强", "丽华", "国庆", "淑珍"))
    return Contact(
        phone=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
        emergency_name=name[0] + given,
        emergency_relation=parent,
        emergency_phone=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
        class_name=f"{CLASS_PREFIX.get(code, code)}{year % 100:02d}{i % 3 + 1:02d}班",
        dorm=f"{rng.choice(DORMS)}{rng.randrange(1, 9)}号楼{room}",
    )


def _class_counselors(s: Session, faculties: list[Any]) -> None:
    """Each faculty's demo counselor is the class counselor (辅导员) of its students."""
    for faculty in faculties:
        counselor = s.scalar(
            select(User).where(User.username == f"counselor.{faculty.code.lower()}")
        )
        if counselor is None:
            continue
        for student in s.scalars(
            select(User).where(User.role == Role.STUDENT, User.faculty_id == faculty.id)
        ):
            student.class_counselor_id = counselor.id
    s.flush()


def _answers(rng: random.Random, instrument_id: str, weight: float) -> dict[str, int]:
    """Plausible answers: most students well, some struggling, a few in crisis."""
    counts = {"phq9": 9, "gad7": 7}
    answers = {
        f"q{i}": min(3, int(rng.random() * 4 * weight)) for i in range(1, counts[instrument_id] + 1)
    }
    if instrument_id == "phq9":
        answers["q9"] = 1 if rng.random() < weight * 0.08 else 0
        if any(v > 0 for v in answers.values()):
            answers["q10"] = min(3, int(rng.random() * 3 * weight))
    return answers


def _screening(s: Session, rng: random.Random, faculties: list[Any], cohorts: list[Any]) -> None:
    """An open campaign for everyone, answered by about 60% of the students (not the first)."""
    from screening.campaigns.services import create_campaign
    from screening.responses import services as flow

    app = s.info["app"]
    library = app.extensions["library"]
    now = utcnow()
    campaign = create_campaign(
        s,
        library,
        name="2026 秋季心理健康筛查 · Autumn 2026 wellbeing screening",
        # PHQ-9 item 9 is the suicide question: ASQ has no validated Chinese wording yet, so a
        # campaign serving Chinese and English readers cannot offer it.
        instruments=["phq9", "gad7"],
        steps={},
        faculties=faculties,
        cohorts=cohorts,
        opens_at=now - timedelta(days=5),
        closes_at=now + timedelta(days=25),
        show_results=True,
        consent_version="v1",
        reminder_days="3,7",
        created_by=None,
    )
    assignments = list(
        s.scalars(
            select(Assignment)
            .where(Assignment.campaign_id == campaign.id)
            .order_by(Assignment.student_id)
        )
    )
    for assignment in assignments[1:]:
        if rng.random() > 0.6:
            continue
        student = s.get(User, assignment.student_id)
        assert student is not None  # the assignment's student, created above
        flow.decide_consent(s, assignment, True)
        weight = rng.random() ** 2 * 1.6  # skewed: most answers low
        for step in campaign.instruments:
            instrument = library.get(step.instrument_id, step.version)
            result = flow.submit(
                s,
                student=student,
                assignment=assignment,
                instrument=instrument,
                answers=_answers(rng, step.instrument_id, weight),
                token=f"demo-{assignment.id}-{step.instrument_id}",
                lang="zh-Hans",
                now=now - timedelta(days=rng.randrange(0, 5)),
            )
            if result.errors:  # demo answers must be valid: never leave a half-done student
                raise RuntimeError(f"demo answers for {step.instrument_id} are invalid")


def _rota(s: Session) -> None:
    """The on-call counselor covers the next 30 days."""
    from screening.cases.models import OnCallShift

    oncall = s.scalar(select(User).where(User.username == "counselor.oncall"))
    if oncall is not None:
        now = utcnow()
        s.add(
            OnCallShift(
                user_id=oncall.id,
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(days=30),
            )
        )
        s.flush()
