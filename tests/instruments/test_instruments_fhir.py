"""Every exported Questionnaire and QuestionnaireResponse is valid FHIR (R4B models) and scored."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from screening.instruments import Instrument, Library, load_library, score
from screening.instruments.conditions import evaluate
from screening.instruments.fhir import (
    LOINC,
    ORDINAL_VALUE,
    fhir_id,
    to_fhir_questionnaire,
    to_fhir_response,
)

from .helpers import QUESTIONNAIRES, same

EVERY_VERSION = load_library(QUESTIONNAIRES).all()
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
#: LOINC total-score codes marked verified or secondary in the reference (reference.json).
TOTAL_CODES = {"phq9": "44261-6", "gad7": "70274-6", "phq2": "55758-7", "auditc": "75626-2"}


def _answers(inst: Instrument, pick: int) -> dict[str, Any]:
    """A valid answer set: option number `pick` (from either end) of every applicable item."""
    answers: dict[str, Any] = {}
    for item in inst.items:
        if item.condition is not None and not evaluate(item.condition, answers)[0]:
            continue
        option_set = inst.options_for(item)
        if option_set is None:
            answers[item.id] = "回答 answer"
        else:
            numeric = [v for v in option_set.values if not isinstance(v, str)]
            answers[item.id] = numeric[pick]
    return answers


def _by_link(resource: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["linkId"]: i for i in resource["item"]}


@pytest.mark.parametrize("inst", EVERY_VERSION, ids=lambda i: f"{i.id}-{i.version}")
def test_every_questionnaire_is_valid_fhir_in_every_language(inst: Instrument) -> None:
    for lang in inst.languages:
        document = to_fhir_questionnaire(inst, lang)
        Questionnaire.model_validate(document)  # raises on any invalid element
        assert FHIR_ID.fullmatch(document["id"]) and document["id"] == fhir_id(inst)
        assert re.fullmatch(r"[A-Z][A-Za-z0-9_]{0,254}", document["name"])


@pytest.mark.parametrize("inst", EVERY_VERSION, ids=lambda i: f"{i.id}-{i.version}")
@pytest.mark.parametrize("pick", [0, -1])
def test_every_response_is_valid_fhir_and_carries_its_score(inst: Instrument, pick: int) -> None:
    answers = _answers(inst, pick)
    result = score(inst, answers)
    # An answer to an item without wording in the response's language (PHQ-9 item 10 has no
    # Chinese) is kept, under its English wording: nothing given is dropped from the export.
    links = {
        i["linkId"] for lang in inst.languages for i in to_fhir_questionnaire(inst, lang)["item"]
    }
    for lang in inst.languages:
        document = to_fhir_response(inst, answers, lang, "2026-09-01T08:00:00+08:00", result)
        QuestionnaireResponse.model_validate(document)
        items = _by_link(document)
        assert set(answers) | set(items) <= links and set(answers) <= set(items)
        if result.total is not None:
            (answer,) = items["score.total"]["answer"]
            assert next(iter(answer.values())) == pytest.approx(result.total)
        if isinstance(result.band, str):
            assert items["score.band"]["answer"][0]["valueCoding"]["code"] == result.band


def test_cbi_s_id_is_valid_and_distinct(library: Library) -> None:
    assert fhir_id(library.get("cbi_s", 1)) == "cbi.s-1"
    assert to_fhir_questionnaire(library.get("cbi_s"), "en")["id"] == "cbi.s-1"
    ids = {fhir_id(i) for i in EVERY_VERSION}
    assert len(ids) == len(EVERY_VERSION)


@pytest.mark.parametrize(("inst_id", "code"), sorted(TOTAL_CODES.items()))
def test_total_score_items_carry_their_loinc_code(
    library: Library, inst_id: str, code: str
) -> None:
    total = _by_link(to_fhir_questionnaire(library.get(inst_id), "en"))["score.total"]
    assert total["code"] == [{"system": LOINC, "code": code}]
    assert total["readOnly"] is True and total["type"] == "integer"


def test_scores_without_a_verified_code_carry_none(library: Library) -> None:
    for inst in library.latest():
        if inst.id in TOTAL_CODES:
            continue
        for entry in to_fhir_questionnaire(inst, inst.languages[0])["item"]:
            if entry["linkId"].startswith("score."):
                assert "code" not in entry, (inst.id, entry["linkId"])


def test_options_carry_the_points_they_score_as_ordinal_value(library: Library) -> None:
    def ordinals(inst_id: str, link: str) -> list[Any]:
        entry = _by_link(to_fhir_questionnaire(library.get(inst_id), "en"))[link]
        return [
            next(
                (e["valueDecimal"] for e in o.get("extension", []) if e["url"] == ORDINAL_VALUE),
                None,
            )
            for o in entry["answerOption"]
        ]

    assert ordinals("phq9", "q9") == [0, 1, 2, 3]
    assert ordinals("k10", "q1") == [1, 2, 3, 4, 5]
    assert ordinals("cbi_s", "p1") == [100, 75, 50, 25, 0]
    assert ordinals("cbi_s", "s7") == [0, 25, 50, 75, 100]  # reverse item: 100 - value
    assert ordinals("asq", "q1") == [None, None, None]  # rule-based, never summed
    assert ordinals("phq9", "q10") == [None, None, None, None]  # not in the total


def test_response_scores_follow_the_published_scoring(library: Library) -> None:
    who5 = library.get("who5")
    answers = same(5, 3)
    items = _by_link(to_fhir_response(who5, answers, "en", "2026-09-01", score(who5, answers)))
    assert items["score.total"]["answer"] == [{"valueInteger": 60}]  # raw 15 x 4
    cbi = library.get("cbi_s")
    answers = {"p1": 50, "p2": 25, "p3": 50}
    items = _by_link(to_fhir_response(cbi, answers, "en", "2026-09-01", score(cbi, answers)))
    assert items["score.personal"]["answer"] == [{"valueDecimal": pytest.approx(125 / 3)}]
    assert "score.studies" not in items  # a non-responder scale reports nothing
    asq = library.get("asq")
    answers = {**same(4, 0), "q2": 1, "q5": "refused"}
    items = _by_link(to_fhir_response(asq, answers, "en", "2026-09-01", score(asq, answers)))
    assert items["score.band"]["answer"][0]["valueCoding"]["code"] == "acute positive"
    assert "score.total" not in items


def test_response_without_a_score_given_has_no_score_items(library: Library) -> None:
    phq9 = library.get("phq9")
    document = to_fhir_response(phq9, same(9, 1), "zh-Hans", "2026-09-01")
    QuestionnaireResponse.model_validate(document)
    assert not [i for i in document["item"] if i["linkId"].startswith("score.")]


@pytest.mark.parametrize("show_results", [True, False])
def test_students_own_fhir_download_is_valid_and_scored_only_where_results_are_shown(
    client, logged_in, make_campaign, db, show_results: bool
) -> None:
    from sqlalchemy import select

    from screening.campaigns.models import Assignment
    from tests.responses.conftest import answer

    make_campaign(["phq9"], show_results=show_results)
    student = logged_in("student")
    client.get("/screening/")
    assignment = db.scalar(select(Assignment).where(Assignment.student_id == student.id))
    client.post(f"/screening/{assignment.id}/consent", data={"agree": "1"})
    answers = {f"q{i}": "2" for i in range(1, 10)}
    receipt = answer(client, assignment.id, {**answers, "q10": "1"})
    base = receipt.headers["Location"].replace("receipt", "submissions")
    document = client.post(base + "/fhir").json
    QuestionnaireResponse.model_validate(document)
    items = _by_link(document)
    assert items["q9"]["answer"][0]["valueCoding"]["code"] == "2"
    if show_results:
        assert items["score.total"]["answer"] == [{"valueInteger": 18}]
        assert items["score.band"]["answer"][0]["valueCoding"]["code"] == "moderately severe"
    else:
        assert "score.total" not in items and "score.band" not in items
