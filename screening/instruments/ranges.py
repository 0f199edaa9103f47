"""Item points and the exact set of scores an instrument can produce, for checks and tests."""

from __future__ import annotations

from fractions import Fraction

from .model import Instrument, Item, OptionSet, Value


def points(option_set: OptionSet, item: Item, value: Value) -> Fraction:
    """Points an answer earns: its value, mirrored within the option range for reverse items."""
    number = Fraction(value)
    if item.reverse:
        numbers = option_set.numeric_values
        return Fraction(min(numbers)) + Fraction(max(numbers)) - number
    return number


def _item_points(instrument: Instrument, item_id: str) -> set[Fraction | int]:
    """Every point value one item can earn (plain ints where whole: the sets grow large)."""
    item = instrument.item(item_id)
    option_set = instrument.options_for(item)
    if option_set is None:
        return set()
    values = {points(option_set, item, v) for v in option_set.numeric_values}
    return {int(p) if p.denominator == 1 else p for p in values}


def target_items(instrument: Instrument, target: str) -> tuple[str, ...]:
    """Items feeding the total ('total') or a named subscale."""
    if target == "total":
        return instrument.scoring.items
    for sub in instrument.scoring.subscales:
        if sub.id == target:
            return sub.items
    raise KeyError(target)


def min_answered(instrument: Instrument, target: str) -> int | None:
    """Minimum number of answered items for a mean score to exist (None: all required)."""
    if target == "total":
        return instrument.scoring.min_answered
    for sub in instrument.scoring.subscales:
        if sub.id == target:
            return sub.min_answered
    raise KeyError(target)


def achievable(instrument: Instrument, target: str = "total") -> set[Fraction]:
    """The exact set of values a target score can take over all complete-enough answer sets."""
    scoring = instrument.scoring
    ids = target_items(instrument, target)
    multiplier = Fraction(scoring.multiplier)
    if scoring.method == "sum":
        sums: set[Fraction | int] = {0}
        for item_id in ids:
            earned = _item_points(instrument, item_id)
            sums = {s + p for s in sums for p in earned}
        return {Fraction(s) * multiplier for s in sums}
    if scoring.method == "mean":
        states: set[tuple[int, Fraction | int]] = {(0, 0)}
        for item_id in ids:
            item = instrument.item(item_id)
            earned = _item_points(instrument, item_id)
            new = {(n + 1, s + p) for n, s in states for p in earned}
            if not item.required or item.condition is not None:
                new |= states
            states = new
        floor = max(min_answered(instrument, target) or len(ids), 1)
        return {Fraction(s, n) * multiplier for n, s in states if n >= floor}
    return set()


def score_range(instrument: Instrument, target: str = "total") -> tuple[Fraction, Fraction] | None:
    """Lowest and highest achievable value of a target score (None for rule-only scoring)."""
    values = achievable(instrument, target)
    return (min(values), max(values)) if values else None


def band_targets(instrument: Instrument) -> tuple[str, ...]:
    """The scores that bands classify: the total or each subscale."""
    if instrument.scoring.band_target == "subscales":
        return tuple(s.id for s in instrument.scoring.subscales)
    return ("total",)
