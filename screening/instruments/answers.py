"""Check and normalise a respondent's answers; shared by web forms, the CLI and imports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .conditions import evaluate
from .model import Instrument, Item, OptionSet, Value

MAX_TEXT = 4000
MESSAGES = {
    "required": "This question is required.",
    "invalid_choice": "Choose one of the offered answers.",
    "invalid_text": "Enter text.",
    "too_long": f"Keep the answer under {MAX_TEXT} characters.",
    "not_applicable": "This question does not apply, given the earlier answers.",
    "unknown_item": "This questionnaire has no such question.",
    "too_few_answers": "Too few questions are answered to give any score: answer at least {n}"
    " of the questions of this part.",
}


@dataclass(frozen=True)
class AnswerProblem:
    """Why one answer is unacceptable: a stable code and an English message."""

    code: str
    message: str


class AnswerError(ValueError):
    """Raised by scoring when answers are not acceptable; carries the problems per item."""

    def __init__(self, problems: Mapping[str, AnswerProblem]) -> None:
        """Keep the per-item problems for the caller."""
        self.problems = dict(problems)
        super().__init__("; ".join(f"{k}: {v.code}" for k, v in sorted(self.problems.items())))


def is_blank(raw: object) -> bool:
    """Web forms send '' or nothing for an unanswered question."""
    return raw is None or (isinstance(raw, str) and not raw.strip())


def coerce_choice(option_set: OptionSet, raw: object) -> Value | None:
    """Map a submitted answer (int, float or its string form) to the option's value, or None."""
    if isinstance(raw, bool):
        return None
    for value in option_set.values:
        if isinstance(raw, str):
            if raw.strip() == str(value):
                return value
        elif isinstance(raw, int | float) and not isinstance(value, str) and raw == value:
            return value
    return None


def _condition_met(item: Item, answers: Mapping[str, Value]) -> bool:
    """Whether a conditional item applies, given the answers so far."""
    return item.condition is None or evaluate(item.condition, answers)[0]


@dataclass(frozen=True)
class CheckedAnswers:
    """Answers checked once against one definition version: what `score` accepts as is."""

    instrument_id: str
    version: int
    digest: str
    values: Mapping[str, Value]

    def matches(self, instrument: Instrument) -> bool:
        """Whether these answers were checked against exactly this definition."""
        return (self.instrument_id, self.version, self.digest) == (
            instrument.id,
            instrument.version,
            instrument.digest,
        )


@dataclass(frozen=True)
class ResponseCheck:
    """A submitted page checked once: the checked answers, or the problems per item.

    `given` holds the answers as posted to the questions the page shows, blanks dropped, so a
    refused page is kept as a draft exactly as the student left it.
    """

    answers: CheckedAnswers | None
    problems: Mapping[str, AnswerProblem]
    given: Mapping[str, Any]


def _check(
    instrument: Instrument, answers: Mapping[str, Any], *, drop_hidden: bool
) -> tuple[dict[str, Value], dict[str, AnswerProblem], dict[str, Any]]:
    """One pass over the items: clean values, problems and the raw answers kept.

    Conditions refer only to earlier items (the definition check enforces it), so evaluating
    each one against the clean answers so far is the same as against all of them.
    """
    problems: dict[str, AnswerProblem] = {}
    known = {i.id for i in instrument.items}
    if not drop_hidden:
        for key in answers:
            if key not in known:
                problems[str(key)] = AnswerProblem("unknown_item", MESSAGES["unknown_item"])
    clean: dict[str, Value] = {}
    kept: dict[str, Any] = {}
    for item in instrument.items:
        raw = answers.get(item.id)
        applies = _condition_met(item, clean)
        if is_blank(raw):
            if applies and item.required:
                problems[item.id] = AnswerProblem("required", MESSAGES["required"])
            continue
        if not applies:
            if not drop_hidden:
                problems[item.id] = AnswerProblem("not_applicable", MESSAGES["not_applicable"])
            continue
        kept[item.id] = raw
        option_set = instrument.options_for(item)
        if option_set is None:
            if not isinstance(raw, str):
                problems[item.id] = AnswerProblem("invalid_text", MESSAGES["invalid_text"])
            elif len(raw) > MAX_TEXT:
                problems[item.id] = AnswerProblem("too_long", MESSAGES["too_long"])
            else:
                clean[item.id] = raw.strip()
            continue
        value = coerce_choice(option_set, raw)
        if value is None:
            problems[item.id] = AnswerProblem("invalid_choice", MESSAGES["invalid_choice"])
        else:
            clean[item.id] = value
    if not problems:
        problems.update(_unscorable(instrument, clean))
    return clean, problems, kept


def _unscorable(instrument: Instrument, clean: Mapping[str, Value]) -> dict[str, AnswerProblem]:
    """A response from which no score at all can be computed is refused (e.g. a blank CBI-S).

    Mean scales publish how many answers they need (CBI: 3 personal, 4 studies-related); a
    scale short of that is a non-responder, and when every scale is, nothing could be reported.
    The problem is put on the first unanswered item of each scale that is short.
    """
    scoring = instrument.scoring
    if scoring.method != "mean":
        return {}
    targets = [("total", scoring.items, scoring.min_answered)] if scoring.has_total else []
    targets += [(s.id, s.items, s.min_answered) for s in scoring.subscales]
    short: dict[str, AnswerProblem] = {}
    for _target, items, floor in targets:
        need = max(floor or len(items), 1)
        answered = [i for i in items if i in clean and not isinstance(clean[i], str)]
        if len(answered) >= need:
            return {}
        first = next((i for i in items if i not in clean), items[0])
        message = MESSAGES["too_few_answers"].format(n=need)
        short[first] = AnswerProblem("too_few_answers", message)
    return short


def check_answers(
    instrument: Instrument, answers: Mapping[str, Any]
) -> tuple[dict[str, Value], dict[str, AnswerProblem]]:
    """Return the clean answers of applicable items and the problems per item id."""
    clean, problems, _kept = _check(instrument, answers, drop_hidden=False)
    return clean, problems


def check_response(instrument: Instrument, answers: Mapping[str, Any]) -> ResponseCheck:
    """Check a posted page once, as the page shows it: answers to questions it hides (their
    condition unmet; forms show every item without JavaScript) and unknown keys are dropped."""
    clean, problems, kept = _check(instrument, answers, drop_hidden=True)
    checked = None
    if not problems:
        checked = CheckedAnswers(instrument.id, instrument.version, instrument.digest, clean)
    return ResponseCheck(checked, problems, kept)


def answer_errors(
    instrument: Instrument, answers: Mapping[str, Any], *, context: Mapping[str, Any] | None = None
) -> dict[str, AnswerProblem]:
    """Problems per item id with stable codes (required, invalid_choice, not_applicable...)."""
    del context  # accepted for a uniform signature; no check depends on it yet
    return check_answers(instrument, answers)[1]


def validate_answers(
    instrument: Instrument, answers: Mapping[str, Any], *, context: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """Messages per item id for every unacceptable answer; empty when all is well."""
    return {k: v.message for k, v in answer_errors(instrument, answers, context=context).items()}


def visible_items(instrument: Instrument, answers: Mapping[str, Any]) -> list[Item]:
    """Items to show given the answers so far; conditional ones only once their condition holds."""
    clean = check_answers(instrument, answers)[0]
    return [item for item in instrument.items if _condition_met(item, clean)]
