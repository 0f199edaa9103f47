"""Database backups and restores: SQLite's online backup API, or pg_dump / pg_restore.

The key ring is never part of a backup: keys are backed up apart from the data, so a stolen
backup alone opens nothing (docs/keys.md).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, make_url


class BackupError(RuntimeError):
    """A backup or restore could not be made; the message says why."""


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _pg_args(engine: Engine) -> list[str]:
    url = engine.url
    args = ["--host", url.host or "127.0.0.1", "--port", str(url.port or 5432)]
    if url.username:
        args += ["--username", url.username]
    return [*args, "--dbname", url.database or ""]


def _pg_env(engine: Engine) -> dict[str, str]:
    import os

    env = dict(os.environ)
    if engine.url.password:
        env["PGPASSWORD"] = engine.url.password
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed; install the PostgreSQL client tools.")
    return path


def create(engine: Engine, folder: Path) -> Path:
    """Write a consistent backup of the database into folder; return the file's path."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if engine.dialect.name == "sqlite":
        target = folder / f"screening-{_stamp()}.sqlite"
        source = sqlite3.connect(make_url(str(engine.url)).database or "")
        try:
            dest = sqlite3.connect(target)
            with dest:
                source.backup(dest)  # consistent even while the app writes (WAL)
            dest.close()
        finally:
            source.close()
        target.chmod(0o600)
        return target
    target = folder / f"screening-{_stamp()}.dump"
    result = subprocess.run(  # noqa: S603 - fixed tool, arguments from configuration
        [
            _tool("pg_dump"),
            "--format=custom",
            "--no-owner",
            "--file",
            str(target),
            *_pg_args(engine),
        ],
        capture_output=True,
        text=True,
        env=_pg_env(engine),
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    target.chmod(0o600)
    return target


def restore(engine: Engine, backup: Path) -> None:
    """Replace the database's contents with a backup (stop the app and worker first)."""
    if not backup.is_file():
        raise BackupError(f"{backup} is not a file.")
    engine.dispose()
    if engine.dialect.name == "sqlite":
        database = Path(make_url(str(engine.url)).database or "")
        source = sqlite3.connect(backup)
        try:
            dest = sqlite3.connect(database)
            with dest:
                source.backup(dest)
            dest.close()
        finally:
            source.close()
        return
    result = subprocess.run(  # noqa: S603 - fixed tool, arguments from configuration
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            *_pg_args(engine),
            str(backup),
        ],
        capture_output=True,
        text=True,
        env=_pg_env(engine),
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
