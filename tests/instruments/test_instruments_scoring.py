"""Scoring of every shipped instrument against its published rules: ends, band edges, rules."""

from __future__ import annotations

import pytest

from screening.instruments import AnswerError, Library, score

from .helpers import same, spread

# instrument -> (items, top option value, [(last score of a band, that band, next band)])
SUM_BANDS = {
    "phq9": (
        9,
        3,
        [
            (4, "minimal", "mild"),
            (9, "mild", "moderate"),
            (14, "moderate", "moderately severe"),
            (19, "moderately severe", "severe"),
        ],
    ),
    "gad7": (7, 3, [(4, "minimal", "mild"), (9, "mild", "moderate"), (14, "moderate", "severe")]),
    "phq2": (2, 3, [(2, "negative", "positive")]),
    "gad2": (2, 3, [(2, "negative", "positive")]),
    "k6": (
        6,
        4,
        [
            (4, "no/low distress", "moderate distress"),
            (12, "moderate distress", "serious psychological distress"),
        ],
    ),
}


@pytest.mark.parametrize("inst_id", sorted(SUM_BANDS))
def test_sum_instruments_ends_and_band_edges(library: Library, inst_id: str) -> None:
    inst = library.get(inst_id)
    n, top, edges = SUM_BANDS[inst_id]
    low = score(inst, same(n, 0))
    high = score(inst, same(n, top))
    assert (low.total, high.total) == (0, n * top)
    assert low.band == edges[0][1] and high.band == edges[-1][2]
    for last, below, above in edges:
        assert score(inst, spread(last, n, top)).band == below
        assert score(inst, spread(last + 1, n, top)).band == above


def test_phq9_item9_alone_is_critical(library: Library) -> None:
    phq9 = library.get("phq9")
    result = score(phq9, {**same(8, 0), "q9": 1})
    assert result.total == 1 and result.band == "minimal"
    assert result.critical and result.alert_level == "crisis"
    assert result.fired[0].description == (
        "PHQ-9 item 9 (thoughts of being better off dead or self-harm) answered 'Several days' (1)"
    )
    assert result.fired[0].values == {"q9": 1}


def test_phq9_high_total_without_item9_is_not_critical(library: Library) -> None:
    result = score(library.get("phq9"), {**same(8, 3), "q9": 0})
    assert result.total == 24 and result.band == "severe"
    assert not result.critical and result.alert_level == "high" and result.fired == ()


def test_phq9_item10_is_not_scored_and_only_asked_after_a_problem(library: Library) -> None:
    phq9 = library.get("phq9")
    assert score(phq9, {**same(9, 1), "q10": 3}).total == 9
    with pytest.raises(AnswerError) as err:
        score(phq9, {**same(9, 0), "q10": 1})
    assert err.value.problems["q10"].code == "not_applicable"


def test_phq9_and_gad7_screening_thresholds_are_separate_from_bands(library: Library) -> None:
    phq9 = library.get("phq9")
    assert not score(phq9, spread(9, 9, 3)).positive_screen
    assert score(phq9, spread(10, 9, 3)).positive_screen
    assert score(library.get("phq2"), spread(3, 2, 3)).positive_screen
    assert score(library.get("gad7"), spread(10, 7, 3)).thresholds_met == ("further_evaluation",)


def test_who5_multiplier_and_bands(library: Library) -> None:
    who5 = library.get("who5")
    assert score(who5, same(5, 0)).total == 0
    top = score(who5, same(5, 5))
    assert (top.total, top.raw_total, top.band) == (100, 25, "not low")
    assert score(who5, spread(7, 5, 5)).band == "very low well-being"  # 28%
    assert score(who5, spread(8, 5, 5)).band == "low well-being"  # 32%
    r12 = score(who5, spread(12, 5, 5))
    assert (r12.total, r12.band, r12.positive_screen) == (48, "low well-being", True)
    r13 = score(who5, spread(13, 5, 5))
    assert (r13.total, r13.band, r13.positive_screen) == (52, "not low", False)
    assert score(who5, spread(7, 5, 5)).thresholds_met == ("poor_wellbeing", "likely_depression")


