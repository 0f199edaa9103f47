"""`init` (instance folder, secret, key ring, schema) and `demo` (a demo university)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from screening.cli.common import ready


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create the instance folder, secret key, key ring and schema; safe to run again."""
    from screening import setup  # Alembic loads only for this command, not at every start

    try:
        for line in setup.initialise(
            current_app._get_current_object(),  # type: ignore[attr-defined]
            Path(current_app.instance_path),
        ):
            click.echo(line)
    except setup.SetupError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command("demo")
@click.option("--students", default=300, show_default=True, help="How many demo students.")
@with_appcontext
def demo_command(students: int) -> None:
    """Load a demo university and print the demo log-ins."""
    ready()
    from screening import db, demo

    try:
        with db.transaction(db.session()):
            logins = demo.load(students=students)
    except demo.DemoExistsError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("Demo university loaded. Log in at the app's address with:")
    for role, login, password in logins:
        click.echo(f"  {role:<10} {login:<20} {password}")
    click.echo(
        "Staff accounts also need a two-step verification code: in development, run\n"
        "  SCREENING_ENVIRONMENT=development .venv/bin/flask --app wsgi demo-code USERNAME\n"
        "or add the key it prints to an authenticator app."
    )


@click.command("demo-code")
@click.argument("username")
@with_appcontext
def demo_code_command(username: str) -> None:
    """Print a demo account's current two-step code (development only)."""
    if current_app.config["ENVIRONMENT"] != "development":
        raise click.ClickException(
            "demo-code works only with ENVIRONMENT=development: it reads a second factor."
        )
    ready()
    from screening import db
    from screening.auth import mfa
    from screening.auth.services import find_by_login

    s = db.session()
    user = find_by_login(s, username)
    secret = mfa.secret_of(s, user) if user is not None and user.username else None
    if user is None or secret is None:
        raise click.ClickException("No staff account with an authenticator has this name.")
    click.echo(f"Code now: {mfa.current_code(secret)} (key for an authenticator app: {secret})")
    click.echo("A code is accepted once; if it was just used, wait for the next one (30 s).")
