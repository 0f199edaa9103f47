"""`users create`, `users import`, `users set-password`."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from screening import csvimport, db
from screening.audit.services import append as audit
from screening.auth import roster
from screening.auth.models import Faculty, Role
from screening.auth.services import AccountError, create_user, find_by_login, set_password
from screening.cli.common import read_password, ready


@click.group("users")
def users_group() -> None:
    """Manage accounts."""


@users_group.command("create")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--username", required=True, help="Log-in name (staff) or student number.")
@click.option("--name", default="", help="Full name (sealed).")
@click.option("--email", default="", help="E-mail address (sealed).")
@click.option("--faculty", default=None, help="Faculty code: a student's faculty, a dean's scope.")
@click.option("--cohort", type=int, default=None, help="Entry year (students).")
@with_appcontext
def create_command(
    role: str, username: str, name: str, email: str, faculty: str | None, cohort: int | None
) -> None:
    """Create an account; the password is read from a prompt or standard input."""
    ready()
    from screening.auth.services import get_or_create_cohort

    s = db.session()
    fac = None
    if faculty:
        fac = s.scalar(select(Faculty).where(Faculty.code == faculty))
        if fac is None:
            raise click.ClickException(f"No faculty with code {faculty}.")
    password = read_password()
    try:
        if role == Role.STUDENT:
            if cohort is None:
                raise click.ClickException("A student needs --cohort.")
            user = create_user(
                s,
                role=Role.STUDENT,
                student_number=username,
                password=password,
                name=name,
                email=email,
                faculty=fac,
                cohort=get_or_create_cohort(s, cohort),
            )
        else:
            user = create_user(
                s,
                role=Role(role),
                username=username,
                password=password,
                name=name,
                email=email,
                faculty=fac if role == Role.DEAN else None,
                faculties=[fac] if fac and role in ("counselor", "supervisor") else None,
            )
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    audit(
        s,
        actor_id=None,
        action="user.create",
        target_type="user",
        target_id=str(user.id),
        reason=f"role={role} (command line)",
    )
    db.complete(s)
    click.echo(f"Created {role} account {user.id}.")


@users_group.command("import")
@click.argument("roster_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows even if some are bad.")
@click.option(
    "--create-faculties", is_flag=True, help="Create the faculties the roster names that are new."
)
@with_appcontext
def import_command(roster_file: Path, skip_invalid: bool, create_faculties: bool) -> None:
    """Import students from CSV: student_number,name,email,faculty,cohort and optionally
    phone,emergency_name,emergency_relation,emergency_phone,class,counselor,dorm."""
    ready()
    try:
        text = csvimport.decode(roster_file.read_bytes())
    except ValueError as exc:
        raise click.ClickException(f"{roster_file.name}: {exc}") from exc
    parsed = roster.parse(text)
    unknown_staff = roster.unknown_counselors(db.session(), parsed.rows)
    if unknown_staff:  # a class counselor must be an existing staff account
        bad = {line for line, _ in unknown_staff}
        parsed.rows = [r for r in parsed.rows if r.line not in bad]
        parsed.errors = sorted(parsed.errors + unknown_staff)
    s = db.session()
    new_codes = roster.new_faculty_codes(s, parsed.rows)
    unknown = [] if create_faculties else roster.unknown_faculties(s, parsed.rows)
    errors = sorted(
        parsed.errors
        + [(line, f"{why} (add --create-faculties to create it)") for line, why in unknown]
    )
    for line, reason in errors:
        click.echo(f"{roster_file.name}:{line}: {reason}", err=True)
    if errors and not skip_invalid:
        raise click.ClickException(
            f"{len(errors)} bad row(s); nothing imported. Fix them or use --skip-invalid."
        )
    bad_lines = {line for line, _ in unknown}
    rows = [row for row in parsed.rows if row.line not in bad_lines]
    result = roster.apply(s, rows)
    created_codes = new_codes if create_faculties else []
    roster.record_import(s, None, result, created_codes)
    db.complete(s)
    skipped = f", {len(errors)} skipped" if errors else ""
    faculties = f"; new faculties {', '.join(created_codes)}" if created_codes else ""
    click.echo(
        f"Imported {result.created} new and updated {result.updated} students{skipped}{faculties}."
    )


@users_group.command("set-password")
@click.argument("login")
@with_appcontext
def set_password_command(login: str) -> None:
    """Set a user's password (read from a prompt or standard input); ends their sessions."""
    ready()
    s = db.session()
    user = find_by_login(s, login)
    if user is None:
        raise click.ClickException("No such user.")
    try:
        set_password(s, user, read_password("New password"))
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    audit(s, actor_id=None, action="user.password", target_type="user", target_id=str(user.id))
    db.complete(s)
    click.echo("Password set.")


@users_group.command("reset-mfa")
@click.argument("login")
@with_appcontext
def reset_mfa_command(login: str) -> None:
    """Remove a user's authenticator and recovery codes (lost phone); ends their sessions."""
    ready()
    from screening.auth import mfa

    s = db.session()
    user = find_by_login(s, login)
    if user is None:
        raise click.ClickException("No such user.")
    mfa.reset(s, user)
    audit(s, actor_id=None, action="mfa.reset", target_type="user", target_id=str(user.id))
    db.complete(s)
    click.echo("Two-step verification removed; the user enrols again at the next log-in.")
