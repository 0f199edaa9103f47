"""Instrument names, band labels and fired rules in the counselor's language.

Definitions carry Chinese titles and band labels for some instruments only, and rule
descriptions in English only; a Chinese counselor page must never show an internal id
("phq9 v1") or an English template. Definitions' own wording is used where it exists in the
reader's language; otherwise the reviewed project translations below.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from screening.instruments import Instrument
from screening.instruments.fhir import pick_lang

#: Display names where a definition has no title in the reader's language.
INSTRUMENT_NAMES: Mapping[str, Any] = {
    "asq": _l("Ask Suicide-Screening Questions (ASQ)"),
    "auditc": _l("Alcohol Use Disorders Identification Test - Consumption (AUDIT-C)"),
    "cbi_s": _l("Copenhagen Burnout Inventory - Student version (CBI-S)"),
    "k10": _l("Kessler Psychological Distress Scale (K10)"),
    "k6": _l("Kessler Psychological Distress Scale (K6)"),
    "ucla3": _l("Three-Item Loneliness Scale (UCLA-3)"),
    "who5": _l("WHO-5 Well-Being Index (WHO-5)"),
    "upi": _l("University Personality Inventory (UPI)"),
}
#: Band labels where a definition has none in the reader's language, by (instrument, band).
BAND_LABELS: Mapping[tuple[str, str], Any] = {
    ("asq", "negative"): _l("Negative (screen)"),
    ("asq", "non-acute positive"): _l(
        "Non-acute positive (potential risk): brief suicide safety assessment before leaving"
    ),
    ("asq", "acute positive"): _l(
        "Acute positive (imminent risk): immediate safety and full mental-health evaluation"
    ),
    ("auditc", "negative"): _l("Negative (screen)"),
    ("auditc", "positive"): _l("Positive (hazardous drinking likely)"),
    ("cbi_s", "below high-burnout threshold"): _l("Below the high-burnout threshold"),
    ("cbi_s", "high burnout"): _l("High burnout (50 or more, by convention)"),
    ("k10", "low"): _l("Low distress"),
    ("k10", "moderate"): _l("Moderate distress"),
    ("k10", "high"): _l("High distress"),
    ("k10", "very high"): _l("Very high distress"),
    ("k6", "no/low distress"): _l("No or low distress"),
    ("k6", "moderate distress"): _l("Moderate distress"),
    ("k6", "serious psychological distress"): _l("Serious psychological distress"),
    ("ucla3", "not lonely"): _l("Not lonely (research convention)"),
    ("ucla3", "lonely"): _l("Lonely (research convention)"),
    ("who5", "very low well-being"): _l("Very low well-being (28 per cent or less)"),
    ("who5", "low well-being"): _l("Low well-being (under 50 per cent)"),
    ("who5", "not low"): _l("Well-being not low"),
    ("upi", "第三类"): _l("Class 3"),
    ("upi", "第二类"): _l("Class 2 (needs attention)"),
    ("upi", "第一类"): _l("Class 1 (interview promptly)"),
}
#: What a fired rule means, by (instrument, rule); the evidence is appended from the answers.
RULE_TEXTS: Mapping[tuple[str, str], Any] = {
    ("asq", "positive_screen"): _l(
        "ASQ positive screen (a yes or a refusal on questions 1-4): brief suicide safety "
        "assessment before the student leaves"
    ),
    ("asq", "acute_positive"): _l(
        "ASQ question 5 (thoughts of killing oneself right now): acute positive, imminent "
        "risk; the student must not leave until a full safety evaluation"
    ),
    ("auditc", "points_from_q1_only"): _l(
        "AUDIT-C points come only from question 1: drinking is likely below limits; review"
    ),
    ("local-employment-worries", "top_worry"): _l(
        "Employment worries at the top level: offer a conversation with careers or "
        "counselling staff"
    ),
    ("phq9", "q9_self_harm_thoughts"): _l(
        "PHQ-9 item 9: thoughts of being better off dead or of hurting oneself"
    ),
    ("upi", "item25_suicidal_thoughts"): _l(
        "UPI item 25 (thinking of taking one's own life): crisis whatever the total; class 1"
    ),
    ("upi", "total_25"): _l("UPI total of 25 or more: class 1, interview promptly"),
    ("upi", "auxiliary_2"): _l(
        "Two or more UPI auxiliary items answered yes: class 1, interview promptly"
    ),
    ("upi", "total_20_24"): _l("UPI total between 20 and 24: class 2, monitor"),
    ("upi", "key_items"): _l(
        "UPI key items (8 misfortune in the past or family, 16 frequent insomnia, "
        "26 no interest in anything) answered yes: class 2, monitor"
    ),
    ("upi", "auxiliary_1"): _l("Exactly one UPI auxiliary item answered yes: class 2, monitor"),
    ("upi", "counselling_request"): _l(
        "UPI item 64: the student wrote a question for counselling; judge whether it is a "
        "genuine request (class 1 if so)"
    ),
    ("upi", "lie_items_all_yes"): _l(
        "UPI lie items 5, 20, 35 and 50 all answered yes: the response may be invalid"
    ),
}


def reader_lang(locale: str) -> str:
    """The definition language code for a UI locale ('zh_Hans' -> 'zh-Hans')."""
    return "zh-Hans" if locale.lower().startswith("zh") else "en"


def instrument_name(instrument: Instrument | None, instrument_id: str, locale: str) -> str:
    """The instrument's display name in the reader's language, never its internal id."""
    lang = reader_lang(locale)
    if instrument is not None and lang in instrument.title:
        return instrument.title[lang]
    if instrument_id in INSTRUMENT_NAMES:
        return str(INSTRUMENT_NAMES[instrument_id])
    if instrument is not None and instrument.title:
        return next(iter(instrument.title.values()))
    return str(_("Questionnaire"))


def band_label(instrument: Instrument | None, band: Any, locale: str) -> str:
    """A band (or per-subscale bands) in the reader's language."""
    if band is None or band == "":
        return "—"
    if isinstance(band, Mapping):
        parts = [band_label(instrument, b, locale) for b in band.values() if b]
        return "；".join(parts) if parts else "—"
    lang = reader_lang(locale)
    label: Mapping[str, str] = {}
    if instrument is not None:
        try:
            label = instrument.band(str(band)).label
        except KeyError:
            label = {}
    if lang in label:
        return label[lang]
    key = (instrument.id if instrument else "", str(band))
    if key in BAND_LABELS:
        return str(BAND_LABELS[key])
    return next(iter(label.values()), _("Other band"))


