"""Semantic checks of a built definition: ids, references, translations, bands and rules."""

from __future__ import annotations

import itertools
import re
import string
from collections import Counter
from fractions import Fraction

from .model import (
    PROVENANCE_STATUSES,
    TIERS,
    Instrument,
)
from .problems import Collector
from .ranges import achievable, band_targets, score_range
from .validate_tests import check_test

#: Instrument ids name folders, URLs and (with "_" as ".") FHIR ids of at most 64 characters.
INSTRUMENT_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,49}")
#: Item ids are form field names and FHIR linkIds; exports add "score.*" ids that never clash.
LOINC_ANSWER = re.compile(r"LA\d{1,8}-\d")
ITEM_ID = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")


def _langs(
    out: Collector, path: str, texts: dict[str, str], wanted: tuple[str, ...], what: str
) -> None:
    """Report missing translations for declared languages and undeclared language keys."""
    have = set(texts)
    for lang in wanted:
        if lang not in have or not str(texts[lang]).strip():
            out.add(path, f"{what} has no text for declared language '{lang}'")
    for lang in sorted(have - set(wanted)):
        out.add(path, f"{what} has text for undeclared language '{lang}'")


def _dupes(out: Collector, path: str, ids: list[str], what: str) -> None:
    """Report ids that occur more than once."""
    for value, n in Counter(ids).items():
        if n > 1:
            out.add(path, f"duplicate {what} '{value}'")


def _check_items(inst: Instrument, out: Collector) -> None:
    """Items: unique ids, option sets, roles, languages, translations and conditions."""
    _dupes(out, "items", [i.id for i in inst.items], "item id")
    earlier: list[str] = []
    for n, item in enumerate(inst.items):
        path = f"items[{n}]"
        for lang in item.languages:
            if lang not in inst.languages:
                out.add(f"{path}.languages", f"language '{lang}' is not declared")
        _langs(out, f"{path}.text", dict(item.text), item.languages, "item text")
        if item.required and set(item.languages) != set(inst.languages):
            out.add(f"{path}.required", "an item missing in some languages cannot be required")
        if item.type not in ("choice", "text"):
            out.add(f"{path}.type", f"unknown item type '{item.type}'")
        if item.type == "choice" and item.option_set not in inst.option_sets:
            out.add(f"{path}.options", f"unknown option set '{item.option_set}'")
        if item.type == "text" and (item.option_set or item.reverse or item.scored):
            out.add(path, "a text item has no options, reverse flag or score (set scored = false)")
        if item.role not in (None, "lie", "auxiliary"):
            out.add(f"{path}.role", f"unknown role '{item.role}'")
        if item.role and item.scored:
            out.add(f"{path}.role", f"a {item.role} item must set scored = false")
        option_set = inst.option_sets.get(item.option_set or "")
        if item.reverse and (option_set is None or len(option_set.numeric_values) < 2):
            out.add(f"{path}.reverse", "a reverse item needs a numeric option set")
        for lang, status in item.provenance.items():
            if lang not in inst.languages or status not in PROVENANCE_STATUSES:
                out.add(f"{path}.provenance", f"bad provenance {lang} = '{status}'")
        if item.condition is not None:
            check_test(
                inst,
                item.condition,
                f"{path}.condition",
                out,
                items=earlier,
                scores=False,
                bands=False,
            )
        earlier.append(item.id)


def _check_option_sets(inst: Instrument, out: Collector) -> None:
    """Option sets: unique values and labels in every language of the items using them."""
    for key, option_set in inst.option_sets.items():
        users = [i for i in inst.items if i.option_set == key]
        wanted = tuple(lang for lang in inst.languages if any(lang in i.languages for i in users))
        values = [repr(v) for v in option_set.values]
        _dupes(out, f"option_sets.{key}.options", values, "option value")
        if not option_set.options:
            out.add(f"option_sets.{key}.options", "an option set needs options")
        for n, opt in enumerate(option_set.options):
            _langs(out, f"option_sets.{key}.options[{n}].label", dict(opt.label), wanted, "label")
            if opt.loinc is not None and not LOINC_ANSWER.fullmatch(opt.loinc):
                out.add(f"option_sets.{key}.options[{n}].loinc", f"'{opt.loinc}' is no LA code")
        codes = [o.loinc for o in option_set.options if o.loinc]
        _dupes(out, f"option_sets.{key}.options", codes, "LOINC answer code")


