"""Plain-text rendering of definition problems for the command line."""

from __future__ import annotations

from collections.abc import Iterable

from .problems import Problem


def format_problems(problems: Iterable[Problem]) -> str:
    """One line per problem: 'file: key_path: message', sorted by file then key path."""
    return "\n".join(str(p) for p in sorted(problems))
