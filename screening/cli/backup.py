"""`backup create DIR` and `backup restore FILE`: the database only, never the keys."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from screening import backup
from screening.cli.common import ready


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
@with_appcontext
def restore_command(file: Path, yes: bool) -> None:
    """Replace the database with FILE; then re-apply the shred ledger (see docs/keys.md)."""
    if not yes:
        raise click.ClickException("Restoring replaces all current data; add --yes to confirm.")
    try:
        backup.restore(current_app.extensions["engine"], file)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        "Database restored. Now run `flask --app wsgi keys reapply-shreds` so that students "
        "shredded after this backup stay unreadable."
    )