def test_k10_one_to_five_coding_and_abs_bands(library: Library) -> None:
    k10 = library.get("k10")
    assert score(k10, same(10, 1)).total == 10
    assert score(k10, same(10, 5)).total == 50

    def at(total: int) -> str:
        extra = spread(total - 10, 10, 4)
        return score(k10, {k: v + 1 for k, v in extra.items()}).band  # type: ignore[return-value]

    assert [at(t) for t in (15, 16, 21, 22, 29, 30)] == [
        "low", "moderate", "moderate", "high", "high", "very high",
    ]  # fmt: skip
    with pytest.raises(AnswerError):
        score(k10, same(10, 0))


def test_k6_serious_distress_threshold(library: Library) -> None:
    k6 = library.get("k6")
    assert not score(k6, spread(12, 6, 4)).positive_screen
    assert score(k6, spread(13, 6, 4)).positive_screen


def test_asq_negative_skips_question5(library: Library) -> None:
    asq = library.get("asq")
    result = score(asq, same(4, 0))
    assert (result.band, result.critical, result.alert_level, result.total) == (
        "negative", False, "none", None,
    )  # fmt: skip
    with pytest.raises(AnswerError) as err:
        score(asq, {**same(4, 0), "q5": 0})
    assert err.value.problems["q5"].code == "not_applicable"


@pytest.mark.parametrize("positive", [{"q4": 1}, {"q1": 1}, {"q2": "refused"}, {"q3": "1"}])
def test_asq_any_yes_or_refusal_is_positive_and_asks_q5(library: Library, positive: dict) -> None:
    asq = library.get("asq")
    answers = {**same(4, 0), **positive}
    assert score(asq, answers).band == "acute positive"  # q5 left empty: acuity unknown
    non_acute = score(asq, {**answers, "q5": 0})
    assert non_acute.band == "non-acute positive" and non_acute.critical
    assert non_acute.positive_screen and non_acute.alert_level == "crisis"
    acute = score(asq, {**answers, "q5": 1})
    assert acute.band == "acute positive" and acute.critical
    assert {f.rule_id for f in acute.fired} == {"positive_screen", "acute_positive"}


@pytest.mark.parametrize(
    ("sex", "total", "band"),
    [
        ("male", 3, "negative"),
        ("male", 4, "positive"),
        ("female", 2, "negative"),
        ("female", 3, "positive"),
        (None, 3, "positive"),
    ],
)
def test_auditc_cutoff_by_sex(library: Library, sex: str | None, total: int, band: str) -> None:
    auditc = library.get("auditc")
    answers = {"q1": min(total, 4), "q2": max(total - 4, 0), "q3": 0}
    result = score(auditc, answers, context={"sex": sex} if sex else None)
    assert result.total == total and result.band == band
    assert result.positive_screen == (band == "positive")
    assert result.context["sex"] == (sex or "female")


def test_auditc_same_answers_differ_by_sex_and_default_is_configurable(library: Library) -> None:
    auditc = library.get("auditc")
    answers = {"q1": 2, "q2": 1, "q3": 0}
    assert score(auditc, answers, context={"sex": "female"}).positive_screen
    assert not score(auditc, answers, context={"sex": "male"}).positive_screen
    unknown = score(auditc, answers, context={"sex": "other", "defaults": {"sex": "male"}})
    assert unknown.band == "negative" and unknown.context["sex"] == "male"
    assert score(auditc, {"q1": 4, "q2": 4, "q3": 4}).total == 12
    assert score(auditc, {"q1": 3, "q2": 0, "q3": 0}).flags == ("q1_only",)


def test_ucla3_range_and_convention(library: Library) -> None:
    ucla = library.get("ucla3")
    assert (score(ucla, same(3, 1)).total, score(ucla, same(3, 3)).total) == (3, 9)
    assert score(ucla, {"q1": 1, "q2": 2, "q3": 2}).band == "not lonely"
    assert score(ucla, {"q1": 2, "q2": 2, "q3": 2}).band == "lonely"


