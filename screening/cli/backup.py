"""`backup create DIR` and `backup restore FILE`: the database only, never the keys."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from screening import backup, db
from screening.cli.common import ready
from screening.db import new_session, utcnow


@click.group("backup")
def backup_group() -> None:
    """Back up and restore the database (keys are backed up apart: docs/keys.md)."""


@backup_group.command("create")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def create_command(folder: Path) -> None:
    """Write a consistent backup of the database into FOLDER."""
    ready()
    try:
        path = backup.create(current_app.extensions["engine"], folder)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backup written to {path}. The key ring is not in it: back it up apart.")


@backup_group.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--yes", is_flag=True, help="Confirm that the current data is to be replaced.")
@click.option(
    "--ledger",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Shred ledger to re-apply (default: shred-ledger.jsonl in the instance folder).",
)
@with_appcontext
def restore_command(file: Path, yes: bool, ledger: Path | None) -> None:
    """Replace the database with FILE, then re-apply the shred ledger before returning."""
    from screening.keys.shredding import LedgerError, ledger_ids, ledger_path, reapply

    if not yes:
        raise click.ClickException("Restoring replaces all current data; add --yes to confirm.")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        backup.restore(app.extensions["engine"], file)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    with new_session(app) as session:
        path = ledger or ledger_path(session)
        try:
            ids = ledger_ids(session, path)
        except LedgerError as exc:
            raise click.ClickException(
                f"Database restored, but the shred ledger cannot be read: {exc} The app will "
                "not start until the shreds are re-applied: restore the ledger file and run "
                "`flask --app wsgi keys reapply-shreds`."
            ) from exc
        count = reapply(session, ids)
        db.complete(session)
    where = str(path) if path.exists() else f"{path} (none yet: no shreds were recorded there)"
    click.echo(f"Database restored. Re-applied {count} shreds from the shred ledger {where}.")
    # A backup older than the retention periods brings back data that was due to go: the
    # purge is applied again now, before anyone is served (the policy itself was restored too).
    from screening.cli.retention import run_purge

    purged = run_purge(app, utcnow())
    click.echo(f"Retention re-applied: {purged.summary()}.")
