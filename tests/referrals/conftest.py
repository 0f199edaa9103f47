"""Helpers for requests and reports: students with a class and a dorm, reporters, on-call."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from screening.auth.contact import Contact, set_contact
from screening.auth.models import User
from screening.cases.models import OnCallShift
from screening.db import utcnow
from screening.referrals.models import ReporterRole
from tests.conftest import log_in_fully


@pytest.fixture
def student_in(db: Session, make_user) -> Callable[..., User]:
    """A student of faculty CS in a class and a dorm."""

    def make(class_name: str = "计科2401班", dorm: str = "紫荆3号楼512", **kwargs: Any) -> User:
        student = make_user("student", **kwargs)
        set_contact(db, student, Contact(phone="138 0013 8000", class_name=class_name, dorm=dorm))
        db.commit()
        return student

    return make


@pytest.fixture
def reporter(db: Session, student_in) -> Callable[..., User]:
    """A student flagged as class psychological committee member (or dorm head)."""

    def make(kind: str = "class_committee", **kwargs: Any) -> User:
        student = student_in(**kwargs)
        db.add(ReporterRole(user_id=student.id, kind=kind))
        db.commit()
        return student

    return make


@pytest.fixture
def on_call(db: Session, make_user) -> User:
    """A counselor on call now."""
    counselor = make_user("counselor", name="值班老师")
    now = utcnow()
    db.add(
        OnCallShift(
            user_id=counselor.id,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=8),
        )
    )
    db.commit()
    return counselor


def sign_in(client: FlaskClient, db: Session, user: User) -> None:
    """Log the client in as this user (students by student number)."""
    from screening.auth.services import person

    client.post("/auth/logout")
    login = user.username or person(db, user).student_number or ""
    log_in_fully(client, db, user, login)