def _check_scoring(inst: Instrument, out: Collector) -> None:
    """Scoring: method, item lists, subscales, minimum-answered rule and band source."""
    sc = inst.scoring
    if sc.method not in ("sum", "mean", "rules"):
        out.add("scoring.method", f"unknown method '{sc.method}'")
        return
    if sc.band_by not in ("range", "rules") or (sc.method == "rules" and sc.band_by != "rules"):
        out.add("scoring.band_by", f"bad band_by '{sc.band_by}' for method '{sc.method}'")
    if sc.band_target not in ("total", "subscales"):
        out.add("scoring.band_target", f"unknown band_target '{sc.band_target}'")
    elif sc.band_target == "subscales" and not sc.subscales:
        out.add("scoring.band_target", "band_target 'subscales' needs subscales")
    elif sc.band_target == "total" and not sc.has_total and sc.band_by == "range" and inst.bands:
        out.add("scoring.band_target", "bands on the total need a total")
    if sc.method == "rules" and (sc.has_total or sc.subscales):
        out.add("scoring.method", "rule-based scoring has no total or subscales")
    lists = [("scoring.items", sc.items, sc.min_answered)] + [
        (f"scoring.subscales.{s.id}.items", s.items, s.min_answered) for s in sc.subscales
    ]
    for path, ids, floor in lists:
        if sc.method == "rules":
            break
        if not ids and path == "scoring.items" and sc.has_total:
            out.add(path, "no scored items")
        for item_id in ids:
            known = {i.id: i for i in inst.items}
            item = known.get(item_id)
            if item is None:
                out.add(path, f"unknown item '{item_id}'")
            elif not item.scored or item.type != "choice":
                out.add(path, f"item '{item_id}' is not a scored choice item")
            elif item.option_set is None or item.option_set not in inst.option_sets:
                continue  # reported with the item
            elif not inst.option_sets[item.option_set].numeric_values:
                out.add(path, f"item '{item_id}' has no numeric options")
            elif sc.method == "sum" and (not item.required or item.condition is not None):
                out.add(path, f"summed item '{item_id}' must be required and unconditional")
        if floor is not None and not 1 <= floor <= len(ids):
            out.add(path.rsplit(".", 1)[0] + ".min_answered", f"min_answered {floor} impossible")
        if floor is not None and sc.method != "mean":
            out.add(path.rsplit(".", 1)[0] + ".min_answered", "min_answered needs method 'mean'")
    for s in sc.subscales:
        _langs(out, f"scoring.subscales.{s.id}.label", dict(s.label), inst.languages, "label")


def _check_bands(inst: Instrument, out: Collector) -> None:
    """Bands: only on validated instruments, tiers, labels, and a partition of each range."""
    if not inst.validated:
        if inst.bands:
            out.add("bands", "a non-validated instrument may not declare bands")
        if inst.thresholds:
            out.add("thresholds", "a non-validated instrument may not declare thresholds")
        return
    by_rules = inst.scoring.band_by == "rules"
    _dupes(
        out,
        "bands",
        [f"{b.id}" + "".join(f" [{k}={v}]" for k, v in b.context.items()) for b in inst.bands],
        "band",
    )
    for n, b in enumerate(inst.bands):
        path = f"bands[{n}]"
        if b.tier not in TIERS:
            out.add(f"{path}.tier", f"unknown tier '{b.tier}'")
        _langs(out, f"{path}.label", dict(b.label), inst.languages, "band label")
        _check_selector(inst, dict(b.context), f"{path}.context", out)
        if by_rules and (b.min is not None or b.max is not None):
            out.add(path, "rule-assigned bands take no min/max")
        if not by_rules and (b.min is None or b.max is None):
            out.add(path, "a score band needs min and max")
        elif not by_rules and b.min > b.max:  # type: ignore[operator]
            out.add(path, f"min {b.min} is above max {b.max}")
    if by_rules or not inst.bands or any(b.min is None or b.max is None for b in inst.bands):
        return
    contexts: list[tuple[dict[str, str], str]] = [({}, "")]
    if any(b.context for b in inst.bands):
        contexts = [
            ({key: v}, f" when {key} = {v}") for key, c in inst.contexts.items() for v in c.values
        ]
    for target in band_targets(inst):
        values = achievable(inst, target)
        rng = score_range(inst, target)
        for ctx, note in contexts:
            applicable = [
                (n, b)
                for n, b in enumerate(inst.bands)
                if all(ctx.get(k) == v for k, v in b.context.items())
            ]
            ordered = sorted(applicable, key=lambda nb: Fraction(nb[1].min))  # type: ignore[arg-type]
            for (_, a), (m, b) in itertools.pairwise(ordered):
                if Fraction(b.min) <= Fraction(a.max):  # type: ignore[arg-type]
                    out.add(f"bands[{m}]", f"band '{b.id}' overlaps band '{a.id}'{note}")
            for v in sorted(values):
                if not any(Fraction(b.min) <= v <= Fraction(b.max) for _, b in applicable):  # type: ignore[arg-type]
                    out.add("bands", f"gap: {target} score {float(v):g} is in no band{note}")
                    break
            if (
                rng
                and ordered
                and (
                    Fraction(ordered[0][1].min) > rng[0] or Fraction(ordered[-1][1].max) < rng[1]  # type: ignore[arg-type]
                )
            ):
                out.add(
                    "bands",
                    f"bands do not cover the {target} range {float(rng[0]):g}"
                    f"-{float(rng[1]):g}{note}",
                )


