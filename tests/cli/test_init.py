"""`init` through the real command line: instance folder, secret, key ring, schema; idempotent."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PG_URL, temporary_database

ROOT = Path(__file__).resolve().parents[2]


def flask(
    instance: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `flask --app wsgi ARGS` against an instance folder."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")}
    environ.update(
        {
            "SCREENING_INSTANCE_PATH": str(instance),
            "SCREENING_ENVIRONMENT": "production",
            "SCREENING_PASSWORD_HASH_MEMORY_KIB": "1024",
            "SCREENING_PASSWORD_HASH_TIME_COST": "1",
        }
    )
    if (instance / "database-url").exists():
        environ["SCREENING_DATABASE_URL"] = (instance / "database-url").read_text()
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
        check=False,
    )


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Path]:
    """A path where no instance folder exists yet; on PostgreSQL also a new empty database."""
    folder = tmp_path / "new-instance"
    if not PG_URL:
        yield folder
        return
    with temporary_database(PG_URL, "cli") as url:
        folder.mkdir(mode=0o700)
        (folder / "database-url").write_text(url)
        yield folder


def test_init_creates_everything_and_is_idempotent(fresh: Path) -> None:
    first = flask(fresh, "init")
    assert first.returncode == 0, first.stderr
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o700
    secret = (fresh / "secret_key").read_text()
    assert len(secret.strip()) == 64
    assert stat.S_IMODE((fresh / "keyring.json").stat().st_mode) == 0o600
    ring = (fresh / "keyring.json").read_bytes()
    second = flask(fresh, "init")
    assert second.returncode == 0, second.stderr
    assert "kept them" in second.stdout
    assert (fresh / "secret_key").read_text() == secret
    assert (fresh / "keyring.json").read_bytes() == ring
    # The app now starts in production with what init made.
    assert (
        flask(
            fresh,
            "users",
            "create",
            "--role",
            "admin",
            "--username",
            "root",
            stdin="a long enough admin passphrase\n",
        ).returncode
        == 0
    )


def test_commands_other_than_init_stop_without_keys(fresh: Path) -> None:
    result = flask(
        fresh,
        "users",
        "create",
        "--role",
        "admin",
        "--username",
        "root",
        stdin="a long enough admin passphrase\n",
    )
    assert result.returncode != 0
    assert "flask --app wsgi init" in result.stderr


def test_init_never_makes_a_new_ring_over_sealed_data(fresh: Path) -> None:
    assert flask(fresh, "init").returncode == 0
    (fresh / "keyring.json").rename(fresh / "elsewhere.json")
    result = flask(fresh, "init")
    assert result.returncode != 0
    assert "Restore the key ring" in result.stderr
    assert not (fresh / "keyring.json").exists()


def test_wrong_ring_stops_the_app(fresh: Path, tmp_path: Path) -> None:
    from screening.crypto import KeyRing

    assert flask(fresh, "init").returncode == 0
    (fresh / "keyring.json").unlink()
    KeyRing.create(fresh / "keyring.json")
    result = flask(
        fresh,
        "users",
        "create",
        "--role",
        "admin",
        "--username",
        "root",
        stdin="a long enough admin passphrase\n",
    )
    assert result.returncode != 0
    assert "does not match" in result.stderr
