"""Small helpers shared by every feature's forms."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # stubs: 3.2


def choices(pairs: Iterable[tuple[str, object]]) -> list[SelectChoice]:
    """Build select/radio choices from (value, label) pairs (WTForms' non-deprecated form)."""
    return [SelectChoice(value, label) for value, label in pairs]
