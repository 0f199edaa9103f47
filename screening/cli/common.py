"""Helpers shared by the commands: readiness check and password input."""

from __future__ import annotations

import sys

import click
from flask import current_app

from screening.startup import StartupError, require_ready


def ready() -> None:
    """Stop the command with the start-up message unless keys and schema are sound."""
    try:
        require_ready(current_app)
    except StartupError as exc:
        raise click.ClickException(str(exc)) from exc


def read_password(prompt: str = "Password") -> str:
    """Read a password from a prompt on a terminal, else one line of standard input."""
    if sys.stdin.isatty():
        return str(click.prompt(prompt, hide_input=True, confirmation_prompt=True))
    line = sys.stdin.readline()
    return line.rstrip("\r\n")
