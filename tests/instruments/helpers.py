"""Shared paths and answer builders for the instrument tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
QUESTIONNAIRES = ROOT / "questionnaires"
LICENSED = Path(__file__).resolve().parent / "licensed"


def same(n: int, value: Any, prefix: str = "q", start: int = 1) -> dict[str, Any]:
    """Answers q1..qn all set to the same value."""
    return {f"{prefix}{i}": value for i in range(start, start + n)}


def spread(total: int, n: int, top: int, prefix: str = "q") -> dict[str, int]:
    """Answers q1..qn (each 0..top) summing to exactly total, filled from the first item."""
    answers = {}
    for i in range(1, n + 1):
        take = min(top, total)
        answers[f"{prefix}{i}"] = take
        total -= take
    assert total == 0
    return answers
