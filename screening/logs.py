"""Logging: messages name rows and actions, never personal or clinical content."""

from __future__ import annotations

import logging

from flask import Flask


def init_app(app: Flask) -> None:
    """Log to standard error at INFO (DEBUG in development)."""
    level = logging.DEBUG if app.config["ENVIRONMENT"] == "development" else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("screening").setLevel(level)
