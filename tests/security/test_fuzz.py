"""Fuzzing the input parsers: forms, roster CSV, the command line, codes and redirects."""

from __future__ import annotations

import string

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening import csvimport
from screening.auth import mfa, policy, roster
from screening.auth.routes import safe_next

FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
text = st.text(st.characters(codec="utf-8"), max_size=300)


@FUZZ
@given(text)
def test_roster_parse_never_raises_and_accounts_for_every_line(data: str) -> None:
    result = roster.parse(data)
    for row in result.rows:
        assert 3 <= len(row.student_number) <= 32
        assert row.name and len(row.name) <= 200
        assert 1950 <= row.cohort <= 2100
    lines = {row.line for row in result.rows}
    assert not lines & {line for line, _ in result.errors}


csv_cell = st.text(st.characters(codec="utf-8", exclude_characters="\r"), max_size=40)


@FUZZ
@given(st.lists(st.lists(csv_cell, min_size=0, max_size=7), max_size=8))
def test_roster_rows_of_any_shape(rows: list[list[str]]) -> None:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(roster.COLUMNS)
    writer.writerows(rows)
    result = roster.parse(out.getvalue())
    assert len(result.rows) + len(result.errors) <= len(rows)
    assert csvimport.decode(out.getvalue().encode("utf-8-sig")) == out.getvalue()


@FUZZ
@given(st.binary(max_size=200))
def test_roster_decode_accepts_utf8_or_says_why(data: bytes) -> None:
    try:
        csvimport.decode(data)
    except ValueError as exc:
        assert "UTF-8" in str(exc)


@FUZZ
@given(text)
def test_safe_next_returns_only_local_paths(target: str) -> None:
    result = safe_next(target)
    if result is not None:
        assert result.startswith("/") and not result.startswith("//")
        assert not any(c in result for c in "\\\t\r\n")


@FUZZ
@given(text)
def test_code_matching_never_raises(code: str) -> None:
    step = mfa._matching_step("JBSWY3DPEHPK3PXP", code)
    assert step is None or (isinstance(step, int) and step > 0)


@FUZZ
@given(text)
def test_password_policy_decides_every_string(password: str) -> None:
    try:
        policy.check(password, with_mfa=False)
    except policy.PasswordRejected as exc:
        assert exc.reason in {"too_short", "too_long", "common"}
    else:
        assert len(password) >= 15


@FUZZ
@given(login=text, password=text, code=text)
def test_forms_answer_hostile_input_without_crashing(
    app: Flask, client: FlaskClient, login: str, password: str, code: str
) -> None:
    for path, data in (
        ("/auth/login", {"login": login, "password": password}),
        ("/auth/language", {"lang": login, "next": password}),
        ("/auth/mfa", {"code": code}),
    ):
        response = client.post(path, data=data)
        assert response.status_code in {200, 302, 400, 401, 429}, (path, response.status_code)
        assert b"Traceback" not in response.data


printable = st.text(string.printable, max_size=60)


@FUZZ
@given(username=printable, name=text, email=printable, password=printable)
def test_users_create_command_handles_any_input(
    app: Flask, username: str, name: str, email: str, password: str
) -> None:
    runner = app.test_cli_runner()
    if username.startswith("-") or name.startswith("-") or email.startswith("-"):
        return  # would be read as an option by any command line
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--role",
            "counselor",
            "--username",
            username,
            "--name",
            name,
            "--email",
            email,
        ],
        input=password.replace("\n", "") + "\n",
    )
    assert result.exit_code in (0, 1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
