"""Score answers exactly as each instrument's definition says: totals, bands, rules, alerts."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .answers import AnswerError, CheckedAnswers, check_answers
from .conditions import Evidence, evaluate
from .model import Band, Instrument, Value, frozen_map, tier_rank
from .ranges import band_targets, points, target_items

Number = int | float


@dataclass(frozen=True)
class Fired:
    """A rule that fired, described for a counsellor, with the values that made it fire."""

    rule_id: str
    description: str
    tier: str = "none"
    critical: bool = False
    values: Mapping[str, Value] = field(default_factory=frozen_map)

    def to_json(self) -> dict[str, Any]:
        """Plain dict for storage and APIs."""
        return {
            "rule_id": self.rule_id,
            "description": self.description,
            "tier": self.tier,
            "critical": self.critical,
            "values": dict(self.values),
        }


@dataclass(frozen=True)
class Score:
    """The outcome of scoring one response set against one instrument version."""

    instrument: str
    version: int
    total: Number | None
    raw_total: Number | None
    subscales: Mapping[str, Number | None]
    band: str | Mapping[str, str | None] | None
    positive_screen: bool
    critical: bool
    alert_level: str
    fired: tuple[Fired, ...] = ()
    thresholds_met: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    context: Mapping[str, str] = field(default_factory=frozen_map)

    def to_json(self) -> dict[str, Any]:
        """Plain dict for storage and APIs (keys stable across versions)."""
        band = dict(self.band) if isinstance(self.band, Mapping) else self.band
        return {
            "instrument": self.instrument,
            "version": self.version,
            "total": self.total,
            "raw_total": self.raw_total,
            "subscales": dict(self.subscales),
            "band": band,
            "positive_screen": self.positive_screen,
            "critical": self.critical,
            "alert_level": self.alert_level,
            "fired": [f.to_json() for f in self.fired],
            "thresholds_met": list(self.thresholds_met),
            "flags": list(self.flags),
            "context": dict(self.context),
        }


def _number(value: Fraction | None) -> Number | None:
    """Exact integers stay int; other values become float."""
    if value is None:
        return None
    return value.numerator if value.denominator == 1 else float(value)


def resolve_context(instrument: Instrument, context: Mapping[str, Any] | None) -> dict[str, str]:
    """Pick each declared context value, falling back to context['defaults'] then the file."""
    given = dict(context or {})
    defaults = given.get("defaults") or {}
    resolved: dict[str, str] = {}
    for key, var in instrument.contexts.items():
        value = given.get(key)
        if value not in var.values:
            fallback = defaults.get(key)
            value = fallback if fallback in var.values else var.default
        resolved[key] = str(value)
    return resolved


def _score_of(
    instrument: Instrument, answers: Mapping[str, Value], target: str
) -> tuple[Fraction | None, Fraction | None]:
    """Raw and multiplied score of the total or a subscale; None when too few answers."""
    scoring = instrument.scoring
    ids = target_items(instrument, target)
    earned = []
    for item_id in ids:
        if item_id in answers and not isinstance(answers[item_id], str):
            item = instrument.item(item_id)
            earned.append(points(instrument.options_for(item), item, answers[item_id]))  # type: ignore[arg-type]
    if scoring.method == "sum":
        raw = sum(earned, Fraction(0)) if len(earned) == len(ids) else None
    else:
        floor = next(
            (s.min_answered for s in scoring.subscales if s.id == target), scoring.min_answered
        )
        enough = len(earned) >= max(floor or len(ids), 1)
        raw = sum(earned, Fraction(0)) / len(earned) if enough else None
    return raw, (raw * Fraction(scoring.multiplier) if raw is not None else None)


def _applies(band_context: Mapping[str, str], context: Mapping[str, str]) -> bool:
    """A band or threshold applies when its context selector matches the resolved context."""
    return all(context.get(k) == v for k, v in band_context.items())


def matching_bands(
    instrument: Instrument, value: Number | Fraction, context: Mapping[str, str]
) -> list[Band]:
    """All score bands containing a value for this context (a valid definition gives one)."""
    exact = Fraction(value)
    return [
        b
        for b in instrument.bands
        if _applies(b.context, context)
        and b.min is not None
        and b.max is not None
        and Fraction(b.min) <= exact <= Fraction(b.max)
    ]


def _label(instrument: Instrument, item_id: str, value: Value) -> str:
    """Counsellor-facing rendering of one answer: 'Label' (value), English when available."""
    item = instrument.item(item_id)
    option_set = instrument.options_for(item)
    if option_set is None:
        text = str(value)
        return "'" + (text if len(text) <= 200 else text[:200] + "...") + "'"
    option = option_set.option(value)
    labels = option.label if option else {}
    lang = "en" if "en" in labels else next(iter(labels), "")
    return f"'{labels.get(lang, value)}' ({value})"


def _describe(
    instrument: Instrument,
    template: str,
    answers: Mapping[str, Value],
    scores: Mapping[str, Fraction | None],
    ev: Evidence,
) -> str:
    """Fill a rule description's {item}/{score}/{evidence} placeholders for a counsellor."""
    parts = [f"item {i} answered {_label(instrument, i, answers[i])}" for i in ev.items]
    parts += [f"{s} {_number(scores[s])}" for s in ev.scores]
    env: dict[str, str] = {"evidence": "; ".join(parts)}
    for item in instrument.items:
        env[item.id] = (
            _label(instrument, item.id, answers[item.id])
            if item.id in answers
            else "(not answered)"
        )
    for name, value in scores.items():
        env[name] = str(_number(value)) if value is not None else "(not scored)"
    has_fields = any(f is not None for _, f, _, _ in string.Formatter().parse(template))
    if has_fields:
        return template.format_map(env)
    return f"{template}: {env['evidence']}" if parts else template


