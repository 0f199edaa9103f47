"""Clinical fixes, each from its published rule: ASQ acuity, UPI item 64, blank CBI-S, AUDIT-C."""

from __future__ import annotations

import pytest

from screening.instruments import AnswerError, Library, answer_errors, score, visible_items

from .helpers import same

POSITIVE_ASQ = [{"q1": 1}, {"q2": 1}, {"q3": 1}, {"q4": 1}, {"q1": "refused"}, {"q4": "refused"}]


@pytest.mark.parametrize("positive", POSITIVE_ASQ)
@pytest.mark.parametrize("q5", ["refused", None, ""])
def test_asq_q5_declined_or_unanswered_after_a_positive_screen_is_acute(
    library: Library, positive: dict, q5: str | None
) -> None:
    answers = {**same(4, 0), **positive}
    if q5 is not None:
        answers["q5"] = q5
    result = score(library.get("asq"), answers)
    assert result.band == "acute positive"  # never non-acute: imminent risk not ruled out
    assert result.critical and result.alert_level == "crisis" and result.positive_screen
    assert "acute_q5_not_answered" in {f.rule_id for f in result.fired}


def test_asq_q5_answers_keep_the_published_acuity(library: Library) -> None:
    asq = library.get("asq")
    positive = {**same(4, 0), "q4": 1}
    assert score(asq, {**positive, "q5": 0}).band == "non-acute positive"
    acute = score(asq, {**positive, "q5": 1, "q5_describe": "想过"})
    assert acute.band == "acute positive"
    assert {f.rule_id for f in acute.fired} == {"positive_screen", "acute_positive"}
    negative = score(asq, same(4, 0))
    assert negative.band == "negative" and not negative.critical and not negative.fired


def test_asq_write_in_lines_follow_a_yes_and_are_never_scored(library: Library) -> None:
    asq = library.get("asq")
    shown = [i.id for i in visible_items(asq, {**same(4, 0), "q4": 1})]
    assert shown == ["q1", "q2", "q3", "q4", "q4_how", "q5"]
    shown = [i.id for i in visible_items(asq, {**same(4, 0), "q1": 1, "q5": 1})]
    assert shown == ["q1", "q2", "q3", "q4", "q5", "q5_describe"]
    assert [i.id for i in visible_items(asq, same(4, 0))] == ["q1", "q2", "q3", "q4"]
    errors = answer_errors(asq, {**same(4, 0), "q5_describe": "x"})
    assert errors["q5_describe"].code == "not_applicable"


def test_asq_version_1_is_kept_as_published(library: Library) -> None:
    old = library.get("asq", 1)
    with pytest.raises(AnswerError):
        score(old, {**same(4, 0), "q1": 1})  # q5 required when it applies
    assert score(old, {**same(4, 0), "q1": 1, "q5": "refused"}).band == "non-acute positive"


def _upi(**answers: object) -> dict[str, object]:
    return {**same(63, 0), "q64": 0, **answers}


def test_upi_item64_request_for_counselling_is_class_1(library: Library) -> None:
    upi = library.get("upi")
    request = score(upi, _upi(q64=1, q64_text="想和老师谈谈学业压力"))
    assert request.band == "第一类" and request.positive_screen
    assert request.alert_level == "high" and not request.critical
    assert [f.rule_id for f in request.fired] == ["counselling_request"]
    assert "想和老师谈谈" not in request.fired[0].description  # free text stays in the answers
    assert score(upi, _upi(q64=1)).band == "第一类"  # the request alone, nothing written
    none = score(upi, _upi())
    assert none.band == "第三类" and not none.fired


def test_upi_item64_write_in_only_after_yes(library: Library) -> None:
    upi = library.get("upi")
    assert answer_errors(upi, _upi(q64_text="x"))["q64_text"].code == "not_applicable"
    assert answer_errors(upi, same(63, 0))["q64"].code == "required"


def test_blank_cbi_s_is_refused_with_a_message(library: Library) -> None:
    for cbi in (library.get("cbi_s"), library.get("cbi_s", 1)):
        with pytest.raises(AnswerError) as err:
            score(cbi, {})
        problems = err.value.problems
        assert set(problems) == {"p1", "s1"}
        assert {p.code for p in problems.values()} == {"too_few_answers"}
        assert "at least 3" in problems["p1"].message
        assert "at least 4" in problems["s1"].message


def test_cbi_s_partial_answers_follow_the_published_non_responder_rule(library: Library) -> None:
    cbi = library.get("cbi_s")
    # Fewer than 3 personal and fewer than 4 studies answers: no scale can be scored.
    errors = answer_errors(cbi, {"p1": 50, "p2": 50, "s1": 50, "s2": 50, "s3": 50})
    assert set(errors) == {"p3", "s4"} and {e.code for e in errors.values()} == {"too_few_answers"}
    personal = score(cbi, {"p1": 50, "p2": 50, "p3": 50})
    assert personal.subscales == {"personal": 50, "studies": None}
    studies = score(cbi, {"s1": 0, "s2": 25, "s3": 0, "s7": 100})
    assert studies.subscales == {"personal": None, "studies": 6.25}


def test_auditc_defines_the_standard_drink_as_10_g_of_pure_alcohol(library: Library) -> None:
    auditc = library.get("auditc")
    for lang in auditc.languages:
        text = auditc.instructions[lang]
        assert "10" in text and ("g" in text or "克" in text)
    assert "10 g of pure alcohol" in auditc.instructions["en"]
    assert score(auditc, {"q1": 1, "q2": 1, "q3": 1}, context={"sex": "female"}).band == "positive"
