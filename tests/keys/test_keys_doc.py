"""Every command the operators' key guide mentions exists, with the options it names."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask

DOC = Path(__file__).resolve().parent.parent.parent / "docs" / "keys.md"


def test_every_command_in_the_key_guide_exists(app: Flask) -> None:
    text = DOC.read_text(encoding="utf-8")
    mentioned = set(re.findall(r"flask --app wsgi ([a-z-]+(?: [a-z-]+)?)", text))
    options = set(re.findall(r"`(--[a-z-]+)", text)) | set(re.findall(r" (--anchor) ", text))
    assert {"keys check", "keys rotate", "keys shred", "audit verify", "audit anchor"} <= mentioned
    known: set[str] = set()
    for command in mentioned:
        group_name, _, sub = command.partition(" ")
        group = app.cli.get_command(None, group_name)  # type: ignore[arg-type]
        assert group is not None, command
        target = group.commands[sub] if sub and hasattr(group, "commands") else group
        assert target is not None, command
        known |= {opt for p in target.params for opt in getattr(p, "opts", [])}
    assert options <= known, options - known