def test_cbi_mean_reverse_and_minimum_answered(library: Library) -> None:
    cbi = library.get("cbi_s")
    everything = {**same(6, 100, "p"), **same(6, 100, "s"), "s7": 0}
    top = score(cbi, everything)
    assert top.total is None and top.subscales == {"personal": 100, "studies": 100}
    assert top.band == {"personal": "high burnout", "studies": "high burnout"}
    low = score(cbi, {**same(6, 0, "p"), **same(6, 0, "s"), "s7": 100})
    assert low.subscales == {"personal": 0, "studies": 0}
    mean = score(cbi, {"p1": 50, "p2": 25, "p3": 50, "s1": 50, "s2": 50, "s3": 25, "s7": 75})
    assert mean.subscales["personal"] == pytest.approx(125 / 3)
    assert mean.subscales["studies"] == 37.5  # s7 reversed: 100 - 75
    assert mean.band == {
        "personal": "below high-burnout threshold",
        "studies": "below high-burnout threshold",
    }
    edge = score(cbi, {"p1": 50, "p2": 50, "p3": 50, "p4": 50})
    assert edge.band == {"personal": "high burnout", "studies": None}
    studies_only = score(cbi, {"p1": 100, "p2": 100, **same(4, 100, "s")})
    assert studies_only.subscales == {"personal": None, "studies": 100}
    assert studies_only.band == {"personal": None, "studies": "high burnout"}


def _upi(**yes: int) -> dict[str, object]:
    """UPI answers: all 'no' except the given items."""
    answers: dict[str, object] = {**same(63, 0), "q64": 0}
    answers.update(yes)
    return answers


def _scored(n: int) -> dict[str, int]:
    """'Yes' on the first n scored UPI items, avoiding lie, key, crisis and auxiliary items."""
    skip = {5, 20, 35, 50, 8, 16, 26, 25}
    ids = [i for i in range(1, 61) if i not in skip][:n]
    return {f"q{i}": 1 for i in ids}


def test_upi_lie_and_auxiliary_items_are_not_in_total(library: Library) -> None:
    upi = library.get("upi")
    everything = score(upi, {**same(64, 1), "q64_text": ""})
    assert everything.total == 56
    assert everything.band == "第一类" and everything.critical
    assert "possibly_invalid" in everything.flags
    only_lie_aux = score(upi, _upi(q5=1, q20=1, q35=1, q50=1, q61=1))
    assert only_lie_aux.total == 0 and only_lie_aux.band == "第二类"
    assert only_lie_aux.flags == ("possibly_invalid",)
    assert score(upi, _upi()).total == 0 and score(upi, _upi()).band == "第三类"


def test_upi_total_class_rules(library: Library) -> None:
    upi = library.get("upi")
    assert score(upi, _upi(**_scored(19))).band == "第三类"
    assert score(upi, _upi(**_scored(20))).band == "第二类"
    assert score(upi, _upi(**_scored(24))).band == "第二类"
    r25 = score(upi, _upi(**_scored(25)))
    assert r25.band == "第一类" and r25.positive_screen and not r25.critical
    assert r25.alert_level == "high"


def test_upi_item25_alone_is_class1_and_crisis(library: Library) -> None:
    result = score(library.get("upi"), _upi(q25=1))
    assert result.total == 1 and result.band == "第一类"
    assert result.critical and result.alert_level == "crisis"
    assert "想轻生" in result.fired[0].description


@pytest.mark.parametrize("key", ["q8", "q16", "q26"])
def test_upi_single_key_item_is_class2(library: Library, key: str) -> None:
    result = score(library.get("upi"), _upi(**{key: 1}))
    assert result.band == "第二类" and result.alert_level == "moderate"


def test_upi_auxiliary_items(library: Library) -> None:
    upi = library.get("upi")
    assert score(upi, _upi(q62=1)).band == "第二类"
    assert score(upi, _upi(q61=1, q63=1)).band == "第一类"


def test_local_questionnaire_routes_but_never_bands(library: Library) -> None:
    local = library.get("local-employment-worries")
    calm = score(local, same(3, 2, "w"))
    assert (calm.total, calm.band, calm.alert_level, calm.positive_screen) == (
        6,
        None,
        "none",
        False,
    )
    worried = score(local, {"w1": 0, "w2": 3, "w3": 1})
    assert worried.band is None and worried.alert_level == "moderate" and not worried.critical
    assert worried.fired[0].values == {"w2": 3}


def test_score_to_json_shape(library: Library) -> None:
    data = score(library.get("phq9"), {**same(8, 0), "q9": 2}).to_json()
    assert {
        "instrument",
        "version",
        "total",
        "subscales",
        "band",
        "critical",
        "alert_level",
        "fired",
    } <= set(data)
    assert data["fired"][0]["rule_id"] == "q9_self_harm_thoughts"
