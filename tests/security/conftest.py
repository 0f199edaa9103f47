"""A small university with two students in different faculties and staff around them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from screening.auth.models import User
from screening.auth.services import get_or_create_cohort, get_or_create_faculty
from tests.conftest import UserFactory, log_in_fully

#: Personal data of student B that nobody outside B's care may ever see.
B_NAME = "Zhaosecret Bname"
B_EMAIL = "b-secret-mail@example.edu"
B_NUMBER = "2024999111"


@dataclass
class World:
    """Who exists: student A (CS) and B (LAW), staff of CS, and an admin."""

    student_a: User
    student_b: User
    users: dict[str, User]

    def secrets(self) -> list[str]:
        return [B_NAME, B_EMAIL, B_NUMBER]


@pytest.fixture
def world(db: Session, make_user: UserFactory) -> World:
    """Two faculties; B belongs to LAW, every staff member but admins and supervisors to CS."""
    law = get_or_create_faculty(db, "LAW", "Law", "法学院")
    cohort = get_or_create_cohort(db, 2024)
    db.commit()
    a = make_user("student", student_number="2024000111")
    b = make_user(
        "student",
        student_number=B_NUMBER,
        name=B_NAME,
        email=B_EMAIL,
        faculty=law,
        cohort=cohort,
    )
    users = {
        "student": a,
        "counselor": make_user("counselor"),
        "supervisor": make_user("supervisor"),
        "dean": make_user("dean"),
        "admin": make_user("admin"),
    }
    return World(a, b, users)


@pytest.fixture
def act_as(app: Flask, db: Session, world: World) -> Callable[[str], FlaskClient]:
    """The browser of the world's user of a role, logged in (both factors) on first use.

    One log-in per role and test: a TOTP code is accepted once, so logging the same person in
    again and again within a minute would (rightly) run out of fresh codes.
    """
    browsers: dict[str, FlaskClient] = {}

    def login(role: str) -> FlaskClient:
        if role in browsers:
            return browsers[role]
        client = browsers[role] = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        user = world.users[role]
        login = user.username or "2024000111"
        log_in_fully(client, db, user, login)
        return client

    return login
