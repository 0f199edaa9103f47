"""`keys check|rotate|retire|shred|reapply-shreds` and `audit verify|anchor`."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from screening import db
from screening.cli.common import ready


@click.group("keys")
def keys_group() -> None:
    """Check, rotate, retire and shred encryption keys (see docs/keys.md)."""


@keys_group.command("check")
@with_appcontext
def check_command() -> None:
    """Exit 0 only if the ring is private and sound, matches the database and every key opens."""
    from screening.keys.checking import check

    message = current_app.extensions.get("startup_error")
    if message and "vault" not in current_app.extensions:
        raise click.ClickException(message)
    report = check(db.session())
    for problem in report.problems:
        click.echo(f"PROBLEM: {problem}", err=True)
    click.echo(
        f"Data keys: {report.opened} open, {report.shredded} shredded, "
        f"{len(report.failed)} cannot be opened."
    )
    if report.failed:
        shown = ", ".join(str(i) for i in report.failed[:50])
        more = f" and {len(report.failed) - 50} more" if len(report.failed) > 50 else ""
        click.echo(f"Data keys that do not open, by user id: {shown}{more}", err=True)
    if not report.ok:
        raise click.exceptions.Exit(1)
    click.echo("Key ring OK.")


@keys_group.command("rotate")
@click.option("--batch", type=click.IntRange(1, 10000), default=500, show_default=True)
@click.option(
    "--settle",
    type=click.FloatRange(0),
    default=35.0,
    show_default=True,
    help="Seconds to keep looking for keys that running app processes wrapped meanwhile.",
)
@with_appcontext
def rotate_command(batch: int, settle: float) -> None:
    """Add a new active KEK, then re-wrap every data key with it while the app keeps serving."""
    from screening.keys.rotation import RotationError, remaining, rewrap_all, start_rotation

    ready()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    s = db.session()
    if remaining(s) == 0:
        try:
            kek_id = start_rotation(s)
        except RotationError as exc:
            raise click.ClickException(str(exc)) from exc
        db.complete(s)
        click.echo(f"New active KEK {kek_id}; back up the key ring now.")
    else:
        click.echo("Continuing an unfinished rotation.")
    s.close()
    total = rewrap_all(lambda: db.new_session(app), size=batch, settle=settle)
    active = app.extensions["vault"].ring.active_kek_id
    click.echo(f"Re-wrapped {total} data keys; all are now under {active}.")


@keys_group.command("retire")
@click.argument("kek_id")
@with_appcontext
def retire_command(kek_id: str) -> None:
    """Remove an old KEK from the ring; refused while any data key is still wrapped under it."""
    from screening.keys.rotation import RotationError, retire

    ready()
    s = db.session()
    try:
        retire(s, kek_id)
    except RotationError as exc:
        raise click.ClickException(str(exc)) from exc
    db.complete(s)
    click.echo(f"KEK {kek_id} retired and removed from the key ring; back up the key ring now.")


@keys_group.command("shred")
@click.argument("student_number")
@click.option("--yes", is_flag=True, help="Confirm: this cannot be undone.")
@with_appcontext
def shred_command(student_number: str, yes: bool) -> None:
    """Destroy a student's data key: their answers and notes become unreadable for good."""
    from screening.auth.services import find_student
    from screening.keys.shredding import ledger_path, shred

    ready()
    s = db.session()
    user = find_student(s, student_number)
    if user is None:
        raise click.ClickException("No student with this student number.")
    if not yes:
        click.confirm(
            "This makes the student's answers and notes unreadable for good. Go on?", abort=True
        )
    if not shred(s, user.id):
        raise click.ClickException(f"The data key of user {user.id} was shredded already.")
    db.complete(s)
    click.echo(f"Shredded the data key of user {user.id}; recorded in {ledger_path(s)}.")


@keys_group.command("reapply-shreds")
@click.argument("ledger", required=False, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def reapply_command(ledger: Path | None) -> None:
    """Shred again, after a restore, every student listed in the shred ledger (idempotent)."""
    from screening.keys.shredding import LedgerError, ledger_path, read_ledger, reapply

    ready()
    s = db.session()
    path = ledger or ledger_path(s)
    try:
        ids = read_ledger(path)
    except LedgerError as exc:
        raise click.ClickException(str(exc)) from exc
    count = reapply(s, ids)
    db.complete(s)
    click.echo(f"Re-applied {count} of {len(set(ids))} shreds from {path}.")


@click.group("audit")
def audit_group() -> None:
    """Verify the tamper-evident audit log."""


@audit_group.command("verify")
@click.option(
    "--anchor",
    "anchor_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Anchor file (default: AUDIT_ANCHOR_PATH, which the worker writes); entries up to "
    "its last line must still match.",
)
@with_appcontext
def verify_command(anchor_file: Path | None) -> None:
    """Verify every chain, against the anchor file too; exit 1 when any is broken."""
    from screening.audit import immutable
    from screening.audit.anchoring import read_last
    from screening.audit.services import AnchorError, verify

    ready()
    path = anchor_file or Path(current_app.config["AUDIT_ANCHOR_PATH"])
    try:
        anchor = read_last(path)
    except AnchorError as exc:
        raise click.ClickException(f"{path}: {exc}") from exc
    session = db.session()
    reports = verify(session, anchor=anchor)
    for r in reports:
        status = "OK" if r.ok else f"BROKEN at {r.first_broken_seq}: {r.reason}"
        click.echo(f"chain {r.chain}: {r.entries} entries, {status}")
    if not reports:
        click.echo("The audit log is empty.")
    if anchor is None:
        click.echo(f"Anchor: none yet at {path} (the worker writes one every hour).")
    else:
        click.echo(f"Anchor: checked against the last line of {path}.")
    guard = immutable.installed(session.connection())
    if guard is None:
        click.echo("Append-only trigger: not used on SQLite.")
    else:
        click.echo(f"Append-only trigger: {'present' if guard else 'MISSING'}.")
    if any(not r.ok for r in reports) or guard is False:
        raise click.exceptions.Exit(1)


@audit_group.command("anchor")
@with_appcontext
def anchor_command() -> None:
    """Print the chain heads as one line, to be stored outside this server and database."""
    from screening.audit.services import anchor

    ready()
    click.echo(json.dumps(anchor(db.session()), separators=(",", ":"), sort_keys=True))
