"""Installation steps shared by `init` and the tests: instance folder, secret, keys, schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import Flask
from sqlalchemy import Engine, inspect, select

from screening import db
from screening.config import ensure_instance
from screening.crypto import KeyRing, KeyRingError
from screening.keys.services import Vault

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class SetupError(RuntimeError):
    """Initialisation stopped; the message says why and what to do."""


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration bound to the app's engine (no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration."""
    command.upgrade(alembic_config(engine), "head")


def _has_sealed_data(engine: Engine) -> bool:
    """True if the database already holds check values, i.e. data under some key ring."""
    from screening.keys.models import KekCheck

    if not inspect(engine).has_table("kek_checks"):
        return False
    with engine.connect() as conn:
        return conn.execute(select(KekCheck.kek_id).limit(1)).first() is not None


def initialise(app: Flask, instance: Path) -> Iterator[str]:
    """Create what is missing, never overwrite a secret or a key; yield what was done."""
    from screening.db import new_session

    yield (
        "Created the instance folder and a secret key."
        if ensure_instance(instance)
        else ("The instance folder and secret key exist; kept them.")
    )
    engine: Engine = app.extensions["engine"]
    ring_path = Path(app.config["KEYRING_PATH"])
    vault: Vault | None = app.extensions.get("vault")
    if vault is None and not app.config.get("KEYRING_ENV") and not ring_path.exists():
        if _has_sealed_data(engine):
            raise SetupError(
                f"The key ring {ring_path.name} is missing but the database holds data sealed "
                "under a key ring. Restore the key ring from its backup; a new one would make "
                "that data unreadable."
            )
        KeyRing.create(ring_path)
        yield (
            f"Created the key ring {ring_path.name} (mode 0600). "
            "Back it up apart from the database."
        )
    try:
        from screening.startup import read_ring

        vault = Vault(read_ring(app))
    except KeyRingError as exc:
        raise SetupError(str(exc)) from exc
    app.extensions["vault"] = vault
    migrate(engine)
    yield "The database schema is up to date."
    with new_session(app) as session:
        problems = vault.check_problems(session)
        if problems:
            raise SetupError(
                "The key ring does not match this database:\n- " + "\n- ".join(problems)
            )
        vault.record_check_values(session)
        db.complete(session)
    app.extensions.pop("startup_error", None)
