"""Fixtures: a fresh database per test (SQLite file, or PostgreSQL when configured), app, client."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from hypothesis import settings
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.orm import Session

import screening.models  # noqa: F401 - every table on the metadata
from screening import create_app
from screening.auth.models import Faculty, Role, User
from screening.campaigns.models import Campaign
from screening.crypto import KeyRing
from screening.db import Base, make_engine, utcnow
from screening.keys.models import KekCheck
from tests.smtp_server import smtp  # noqa: F401 - a real SMTP server fixture for every test

#: No Hypothesis deadlines: a loaded machine is slow, not wrong (timings belong in bench/).
settings.register_profile("screening", deadline=None)
settings.load_profile("screening")

PG_URL = os.environ.get("SCREENING_TEST_DATABASE_URL")
PASSWORD = "correct horse battery staple"


@contextmanager
def temporary_database(base_url: str, suffix: str) -> Iterator[str]:
    """Create an empty PostgreSQL database beside the test database, drop it afterwards."""
    url = make_url(base_url)
    name = f"{url.database}_{suffix}_{os.getpid()}"
    admin = create_engine(
        url.set(drivername="postgresql+psycopg", database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _record_checks(engine: Engine, ring: KeyRing) -> None:
    with Session(engine) as session:
        for kek_id, value in ring.check_values().items():
            session.add(KekCheck(kek_id=kek_id, check_value=value))
        session.commit()


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An instance folder with a key ring and an empty schema, copied for each test."""
    folder = tmp_path_factory.mktemp("template")
    ring = KeyRing.create(folder / "keyring.json")
    url = PG_URL or f"sqlite:///{folder / 'screening.sqlite'}"
    engine = make_engine(url)
    if PG_URL:
        Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    _record_checks(engine, ring)
    engine.dispose()
    return folder


def _truncate_postgres() -> None:
    engine = make_engine(PG_URL or "")
    keep = {"kek_checks"}
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables if t.name not in keep)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def instance(template: Path, tmp_path: Path) -> Path:
    """A private copy of the template instance folder."""
    folder = tmp_path / "instance"
    folder.mkdir(mode=0o700)
    shutil.copy2(template / "keyring.json", folder / "keyring.json")
    if PG_URL:
        _truncate_postgres()
    else:
        shutil.copy2(template / "screening.sqlite", folder / "screening.sqlite")
    return folder


def app_config(instance: Path, **extra: Any) -> dict[str, Any]:
    """The configuration every test app starts from."""
    config: dict[str, Any] = {
        "ENVIRONMENT": "test",
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": "test-secret-key-not-for-production-0123456789",
        "DATABASE_URL": PG_URL or f"sqlite:///{instance / 'screening.sqlite'}",
        "KEYRING_PATH": str(instance / "keyring.json"),
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_TIME_COST": 1,
        "PASSWORD_HASH_MEMORY_KIB": 1024,
        "SESSION_COOKIE_SECURE": False,
    }
    config.update(extra)
    return config


