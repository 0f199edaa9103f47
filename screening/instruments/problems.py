"""Definition problems: where in which file something is wrong, collected before raising."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in a definition file: file, dotted key path and a readable message."""

    file: str
    key_path: str
    message: str

    def __str__(self) -> str:
        """Render as 'file: key_path: message', the form the CLI prints."""
        return f"{self.file}: {self.key_path or '(file)'}: {self.message}"


class DefinitionError(Exception):
    """Raised after loading when any definition file has problems; carries all of them."""

    def __init__(self, problems: list[Problem]) -> None:
        """Keep every problem so callers can show them all at once."""
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s) in questionnaire definitions")


class Collector:
    """Gathers problems for one file so checks never stop at the first one."""

    def __init__(self, file: str) -> None:
        """Start an empty list of problems for this file."""
        self.file = file
        self.problems: list[Problem] = []

    def add(self, key_path: str, message: str) -> None:
        """Record a problem at this key path."""
        self.problems.append(Problem(self.file, key_path, message))