def _check_selector(inst: Instrument, selector: dict[str, str], path: str, out: Collector) -> None:
    """A context selector must name a declared context and one of its values."""
    for key, value in selector.items():
        ctx = inst.contexts.get(key)
        if ctx is None:
            out.add(path, f"unknown context '{key}'")
        elif value not in ctx.values:
            out.add(path, f"context '{key}' has no value '{value}'")


def _check_rules(inst: Instrument, out: Collector) -> None:
    """Rules and thresholds: unique ids, tiers, critical = crisis, bands and tests."""
    all_items = [i.id for i in inst.items]
    _dupes(out, "rules", [r.id for r in inst.rules], "rule id")
    _dupes(
        out,
        "thresholds",
        [t.id + "".join(f" [{k}={v}]" for k, v in t.context.items()) for t in inst.thresholds],
        "threshold",
    )
    names = set(all_items) | {"total", "evidence"} | {s.id for s in inst.scoring.subscales}
    for n, r in enumerate(inst.rules):
        path = f"rules[{n}]"
        if r.tier not in TIERS:
            out.add(f"{path}.tier", f"unknown tier '{r.tier}'")
        if r.critical and r.tier != "crisis":
            out.add(f"{path}.tier", "a critical rule must have tier 'crisis'")
        if r.band is not None:
            if inst.scoring.band_by != "rules":
                out.add(f"{path}.band", "rules may assign bands only when band_by = 'rules'")
            elif r.band not in {b.id for b in inst.bands}:
                out.add(f"{path}.band", f"unknown band '{r.band}'")
        for _, field, _, _ in string.Formatter().parse(r.description):
            if field is not None and field not in names:
                out.add(f"{path}.description", f"unknown placeholder '{{{field}}}'")
        check_test(inst, r.when, f"{path}.when", out, items=all_items, scores=True, bands=False)
    for n, t in enumerate(inst.thresholds):
        path = f"thresholds[{n}]"
        _check_selector(inst, dict(t.context), f"{path}.context", out)
        check_test(inst, t.when, f"{path}.when", out, items=all_items, scores=True, bands=True)


def check_instrument(
    inst: Instrument, out: Collector, *, expected_id: str, expected_version: str
) -> None:
    """Run every semantic check, adding all problems found to the collector."""
    if inst.id != expected_id:
        out.add("id", f"id '{inst.id}' does not match the folder name '{expected_id}'")
    if not INSTRUMENT_ID.fullmatch(inst.id):
        out.add("id", f"id '{inst.id}' must be 1-50 of a-z, 0-9, '_' and '-', starting a-z/0-9")
    for n, item in enumerate(inst.items):
        if not ITEM_ID.fullmatch(item.id):
            out.add(
                f"items[{n}].id",
                f"item id '{item.id}' must be a letter, then letters, digits or '_'",
            )
    if str(inst.version) != expected_version:
        out.add("version", f"version {inst.version} does not match the file name")
    if inst.version < 1:
        out.add("version", "version must be 1 or more")
    if not inst.languages:
        out.add("languages", "declare at least one language")
    _dupes(out, "languages", list(inst.languages), "language")
    _langs(out, "title", dict(inst.title), inst.languages, "title")
    _langs(out, "instructions", dict(inst.instructions), inst.languages, "instructions")
    for lang in inst.languages:
        if inst.provenance.get(lang) not in PROVENANCE_STATUSES:
            out.add("provenance", f"provenance for '{lang}' must be one of {PROVENANCE_STATUSES}")
    for key in inst.provenance:
        if key not in inst.languages:
            out.add("provenance", f"provenance for undeclared language '{key}'")
    for key, ctx in inst.contexts.items():
        if ctx.default not in ctx.values:
            out.add(f"context.{key}.default", f"default '{ctx.default}' is not a listed value")
    for item_id in inst.loinc.items:
        if item_id not in {i.id for i in inst.items}:
            out.add("loinc.items", f"unknown item '{item_id}'")
    _check_option_sets(inst, out)
    _check_items(inst, out)
    _check_scoring(inst, out)
    for check, where in ((_check_bands, "bands"), (_check_rules, "rules")):
        try:
            check(inst, out)
        except (KeyError, TypeError, ValueError, AttributeError, ZeroDivisionError):
            out.add(where, f"{where} could not be checked until the problems above are fixed")
