"""FHIR R4 export of definitions (Questionnaire) and answers (QuestionnaireResponse)."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from .answers import check_answers
from .model import AnyTest, CountTest, Instrument, Item, ItemTest, Test, Value
from .ranges import band_targets, points
from .scoring import Score

LOINC = "http://loinc.org"
BASE = "urn:screening:questionnaire"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
#: Prefix of the calculated score items; item ids (a letter, letters, digits, _) never clash.
SCORE = "score."


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


def fhir_id(instrument: Instrument) -> str:
    """A valid FHIR id ([A-Za-z0-9-.]{1,64}): '_' (not allowed) becomes '.', never in our ids."""
    return f"{instrument.id.replace('_', '.')}-{instrument.version}"


def _text(texts: Mapping[str, str], lang: str) -> str:
    """Text in a language, falling back to any available one."""
    return texts.get(lang) or next(iter(texts.values()), "")


def option_system(instrument: Instrument, option_set: str) -> str:
    """Coding system naming one option set of one instrument version."""
    return f"{BASE}:{instrument.id}:{instrument.version}:options:{option_set}"


def band_system(instrument: Instrument) -> str:
    """Coding system naming the bands of one instrument version."""
    return f"{BASE}:{instrument.id}:{instrument.version}:bands"


def _decimal(value: Fraction | int | float) -> int | float:
    """A JSON number: whole values as int."""
    exact = Fraction(value)
    return exact.numerator if exact.denominator == 1 else float(exact)


def _coding(instrument: Instrument, item: Item, value: Value, lang: str) -> dict[str, Any]:
    """A valueCoding for one option of an item, with its LOINC answer code where known."""
    option_set = instrument.options_for(item)
    assert option_set is not None
    option = option_set.option(value)
    if option is not None and option.loinc:
        return {"system": LOINC, "code": option.loinc, "display": _text(option.label, lang)}
    return {
        "system": option_system(instrument, option_set.id),
        "code": str(value),
        "display": _text(option.label, lang) if option else str(value),
    }


def _answer_option(instrument: Instrument, item: Item, value: Value, lang: str) -> dict[str, Any]:
    """An answerOption; scored numeric options carry the points they add as ordinalValue."""
    entry: dict[str, Any] = {"valueCoding": _coding(instrument, item, value, lang)}
    option_set = instrument.options_for(item)
    if item.scored and option_set is not None and not isinstance(value, str):
        ordinal = _decimal(points(option_set, item, value))
        entry["extension"] = [{"url": ORDINAL_VALUE, "valueDecimal": ordinal}]
    return entry


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
        isinstance(t, ItemTest) and t.op == "==" and not isinstance(t.value, tuple | type(None))
        for t in test.tests
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


def _score_type(instrument: Instrument) -> str:
    """'integer' when every score is whole (sums times a whole multiplier), else 'decimal'."""
    scoring = instrument.scoring
    whole = scoring.method == "sum" and Fraction(scoring.multiplier).denominator == 1
    return "integer" if whole else "decimal"


def _score_targets(instrument: Instrument) -> list[tuple[str, str]]:
    """(target, English label) of the total and each subscale an instrument scores."""
    scoring = instrument.scoring
    targets = [("total", "Total score")] if scoring.has_total else []
    return targets + [(s.id, s.label.get("en") or s.id) for s in scoring.subscales]


def _banded_by_total(instrument: Instrument) -> bool:
    """Whether one band classifies the whole response (not one band per subscale)."""
    return bool(instrument.validated and instrument.bands) and band_targets(instrument) == (
        "total",
    )


def _band_coding(instrument: Instrument, band_id: str, lang: str) -> dict[str, Any]:
    """A valueCoding for one band of an instrument version."""
    return {
        "system": band_system(instrument),
        "code": band_id,
        "display": _text(instrument.band(band_id).label, lang),
    }


def _score_items(instrument: Instrument, lang: str) -> list[dict[str, Any]]:
    """Read-only calculated items: the total (with its LOINC code), subscales and the band."""
    items: list[dict[str, Any]] = []
    labels = {s.id: s.label for s in instrument.scoring.subscales}
    for target, english in _score_targets(instrument):
        entry: dict[str, Any] = {
            "linkId": SCORE + target,
            "text": _text(labels[target], lang) if target in labels else english,
            "type": _score_type(instrument),
            "readOnly": True,
        }
        if target == "total" and instrument.loinc.total:
            entry["code"] = [{"system": LOINC, "code": instrument.loinc.total}]
        items.append(entry)
    if _banded_by_total(instrument):
        band_ids = list(dict.fromkeys(b.id for b in instrument.bands))
        items.append(
            {
                "linkId": SCORE + "band",
                "text": "Result",
                "type": "choice",
                "readOnly": True,
                "answerOption": [
                    {"valueCoding": _band_coding(instrument, b, lang)} for b in band_ids
                ],
            }
        )
    return items


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
                _answer_option(instrument, item, o.value, lang) for o in option_set.options
            ]
        if item.condition is not None:
            found = _enable_when(instrument, item.condition, lang)
            if found:
                entry["enableWhen"], entry["enableBehavior"] = found
        items.append(entry)
    items += _score_items(instrument, lang)
    result: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": fhir_id(instrument),
        "url": f"{BASE}:{instrument.id}",
        "version": str(instrument.version),
        "name": "".join(p.capitalize() for p in instrument.id.replace("-", "_").split("_")),
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


def _score_answers(instrument: Instrument, result: Score, lang: str) -> list[dict[str, Any]]:
    """QuestionnaireResponse items holding the response's scores and band."""
    values = {"total": result.total, **result.subscales}
    kind = "valueInteger" if _score_type(instrument) == "integer" else "valueDecimal"
    labels = {s.id: s.label for s in instrument.scoring.subscales}
    items = []
    for target, english in _score_targets(instrument):
        value = values.get(target)
        if value is None:  # too few answers for this scale: a non-responder, nothing to report
            continue
        items.append(
            {
                "linkId": SCORE + target,
                "text": _text(labels[target], lang) if target in labels else english,
                "answer": [{kind: _decimal(value)}],
            }
        )
    if _banded_by_total(instrument) and isinstance(result.band, str):
        items.append(
            {
                "linkId": SCORE + "band",
                "text": "Result",
                "answer": [{"valueCoding": _band_coding(instrument, result.band, lang)}],
            }
        )
    return items


def to_fhir_response(
    instrument: Instrument,
    answers: Mapping[str, Any],
    lang: str,
    authored: str,
    result: Score | None = None,
) -> dict[str, Any]:
    """FHIR R4 QuestionnaireResponse holding the applicable, valid answers (and the score given).

    The score is only added when the caller passes it: a student's own download shows it only
    where the campaign shows results.
    """
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
    if result is not None:
        items += _score_answers(instrument, result, lang)
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{BASE}:{instrument.id}|{instrument.version}",
        "status": "completed",
        "authored": authored,
        "language": lang,
        "item": items,
    }
