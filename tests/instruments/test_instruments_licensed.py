"""PSS-10 and C-SSRS (not shippable) prove reverse items, skip logic and rule-based triage."""

from __future__ import annotations

import pytest

from screening.instruments import AnswerError, Library, score, visible_items

from .helpers import same


def test_pss10_reverse_items(licensed: Library) -> None:
    pss = licensed.get("pss10")
    assert score(pss, same(10, 0)).total == 16
    assert score(pss, same(10, 4)).total == 24
    lowest = {**same(10, 0), "q4": 4, "q5": 4, "q7": 4, "q8": 4}
    highest = {**same(10, 4), "q4": 0, "q5": 0, "q7": 0, "q8": 0}
    assert (score(pss, lowest).total, score(pss, highest).total) == (0, 40)
    assert score(pss, lowest).band is None


def test_cssrs_skip_logic(licensed: Library) -> None:
    cssrs = licensed.get("cssrs_screen")
    shown = [i.id for i in visible_items(cssrs, {"q1": 0, "q2": 0, "q6": 0})]
    assert shown == ["q1", "q2", "q6"]
    shown = [i.id for i in visible_items(cssrs, {"q1": 1, "q2": 1, "q6": 1})]
    assert shown == ["q1", "q2", "q3", "q4", "q5", "q6", "q6_recent"]
    with pytest.raises(AnswerError) as err:
        score(cssrs, {"q1": 0, "q2": 0, "q3": 1, "q6": 0})
    assert err.value.problems["q3"].code == "not_applicable"
    with pytest.raises(AnswerError) as err:
        score(cssrs, {"q1": 0, "q2": 0, "q6": 1})
    assert err.value.problems["q6_recent"].code == "required"


YES2 = {"q1": 1, "q2": 1, "q3": 0, "q4": 0, "q5": 0}


@pytest.mark.parametrize(
    ("answers", "band", "alert", "critical"),
    [
        ({"q1": 0, "q2": 0, "q6": 0}, "none", "none", False),
        ({"q1": 1, "q2": 0, "q6": 0}, "low", "moderate", False),
        ({**YES2, "q6": 0}, "low", "moderate", False),
        ({**YES2, "q3": 1, "q6": 0}, "moderate", "high", False),
        ({"q1": 0, "q2": 0, "q6": 1, "q6_recent": 0}, "moderate", "high", False),
        ({**YES2, "q4": 1, "q6": 0}, "high", "crisis", True),
        ({**YES2, "q5": 1, "q6": 0}, "high", "crisis", True),
        ({"q1": 0, "q2": 0, "q6": 1, "q6_recent": 1}, "high", "crisis", True),
    ],
)
def test_cssrs_rule_based_triage(
    licensed: Library, answers: dict, band: str, alert: str, critical: bool
) -> None:
    result = score(licensed.get("cssrs_screen"), answers)
    assert (result.band, result.alert_level, result.critical) == (band, alert, critical)
    assert result.total is None
