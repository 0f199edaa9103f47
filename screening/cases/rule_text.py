"""A band or rule of an instrument in the admin's language, for the tier editor.

The definition files describe rules in English with answer placeholders ("answered {q9}")
meant for a fired rule; the editor shows no answer, so it describes the rule's condition
itself, with the question and answer wording of the admin's language.
"""

from __future__ import annotations

from flask_babel import gettext as _

from screening.instruments.model import (
    AllTest,
    AnyTest,
    BandTest,
    CountTest,
    Instrument,
    ItemTest,
    ScoreTest,
    Test,
)

OPS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "=", "!=": "≠"}
SHORT = 48


def _lang(instrument: Instrument, locale: str) -> str:
    want = "zh-Hans" if locale.startswith("zh") else "en"
    return want if want in instrument.languages else instrument.languages[0]


def _answer(instrument: Instrument, item_id: str, value: object, lang: str) -> str:
    """An answer value with its wording, e.g. 1 (好几天); "refused" as a word."""
    if value == "refused":
        return str(_("refused to answer"))
    try:
        item = instrument.item(item_id)
    except KeyError:
        return str(value)
    options = instrument.options_for(item)
    for option in options.options if options else ():
        if option.value == value:
            label = option.label.get(lang) or next(iter(option.label.values()), "")
            return f"{value}（{label}）" if lang.startswith("zh") else f"{value} ({label})"
    return str(value)


def _item(instrument: Instrument, item_id: str, lang: str) -> str:
    number = next((n for n, it in enumerate(instrument.items, 1) if it.id == item_id), item_id)
    try:
        text = instrument.item(item_id).text.get(lang, "")
    except KeyError:
        text = ""
    short = text if len(text) <= SHORT else text[: SHORT - 1] + "…"
    label = _("question %(n)s", n=number)
    return (
        f"{label}「{short}」"
        if short and lang.startswith("zh")
        else (f"{label} “{short}”" if short else label)
    )


def describe(instrument: Instrument, test: Test, locale: str) -> str:
    """The condition in words, e.g. 第 9 题「…」≥ 1（好几天）."""
    lang = _lang(instrument, locale)
    if isinstance(test, ItemTest):
        values = test.value if isinstance(test.value, tuple) else (test.value,)
        shown = " / ".join(_answer(instrument, test.item, v, lang) for v in values)
        return f"{_item(instrument, test.item, lang)} {OPS.get(test.op, test.op)} {shown}"
    if isinstance(test, ScoreTest):
        score = _("total") if test.score == "total" else test.score
        return f"{score} {OPS.get(test.op, test.op)} {test.value:g}"
    if isinstance(test, CountTest):
        numbers = ", ".join(
            str(next((n for n, it in enumerate(instrument.items, 1) if it.id == i), i))
            for i in test.items
        )
        answers = " / ".join(_answer(instrument, test.items[0], v, lang) for v in test.matching)
        return str(
            _(
                "%(op)s %(value)s of questions %(items)s answered %(answers)s",
                op=OPS.get(test.op, test.op),
                value=test.value,
                items=numbers,
                answers=answers,
            )
        )
    if isinstance(test, AnyTest):
        return str(_(" or ").join(describe(instrument, t, locale) for t in test.tests))
    if isinstance(test, AllTest):
        return str(_(" and ").join(describe(instrument, t, locale) for t in test.tests))
    if isinstance(test, BandTest):
        return str(
            _(
                "result %(bands)s",
                bands=", ".join(band_label(instrument, b, locale) for b in test.bands),
            )
        )
    return ""


def band_label(instrument: Instrument, band_id: str, locale: str) -> str:
    """A band's name in the admin's language."""
    lang = _lang(instrument, locale)
    try:
        band = instrument.band(band_id)
    except KeyError:
        return band_id
    return band.label.get(lang) or band.label.get("en") or band_id


def key_label(instrument: Instrument, key: str, locale: str) -> str:
    """The tier editor's label of a mapping key ("band:<id>" or "rule:<id>")."""
    kind, _sep, ident = key.partition(":")
    if kind == "band":
        return str(_("Result: %(band)s", band=band_label(instrument, ident, locale)))
    rule = next((r for r in instrument.rules if r.id == ident), None)
    if rule is None:
        return ident
    return str(_("Rule: %(condition)s", condition=describe(instrument, rule.when, locale)))