#: Counselor-side readings of answer options a definition has only in English. Students never
#: see these (they answer in a validated wording); the counselor reads what was chosen.
OPTION_GLOSSES: Mapping[str, Any] = {
    "Yes": _l("Yes (answer)"),
    "No": _l("No (answer)"),
    "Declined to answer": _l("Declined to answer"),
    "None of the time": _l("None of the time"),
    "A little of the time": _l("A little of the time"),
    "Some of the time": _l("Some of the time"),
    "Most of the time": _l("Most of the time"),
    "All of the time": _l("All of the time"),
    "Never": _l("Never"),
    "Seldom": _l("Seldom"),
    "Sometimes": _l("Sometimes"),
    "Often": _l("Often"),
    "Always": _l("Always"),
}


def glossed(labels: Mapping[str, str], locale: str) -> str | None:
    """An option's label in the reader's language, from the definition or a gloss."""
    lang = reader_lang(locale)
    if lang in labels:
        return labels[lang]
    english = labels.get("en", "")
    if lang != "en" and english in OPTION_GLOSSES:
        return str(OPTION_GLOSSES[english])
    return None


def answer_label(instrument: Instrument, item_id: str, value: Any, locale: str) -> str:
    """An answer as the counselor reads it: the option label in their language, or the text."""
    try:
        item = instrument.item(item_id)
    except KeyError:
        return str(value)
    options = instrument.options_for(item)
    if options is None:
        return str(value)
    option = options.option(value)
    if option is None:
        return str(value)
    lang = reader_lang(locale)
    return (
        glossed(option.label, locale)
        or option.label.get(pick_lang(instrument, lang))
        or next(iter(option.label.values()), str(value))
    )


def item_number(instrument: Instrument, item_id: str) -> int:
    """The item's place in the questionnaire, counted from 1."""
    for n, item in enumerate(instrument.items, start=1):
        if item.id == item_id:
            return n
    return 0


def rule_text(instrument: Instrument | None, fired: Mapping[str, Any], locale: str) -> str:
    """A fired rule in the reader's language, with the answers and scores that fired it."""
    key = (instrument.id if instrument else "", str(fired.get("rule_id", "")))
    base = str(RULE_TEXTS[key]) if key in RULE_TEXTS else _("A rule of this questionnaire fired")
    parts = []
    for name, value in (fired.get("values") or {}).items():
        if name == "total":
            parts.append(_("total %(value)s", value=value))
        elif instrument is not None and any(i.id == name for i in instrument.items):
            parts.append(
                _(
                    "item %(n)s answered “%(answer)s”",
                    n=item_number(instrument, name),
                    answer=answer_label(instrument, name, value, locale),
                )
            )
        else:
            parts.append(_("subscale score %(value)s", value=value))
    if not parts:
        return base
    return str(_("%(rule)s (%(evidence)s)", rule=base, evidence=_("; ").join(parts)))


#: The phrases of a queue row, translated once per page and filled in per row.
PHRASES: Mapping[str, Any] = {
    "min": _l("%(m)s min"),
    "h_min": _l("%(h)s h %(m)s min"),
    "days": _l("%(d)s days"),
    "overdue": _l("Overdue %(time)s"),
    "due_in": _l("due in %(time)s"),
    "case": _l("Case %(id)s"),
    "escalated": _l("Escalated (level %(n)s)"),
}


def phrases() -> dict[str, str]:
    """PHRASES in the reader's language, for `duration` and the queue rows."""
    return {key: str(text) for key, text in PHRASES.items()}


def duration(hours: float, said: Mapping[str, str] | None = None) -> str:
    """A time span as a counselor says it: minutes, hours and minutes, or days."""
    said = said or phrases()
    minutes = max(round(hours * 60), 0)
    if minutes < 60:
        return said["min"] % {"m": minutes}
    if minutes < 48 * 60:
        return said["h_min"] % {"h": minutes // 60, "m": minutes % 60}
    return said["days"] % {"d": minutes // (24 * 60)}


def score_chart(rows: list[Any], width: int = 320, height: int = 80) -> str:
    """Points of an inline SVG polyline of the totals over time ('' with fewer than two)."""
    totals = [r.total for r in rows if r.total is not None]
    if len(totals) < 2:
        return ""
    low, high = min(totals), max(totals)
    span = (high - low) or 1
    step = width / (len(totals) - 1)
    return " ".join(
        f"{n * step:.1f},{height - 8 - (t - low) / span * (height - 16):.1f}"
        for n, t in enumerate(totals)
    )
