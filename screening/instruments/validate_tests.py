"""Checks of condition, rule and threshold tests: items, values, scores and bands they name."""

from __future__ import annotations

from fractions import Fraction

from .model import (
    AllTest,
    AnyTest,
    BandTest,
    CountTest,
    Instrument,
    ItemTest,
    ScoreTest,
    Test,
    Value,
)
from .problems import Collector
from .ranges import achievable

COMPARE = {">=", ">", "<=", "<", "==", "!="}
ITEM_OPS = COMPARE | {"in", "answered"}


def _compare(a: Fraction, op: str, b: Fraction) -> bool:
    """Apply a comparison operator to two numbers."""
    return {
        ">=": a >= b,
        ">": a > b,
        "<=": a <= b,
        "<": a < b,
        "==": a == b,
        "!=": a != b,
    }[op]


def check_test(
    inst: Instrument,
    test: Test,
    path: str,
    out: Collector,
    *,
    items: list[str],
    scores: bool,
    bands: bool,
) -> None:
    """Check that a test names existing earlier items, reachable values and valid operators."""
    if isinstance(test, AnyTest | AllTest):
        key = "any" if isinstance(test, AnyTest) else "all"
        if not test.tests:
            out.add(f"{path}.{key}", f"'{key}' needs at least one test")
        for i, sub in enumerate(test.tests):
            check_test(
                inst, sub, f"{path}.{key}[{i}]", out, items=items, scores=scores, bands=bands
            )
    elif isinstance(test, BandTest):
        if not bands:
            out.add(f"{path}.band_in", "band tests are only allowed in thresholds")
        known = {b.id for b in inst.bands}
        for b in test.bands:
            if b not in known:
                out.add(f"{path}.band_in", f"unknown band '{b}'")
    elif isinstance(test, ScoreTest):
        names = (["total"] if inst.scoring.has_total else []) + [
            s.id for s in inst.scoring.subscales
        ]
        if not scores:
            out.add(f"{path}.score", "conditions may only depend on earlier answers")
        elif test.score not in names:
            out.add(f"{path}.score", f"unknown score '{test.score}'")
        elif test.op not in COMPARE:
            out.add(f"{path}.op", f"unknown operator '{test.op}'")
        else:
            values = achievable(inst, test.score)
            if values and not any(_compare(v, test.op, Fraction(test.value)) for v in values):
                out.add(f"{path}.value", f"impossible: {test.score} {test.op} {test.value}")
    elif isinstance(test, CountTest):
        if test.op not in COMPARE:
            out.add(f"{path}.op", f"unknown operator '{test.op}'")
        if not 0 <= test.value <= len(test.items):
            out.add(f"{path}.value", f"impossible count {test.value} of {len(test.items)} items")
        for item_id in test.items:
            _item_ref(inst, item_id, test.matching, f"{path}.count", out, items)
    elif isinstance(test, ItemTest):
        if test.op not in ITEM_OPS:
            out.add(f"{path}.op", f"unknown operator '{test.op}'")
            return
        if not _item_ref(inst, test.item, (), f"{path}.item", out, items):
            return
        item = inst.item(test.item)
        option_set = inst.options_for(item)
        if test.op == "answered":
            if test.value is not None:
                out.add(f"{path}.value", "'answered' takes no value")
            return
        if option_set is None:
            out.add(f"{path}.op", f"text item '{test.item}' only supports 'answered'")
            return
        if test.op == "in":
            wanted = test.value if isinstance(test.value, tuple) else (test.value,)
            for v in wanted:
                if option_set.option(v) is None:  # type: ignore[arg-type]
                    out.add(f"{path}.value", f"impossible value {v!r} for item '{test.item}'")
        elif test.op in ("==", "!="):
            if isinstance(test.value, tuple) or option_set.option(test.value) is None:  # type: ignore[arg-type]
                out.add(f"{path}.value", f"impossible value {test.value!r} for item '{test.item}'")
        elif isinstance(test.value, int | float) and not isinstance(test.value, bool):
            nums = option_set.numeric_values
            if not any(_compare(Fraction(v), test.op, Fraction(test.value)) for v in nums):
                out.add(f"{path}.value", f"impossible: {test.item} {test.op} {test.value}")
        else:
            out.add(f"{path}.value", f"operator '{test.op}' needs a number")


def _item_ref(
    inst: Instrument,
    item_id: str,
    values: tuple[Value, ...],
    path: str,
    out: Collector,
    allowed: list[str],
) -> bool:
    """Check that a test's item exists, may be referenced here and can take the values."""
    known = [i.id for i in inst.items]
    if item_id not in known:
        out.add(path, f"unknown item '{item_id}'")
        return False
    if item_id not in allowed:
        out.add(path, f"item '{item_id}' is not an earlier item")
        return False
    option_set = inst.options_for(inst.item(item_id))
    for v in values:
        if option_set is None or option_set.option(v) is None:
            out.add(path, f"impossible value {v!r} for item '{item_id}'")
    return True
