"""A demo university a newcomer can click through: faculties, cohorts, students and staff."""

from __future__ import annotations

import random

from flask import current_app
from sqlalchemy import select

from screening import db
from screening.audit.services import append as audit
from screening.auth import mfa
from screening.auth.models import Role, User
from screening.auth.services import create_user, get_or_create_cohort, get_or_create_faculty, hasher

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
        create_user(
            s,
            role=Role.STUDENT,
            student_number=number,
            name=name,
            email=f"{number}@students.demo.edu.cn",
            faculty=faculty,
            cohort=cohort,
            password_hash=student_hash,
        )
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
    audit(s, actor_id=None, action="demo.load", target_type="demo", reason=f"students={students}")
    s.commit()
    current_app.logger.info("demo loaded: %d students", students)
    return [
        ("student", first_number or "-", STUDENT_PASSWORD),
        ("counselor", "counselor.cs", STAFF_PASSWORD),
        ("supervisor", "supervisor", STAFF_PASSWORD),
        ("dean", "dean", STAFF_PASSWORD),
        ("dean", "dean.cs", STAFF_PASSWORD),
        ("admin", "admin", STAFF_PASSWORD),
    ]
