"""FHIR R4 export of definitions (Questionnaire) and answers (QuestionnaireResponse)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .answers import check_answers
from .model import AnyTest, CountTest, Instrument, Item, ItemTest, Test, Value

LOINC = "http://loinc.org"
BASE = "urn:screening:questionnaire"


def pick_lang(instrument: Instrument, lang: str) -> str:
    """The requested language when declared, else a same-language variant, else the first one."""
    if lang in instrument.languages:
        return lang
    lower = {code.lower(): code for code in instrument.languages}
    if lang.lower() in lower:
        return lower[lang.lower()]
    primary = lang.split("-")[0].lower()
    for code in instrument.languages:
        if code.split("-")[0].lower() == primary:
            return code
    return instrument.languages[0]


def _text(texts: Mapping[str, str], lang: str) -> str:
    """Text in a language, falling back to any available one."""
    return texts.get(lang) or next(iter(texts.values()), "")


def option_system(instrument: Instrument, option_set: str) -> str:
    """Coding system naming one option set of one instrument version."""
    return f"{BASE}:{instrument.id}:{instrument.version}:options:{option_set}"


def _coding(instrument: Instrument, item: Item, value: Value, lang: str) -> dict[str, Any]:
    """A valueCoding for one option of an item."""
    option_set = instrument.options_for(item)
    assert option_set is not None
    option = option_set.option(value)
    return {
        "system": option_system(instrument, option_set.id),
        "code": str(value),
        "display": _text(option.label, lang) if option else str(value),
    }


def _enable_when(
    instrument: Instrument, test: Test, lang: str
) -> tuple[list[dict[str, Any]], str] | None:
    """FHIR enableWhen for simple 'equals' / 'any of' conditions; None when not expressible."""
    pairs: list[tuple[str, Value]]
    if isinstance(test, ItemTest) and test.op in ("==", "in"):
        values = test.value if isinstance(test.value, tuple) else (test.value,)
        pairs = [(test.item, v) for v in values if v is not None]
    elif isinstance(test, CountTest) and test.op == ">=" and test.value == 1:
        pairs = [(i, v) for i in test.items for v in test.matching]
    elif isinstance(test, AnyTest) and all(
        isinstance(t, ItemTest) and t.op == "==" for t in test.tests
    ):
        pairs = [
            (t.item, t.value)
            for t in test.tests
            if isinstance(t, ItemTest) and t.value is not None and not isinstance(t.value, tuple)
        ]
    else:
        return None
    conditions = [
        {
            "question": item_id,
            "operator": "=",
            "answerCoding": _coding(instrument, instrument.item(item_id), value, lang),
        }
        for item_id, value in pairs
    ]
    return conditions, "any"


def to_fhir_questionnaire(instrument: Instrument, lang: str) -> dict[str, Any]:
    """FHIR R4 Questionnaire for one language, with LOINC codes where known."""
    lang = pick_lang(instrument, lang)
    items: list[dict[str, Any]] = []
    for item in instrument.items:
        if lang not in item.languages:
            continue
        entry: dict[str, Any] = {
            "linkId": item.id,
            "text": _text(item.text, lang),
            "type": "choice" if item.type == "choice" else "text",
            "required": item.required and item.condition is None,
        }
        code = instrument.loinc.items.get(item.id)
        if code:
            entry["code"] = [{"system": LOINC, "code": code}]
        option_set = instrument.options_for(item)
        if option_set is not None:
            entry["answerOption"] = [
                {"valueCoding": _coding(instrument, item, o.value, lang)}
                for o in option_set.options
            ]
        if item.condition is not None:
            found = _enable_when(instrument, item.condition, lang)
            if found:
                entry["enableWhen"], entry["enableBehavior"] = found
        items.append(entry)
    result: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": f"{instrument.id}-{instrument.version}",
        "url": f"{BASE}:{instrument.id}",
        "version": str(instrument.version),
        "name": instrument.id.replace("-", "_"),
        "title": _text(instrument.title, lang),
        "status": "active",
        "language": lang,
        "description": _text(instrument.instructions, lang),
        "copyright": instrument.licence.text,
        "item": items,
    }
    if instrument.loinc.panel:
        result["code"] = [{"system": LOINC, "code": instrument.loinc.panel}]
    return result


def to_fhir_response(
    instrument: Instrument, answers: Mapping[str, Any], lang: str, authored: str
) -> dict[str, Any]:
    """FHIR R4 QuestionnaireResponse holding the applicable, valid answers."""
    lang = pick_lang(instrument, lang)
    clean = check_answers(instrument, answers)[0]
    items = []
    for item in instrument.items:
        if item.id not in clean:
            continue
        value = clean[item.id]
        answer = (
            {"valueCoding": _coding(instrument, item, value, lang)}
            if item.type == "choice"
            else {"valueString": str(value)}
        )
        items.append({"linkId": item.id, "text": _text(item.text, lang), "answer": [answer]})
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{BASE}:{instrument.id}|{instrument.version}",
        "status": "completed",
        "authored": authored,
        "language": lang,
        "item": items,
    }