def score(
    instrument: Instrument,
    answers: CheckedAnswers | Mapping[str, Any],
    *,
    context: Mapping[str, Any] | None = None,
) -> Score:
    """Score a complete, valid answer set; raises AnswerError when answers are unacceptable.

    Answers checked against this very definition (`check_response`) are scored as they are;
    anything else is checked first.
    """
    clean: Mapping[str, Value]
    if isinstance(answers, CheckedAnswers) and answers.matches(instrument):
        clean = answers.values
    else:
        plain = answers.values if isinstance(answers, CheckedAnswers) else answers
        clean, problems = check_answers(instrument, plain)
        if problems:
            raise AnswerError(problems)
    ctx = resolve_context(instrument, context)
    scoring = instrument.scoring
    scores: dict[str, Fraction | None] = {}
    raw_total: Fraction | None = None
    if scoring.has_total:
        raw_total, scores["total"] = _score_of(instrument, clean, "total")
    for sub in scoring.subscales:
        scores[sub.id] = _score_of(instrument, clean, sub.id)[1]

    fired: list[Fired] = []
    rule_bands: list[str] = []
    for rule in instrument.rules:
        ok, ev = evaluate(rule.when, clean, scores)
        if not ok:
            continue
        values: dict[str, Value] = {i: clean[i] for i in ev.items}
        values.update({s: _number(scores[s]) for s in ev.scores})  # type: ignore[misc]
        desc = _describe(instrument, rule.description, clean, scores, ev)
        fired.append(Fired(rule.id, desc, rule.tier, rule.critical, frozen_map(values)))
        if rule.band:
            rule_bands.append(rule.band)

    band: str | dict[str, str | None] | None = None
    tiers = [f.tier for f in fired]
    if instrument.validated and instrument.bands:
        if scoring.band_by == "rules":
            order = [b.id for b in instrument.bands]
            band = max(rule_bands, key=order.index) if rule_bands else order[0]
            tiers.append(instrument.band(band).tier)
        else:
            per_target: dict[str, str | None] = {}
            for target in band_targets(instrument):
                value = scores.get(target)
                if value is None:
                    per_target[target] = None
                    continue
                found = matching_bands(instrument, value, ctx)
                if len(found) != 1:
                    raise RuntimeError(
                        f"{instrument.id}: {target}={value} is in {len(found)} bands"
                    )
                per_target[target] = found[0].id
                tiers.append(found[0].tier)
            band = per_target.get("total") if scoring.band_target == "total" else per_target

    met = tuple(
        t.id
        for t in instrument.thresholds
        if _applies(t.context, ctx)
        and evaluate(t.when, clean, scores, band if isinstance(band, str) else None)[0]
    )
    return Score(
        instrument=instrument.id,
        version=instrument.version,
        total=_number(scores.get("total")),
        raw_total=_number(raw_total),
        subscales=frozen_map({s.id: _number(scores[s.id]) for s in scoring.subscales}),
        band=frozen_map(band) if isinstance(band, dict) else band,
        positive_screen=bool(met),
        critical=any(f.critical for f in fired),
        alert_level=max(tiers, key=tier_rank, default="none"),
        fired=tuple(fired),
        thresholds_met=met,
        flags=tuple(
            dict.fromkeys(
                r.flag for r in instrument.rules if r.flag and r.id in {f.rule_id for f in fired}
            )
        ),
        context=frozen_map(ctx),
    )
