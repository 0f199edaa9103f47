"""Evaluate condition and rule tests against answers and scores, noting what made them true."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from .model import AllTest, AnyTest, BandTest, CountTest, ItemTest, ScoreTest, Test, Value


@dataclass
class Evidence:
    """Items and scores that made a test true, in the order they were met."""

    items: list[str] = field(default_factory=list)
    scores: list[str] = field(default_factory=list)

    def merge(self, other: Evidence) -> None:
        """Add another test's evidence without repeating names."""
        self.items += [i for i in other.items if i not in self.items]
        self.scores += [s for s in other.scores if s not in self.scores]


def compare(a: Value | Fraction, op: str, b: Value | Fraction) -> bool:
    """Compare an answer or score with a value; ordering only between numbers."""
    if op == "==":
        return a == b and isinstance(a, str) == isinstance(b, str)
    if op == "!=":
        return not compare(a, "==", b)
    if isinstance(a, str) or isinstance(b, str):
        return False
    return {">=": a >= b, ">": a > b, "<=": a <= b, "<": a < b}[op]


def _matches(answer: Value, wanted: tuple[Value, ...]) -> bool:
    """Whether an answer equals one of the wanted values (1 never equals '1')."""
    return any(compare(answer, "==", w) for w in wanted)


def evaluate(
    test: Test,
    answers: Mapping[str, Value],
    scores: Mapping[str, Fraction | None] | None = None,
    band: str | None = None,
) -> tuple[bool, Evidence]:
    """Evaluate a test; unanswered items and missing scores never satisfy a comparison."""
    ev = Evidence()
    if isinstance(test, ItemTest):
        if test.item not in answers:
            return False, ev
        answer = answers[test.item]
        if test.op == "answered":
            ok = True
        elif test.op == "in":
            wanted = test.value if isinstance(test.value, tuple) else (test.value,)
            ok = _matches(answer, wanted)  # type: ignore[arg-type]
        else:
            ok = compare(answer, test.op, test.value)  # type: ignore[arg-type]
        if ok:
            ev.items.append(test.item)
        return ok, ev
    if isinstance(test, ScoreTest):
        value = (scores or {}).get(test.score)
        ok = value is not None and compare(value, test.op, Fraction(test.value))
        if ok:
            ev.scores.append(test.score)
        return ok, ev
    if isinstance(test, CountTest):
        hits = [i for i in test.items if i in answers and _matches(answers[i], test.matching)]
        ok = compare(len(hits), test.op, test.value)
        if ok:
            ev.items += hits
        return ok, ev
    if isinstance(test, AnyTest):
        found = False
        for sub in test.tests:
            ok, sub_ev = evaluate(sub, answers, scores, band)
            if ok:
                found = True
                ev.merge(sub_ev)
        return found, ev
    if isinstance(test, AllTest):
        for sub in test.tests:
            ok, sub_ev = evaluate(sub, answers, scores, band)
            if not ok:
                return False, Evidence()
            ev.merge(sub_ev)
        return True, ev
    if isinstance(test, BandTest):
        return band is not None and band in test.bands, ev
    raise TypeError(f"unknown test {test!r}")
