"""Look at the key-ring file while serving, so a missing or swapped file is reported at once."""

from __future__ import annotations

from flask import Flask, current_app

from screening import db


def _look() -> None:
    """A stat of the ring file at most once per refresh interval; the database only on change."""
    vault = current_app.extensions.get("vault")
    if vault is not None:
        vault.maybe_refresh(db.session)


def init_app(app: Flask) -> None:
    """Look at the ring file before requests (the vault itself limits how often)."""
    app.before_request(_look)
