"""Start-up checks: refuse to run on a missing or wrong key ring before anything is written."""

from __future__ import annotations

import os
import sys

from flask import Flask
from sqlalchemy import inspect

from screening.crypto import KeyRing, KeyRingError
from screening.keys.services import Vault


class StartupError(RuntimeError):
    """The app cannot start safely; the message says what is wrong and what to do."""


def deferred() -> bool:
    """True for CLI commands other than `run`: `init` may need to create what is missing."""
    return os.environ.get("FLASK_RUN_FROM_CLI") == "true" and "run" not in sys.argv[1:]


def read_ring(app: Flask) -> KeyRing:
    """Load the key ring from the configured environment variable or file."""
    env_name = app.config.get("KEYRING_ENV")
    if env_name:
        value = os.environ.get(env_name)
        if not value:
            raise KeyRingError(
                f"The key ring variable {env_name} is empty. Set it to the key ring, "
                "or unset SCREENING_KEYRING_ENV to use the key-ring file."
            )
        return KeyRing.from_env(value)
    return KeyRing.load(app.config["KEYRING_PATH"])


def check_ring(app: Flask, vault: Vault) -> None:
    """Compare the ring's check values with the database's; raise StartupError on a mismatch."""
    from screening.db import new_session

    if not inspect(app.extensions["engine"]).has_table("kek_checks"):
        raise StartupError(
            "The database has no schema yet. Run `flask --app wsgi init` to create it."
        )
    with new_session(app) as session:
        problems = vault.check_problems(session)
    if problems:
        raise StartupError(
            "The key ring does not match this database:\n- "
            + "\n- ".join(problems)
            + "\nRestore the key ring that belongs to this database from its backup."
        )


REAPPLY_HINT = "flask --app wsgi keys reapply-shreds"


def check_shreds(app: Flask) -> None:
    """Refuse to serve while a shredded person's data key is readable again (a restore)."""
    from screening.db import new_session
    from screening.keys.shredding import LedgerError, ledger_ids, not_applied

    with new_session(app) as session:
        try:
            back = not_applied(session, ledger_ids(session))
        except LedgerError as exc:
            raise StartupError(
                f"The shred ledger cannot be read: {exc} Restore it from the key-ring backups, "
                f"then run `{REAPPLY_HINT}`."
            ) from exc
    if back:
        shown = ", ".join(str(i) for i in back[:20]) + (" ..." if len(back) > 20 else "")
        raise StartupError(
            f"{len(back)} shredded people have a readable data key in this database again "
            f"(user ids {shown}), as after restoring a backup made before they were shredded. "
            f"Run `{REAPPLY_HINT}` before starting the app, so their data stays erased."
        )


def load_keys(app: Flask) -> None:
    """Load the key ring and check it, or stop with a message (commands check it themselves)."""
    if app.extensions.get("startup_error"):
        return
    try:
        vault = Vault(read_ring(app), float(app.config.get("KEYRING_REFRESH_SECONDS", 30)))
        app.extensions["vault"] = vault
        check_ring(app, vault)
    except (KeyRingError, StartupError) as exc:
        app.extensions["startup_error"] = str(exc)
        if not deferred():
            raise StartupError(str(exc)) from exc
        return
    if not deferred():  # commands (reapply-shreds above all) must run to repair this
        check_shreds(app)


def require_ready(app: Flask) -> None:
    """For commands: stop with the start-up message unless keys and schema are sound."""
    message = app.extensions.get("startup_error")
    if message:
        raise StartupError(message)


def load_questionnaires(app: Flask) -> None:
    """Load and validate every questionnaire definition; refuse to start on an invalid one."""
    from screening.instruments import DefinitionError
    from screening.instruments.loader import cached_library
    from screening.instruments.report import format_problems

    try:
        app.extensions["library"] = cached_library(app.config["QUESTIONNAIRES_PATH"])
    except DefinitionError as exc:
        message = "Invalid questionnaire definitions:\n" + format_problems(exc.problems)
        app.extensions["startup_error"] = message
        if not deferred():
            raise StartupError(message) from exc
