"""Regenerate the initial migration from the models (valid until the first release ships)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

import screening.models  # noqa: F401 - every table on the metadata
from screening.db import make_engine
from screening.setup import MIGRATIONS, alembic_config


def main() -> None:
    """Delete versions/0001 and autogenerate it again against an empty SQLite database."""
    for old in (MIGRATIONS / "versions").glob("0001_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'empty.sqlite'}")
        command.revision(
            alembic_config(engine), message="initial schema", autogenerate=True, rev_id="0001"
        )
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
