"""Property tests: every valid answer set scores inside the range and in exactly one band."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from screening.instruments import (
    Instrument,
    Library,
    answer_errors,
    load_library,
    score,
    validate_answers,
)
from screening.instruments.conditions import evaluate
from screening.instruments.ranges import band_targets, score_range
from screening.instruments.scoring import matching_bands

from .helpers import LICENSED, QUESTIONNAIRES

ALL = [*load_library(QUESTIONNAIRES).latest(), *load_library(LICENSED).latest()]


@st.composite
def answer_sets(draw: st.DrawFn, inst: Instrument) -> dict[str, Any]:
    """A valid answer set: each applicable item answered (optional ones maybe skipped)."""
    answers: dict[str, Any] = {}
    clean: dict[str, Any] = {}
    for item in inst.items:
        if item.condition is not None and not evaluate(item.condition, clean)[0]:
            continue
        if not item.required and draw(st.booleans()):
            continue
        option_set = inst.options_for(item)
        if option_set is None:
            answers[item.id] = draw(st.text(min_size=1, max_size=20).filter(str.strip))
        else:
            value = draw(st.sampled_from(option_set.values))
            answers[item.id] = str(value) if draw(st.booleans()) else value
            clean[item.id] = value
    return answers


@pytest.mark.parametrize("inst", ALL, ids=lambda i: i.id)
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_valid_answers_score_in_range_and_in_one_band(
    inst: Instrument, data: st.DataObject
) -> None:
    answers = data.draw(answer_sets(inst))
    problems = answer_errors(inst, answers)
    # Only a response from which no scale can be scored (too few answers) may be refused.
    assert {p.code for p in problems.values()} <= {"too_few_answers"}
    assume(not problems)
    assert validate_answers(inst, answers) == {}
    context = {"sex": data.draw(st.sampled_from(["male", "female", "unknown"]))}
    result = score(inst, answers, context=context)
    values = {"total": result.total, **result.subscales}
    for target in band_targets(inst) if inst.scoring.method != "rules" else ():
        value = values[target]
        if value is None:
            continue
        low, high = score_range(inst, target)  # type: ignore[misc]
        assert low <= Fraction(value) <= high
        if inst.validated and inst.bands and inst.scoring.band_by == "range":
            assert len(matching_bands(inst, value, result.context)) == 1
    if not inst.validated:
        assert result.band is None
    elif inst.scoring.band_by == "rules":
        assert result.band in {b.id for b in inst.bands}
    tiers = [f.tier for f in result.fired]
    assert result.critical == any(f.critical for f in result.fired)
    assert result.alert_level in ("none", "moderate", "high", "crisis")
    if result.critical:
        assert result.alert_level == "crisis"
    assert all(t in ("none", "moderate", "high", "crisis") for t in tiers)


def test_known_ranges(library: Library) -> None:
    expected = {
        "phq9": (0, 27),
        "phq2": (0, 6),
        "gad7": (0, 21),
        "gad2": (0, 6),
        "who5": (0, 100),
        "k10": (10, 50),
        "k6": (0, 24),
        "auditc": (0, 12),
        "ucla3": (3, 9),
        "upi": (0, 56),
    }
    for inst_id, rng in expected.items():
        assert score_range(library.get(inst_id)) == rng
    cbi = library.get("cbi_s")
    assert score_range(cbi, "personal") == score_range(cbi, "studies") == (0, 100)
