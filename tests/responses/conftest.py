"""Fixtures for the student flow: an open campaign for the test faculty's 2024 cohort."""

from __future__ import annotations


def phq9(**answers: int) -> dict[str, str]:
    """A PHQ-9 form post: all zero unless given."""
    data = {f"q{i}": "0" for i in range(1, 10)}
    data.update({k: str(v) for k, v in answers.items()})
    return data


def gad7(**answers: int) -> dict[str, str]:
    """A GAD-7 form post: all zero unless given."""
    data = {f"q{i}": "0" for i in range(1, 8)}
    data.update({k: str(v) for k, v in answers.items()})
    return data