@pytest.fixture
def app(instance: Path) -> Iterator[Flask]:
    """The app on a fresh database."""
    from screening.notify.system import join_alerts

    application = create_app(app_config(instance))
    yield application
    join_alerts(application)  # alerts and security events written by threads finish first
    application.extensions["engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser without cookies that prefers English (the Chinese pages have their own tests)."""
    test_client = app.test_client()
    test_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return test_client


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """The command line."""
    return app.test_cli_runner()


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    """A session of the app's own, for arranging and checking data between requests."""
    engine = make_engine(app.config["DATABASE_URL"], immediate=False)
    session = Session(engine, expire_on_commit=False, info={"app": app})
    yield session
    session.close()
    engine.dispose()


@pytest.fixture
def faculty(db: Session) -> Faculty:
    """A faculty to put people in."""
    from screening.auth.services import get_or_create_faculty

    fac = get_or_create_faculty(db, "CS", "Computer Science", "计算机学院")
    db.commit()
    return fac


UserFactory = Callable[..., User]


@pytest.fixture
def make_user(db: Session, faculty: Faculty) -> UserFactory:
    """Create a user of a role; students get a student number, faculty and cohort."""
    from screening.auth.services import create_user, get_or_create_cohort

    counter = {"n": 0}

    def make(role: str = "student", **kwargs: Any) -> User:
        counter["n"] += 1
        n = counter["n"]
        if role == "student":
            kwargs.setdefault("student_number", f"2024{n:06d}")
            kwargs.setdefault("faculty", faculty)
            kwargs.setdefault("cohort", get_or_create_cohort(db, 2024))
        else:
            kwargs.setdefault("username", f"{role}{n}")
            if role in ("counselor", "supervisor"):
                kwargs.setdefault("faculties", [faculty])
        kwargs.setdefault("name", f"Person {n}")
        kwargs.setdefault("email", f"person{n}@example.edu")
        user = create_user(db, role=Role(role), password=PASSWORD, **kwargs)
        db.commit()
        return user

    return make


def login_as(client: FlaskClient, login: str, password: str = PASSWORD) -> Any:
    """Post the log-in form (the password step; staff then owe the second factor)."""
    return client.post("/auth/login", data={"login": login, "password": password})


def enrol_mfa(db: Session, user: User) -> str:
    """Give the user a confirmed TOTP authenticator; return its secret."""
    from screening.auth import mfa
    from screening.auth.models import MfaCredential
    from screening.db import utcnow

    secret = mfa.begin(db, user)
    credential = db.get(MfaCredential, user.id)
    assert credential is not None
    credential.confirmed_at = utcnow()
    db.commit()
    return secret


def totp_code(db: Session, user: User, secret: str) -> str:
    """A code the server will accept now: the current step, or the next if that was used."""
    import pyotp

    from screening.auth import clock
    from screening.auth.models import MfaCredential

    credential = db.get(MfaCredential, user.id)
    assert credential is not None
    db.refresh(credential)
    totp = pyotp.TOTP(secret)
    step = int(clock.now()) // totp.interval
    if credential.last_step is not None and step <= credential.last_step:
        step = credential.last_step + 1
    return totp.generate_otp(step)


def pass_mfa(client: FlaskClient, db: Session, user: User, secret: str) -> Any:
    """Post a valid code to the second-factor page."""
    return client.post("/auth/mfa", data={"code": totp_code(db, user, secret)})


def log_in_fully(client: FlaskClient, db: Session, user: User, login: str | None = None) -> Any:
    """Password, then the second factor when owed (staff, enrolled students); last answer."""
    from screening.auth import mfa

    response = login_as(client, login or user.username or "")
    assert response.status_code == 302, response.data
    if response.headers["Location"].startswith("/auth/mfa"):
        secret = mfa.secret_of(db, user) if mfa.enrolled(db, user) else enrol_mfa(db, user)
        assert secret is not None
        response = pass_mfa(client, db, user, secret)
        assert response.status_code == 302, response.data
    return response


@pytest.fixture
def logged_in(client: FlaskClient, make_user: UserFactory, db: Session) -> Callable[[str], User]:
    """Log the client in as a new user of the given role; staff complete MFA transparently."""

    def as_role(role: str, **kwargs: Any) -> User:
        if role == "student":
            kwargs.setdefault("student_number", f"S{os.urandom(4).hex()}")
        user = make_user(role, **kwargs)
        log_in_fully(client, db, user, user.username or kwargs["student_number"])
        return user

    return as_role


@pytest.fixture
def make_campaign(app: Flask, db, faculty):
    """Create a campaign (open now by default) for faculty CS, cohort 2024."""
    from screening.auth.services import get_or_create_cohort
    from screening.campaigns.services import create_campaign

    def make(
        instruments: list[str], steps: dict[str, str] | None = None, **kwargs: Any
    ) -> Campaign:
        now = utcnow()
        options: dict[str, Any] = {
            "name": "Autumn screening",
            "opens_at": now - timedelta(days=1),
            "closes_at": now + timedelta(days=14),
            "show_results": True,
            "consent_version": "v1",
            "reminder_days": "",
            "created_by": None,
        }
        options.update(kwargs)
        campaign = create_campaign(
            db,
            app.extensions["library"],
            instruments=instruments,
            steps=steps or {},
            faculties=[faculty],
            cohorts=[get_or_create_cohort(db, 2024)],
            **options,
        )
        db.commit()
        return campaign

    return make
