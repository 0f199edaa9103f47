"""`users create` reads the password from standard input, never the command line."""

from __future__ import annotations

from flask.testing import FlaskCliRunner
from sqlalchemy import select

from screening.auth.models import User


def test_create_staff_user(runner: FlaskCliRunner, db, faculty) -> None:
    result = runner.invoke(
        args=["users", "create", "--role", "dean", "--username", "dean.cs", "--faculty", "CS"],
        input="a long enough passphrase\n",
    )
    assert result.exit_code == 0, result.output
    user = db.scalar(select(User).where(User.username == "dean.cs"))
    assert user.role == "dean" and user.faculty.code == "CS"


def test_short_password_refused(runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["users", "create", "--role", "admin", "--username", "a"], input="short\n"
    )
    assert result.exit_code != 0
    assert "at least 8 characters" in result.output  # staff always have a second factor


def test_no_password_option_exists(runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["users", "create", "--role", "admin", "--username", "a", "--password", "x"]
    )
    assert result.exit_code != 0
