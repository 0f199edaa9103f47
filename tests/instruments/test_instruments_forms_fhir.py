"""Forms build in every language; answers are checked; FHIR export has the expected shape."""

from __future__ import annotations

import pytest
from flask import Flask

from screening.instruments import Library, answer_errors, validate_answers, visible_items
from screening.instruments.fhir import to_fhir_questionnaire, to_fhir_response
from screening.instruments.forms import build_form_class, form_item_lang

from .helpers import same


@pytest.fixture(scope="module")
def app() -> Flask:
    """A bare Flask app for form tests."""
    app = Flask(__name__)
    app.config.update(WTF_CSRF_ENABLED=False, SECRET_KEY="test")
    return app


def test_every_instrument_builds_a_form_in_each_language(app: Flask, library: Library) -> None:
    for inst in library.latest():
        for lang in inst.languages:
            with app.test_request_context(method="POST", data={}):
                form = build_form_class(inst, lang)()
                shown = [i.id for i in inst.items if lang in i.languages]
                assert [f.name for f in form] == shown
                first = inst.items[0]
                assert form[first.id].label.text == first.text[lang]


def test_form_choices_labels_and_validation(app: Flask, library: Library) -> None:
    phq9 = library.get("phq9")
    assert form_item_lang(phq9, "zh-Hans") == "zh-Hans"
    assert form_item_lang(phq9, "zh") == "zh-Hans"
    assert form_item_lang(library.get("upi"), "en") == "zh-Hans"
    with app.test_request_context(method="POST", data={**same(9, "0"), "q9": "2"}):
        form = build_form_class(phq9, "zh-Hans")()
        assert (form.q1.choices[1].value, form.q1.choices[1].label) == ("1", "好几天")
        assert "q10" not in form._fields
        assert form.validate(), form.errors
    with app.test_request_context(method="POST", data={"q1": "7"}):
        form = build_form_class(phq9, "en")()
        assert not form.validate()
        assert "q2" in form.errors and "q1" in form.errors and "q10" not in form.errors


def test_conditional_items_are_not_required_in_the_form(app: Flask, library: Library) -> None:
    asq = library.get("asq", 1)  # question 5 is required when it applies in version 1
    with app.test_request_context(method="POST", data={**same(4, "0"), "q1": "1"}):
        form = build_form_class(asq, "en")()
        assert form.validate()
        assert validate_answers(asq, form.data) == {"q5": "This question is required."}


def test_validate_answers_codes(library: Library) -> None:
    phq2 = library.get("phq2")
    errors = answer_errors(phq2, {"q1": "9", "q3": 1})
    assert {k: v.code for k, v in errors.items()} == {
        "q1": "invalid_choice",
        "q2": "required",
        "q3": "unknown_item",
    }
    assert validate_answers(phq2, {"q1": "1", "q2": 2}) == {}
    assert (
        validate_answers(phq2, {"q1": True, "q2": ""})["q1"] == "Choose one of the offered answers."
    )
    asq = library.get("asq")
    assert [i.id for i in visible_items(asq, same(4, 0))] == ["q1", "q2", "q3", "q4"]
    assert visible_items(asq, {**same(4, 0), "q2": "refused"})[-1].id == "q5"


def test_fhir_questionnaire_shape(library: Library) -> None:
    q = to_fhir_questionnaire(library.get("phq9"), "en")
    assert q["resourceType"] == "Questionnaire" and q["status"] == "active"
    assert q["code"] == [{"system": "http://loinc.org", "code": "44249-1"}]
    q9 = q["item"][8]
    assert q9["linkId"] == "q9" and q9["type"] == "choice" and q9["required"] is True
    assert q9["code"] == [{"system": "http://loinc.org", "code": "44260-8"}]
    assert q9["answerOption"][1]["valueCoding"]["display"] == "Several days"
    assert q["item"][9]["enableBehavior"] == "any" and q["item"][9]["required"] is False
    zh = to_fhir_questionnaire(library.get("phq9"), "zh-Hans")
    assert zh["language"] == "zh-Hans"  # q10 has no Chinese wording: 9 items and the scores
    assert [i["linkId"] for i in zh["item"]][8:] == ["q9", "score.total", "score.band"]


def test_fhir_response_shape(library: Library) -> None:
    phq9 = library.get("phq9")
    resp = to_fhir_response(phq9, {**same(9, "0"), "q9": "1"}, "en", "2025-01-02T03:04:05Z")
    assert resp["resourceType"] == "QuestionnaireResponse"
    assert resp["questionnaire"].endswith("phq9|1") and resp["status"] == "completed"
    assert resp["authored"] == "2025-01-02T03:04:05Z"
    assert resp["item"][8]["answer"] == [
        {"valueCoding": {"system": resp["item"][8]["answer"][0]["valueCoding"]["system"],
                         "code": "1", "display": "Several days"}}
    ]  # fmt: skip
    upi = to_fhir_response(
        library.get("upi"), {**same(64, 0), "q64": 1, "q64_text": "想咨询"}, "zh-Hans", "x"
    )
    assert upi["item"][-1] == {"linkId": "q64_text", "text": "如果有请写下来。",
                               "answer": [{"valueString": "想咨询"}]}  # fmt: skip
