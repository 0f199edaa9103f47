"""Structural checks of a raw definition: known keys, required keys and value types."""

from __future__ import annotations

from typing import Any

from .problems import Collector

# key -> (type name, required)
Spec = dict[str, tuple[str, bool]]

TOP: Spec = {
    "id": ("str", True),
    "version": ("int", True),
    "validated": ("bool", True),
    "enabled_by_default": ("bool", False),
    "languages": ("list[str]", True),
    "title": ("langmap", True),
    "display_title": ("langmap", False),
    "instructions": ("langmap", True),
    "provenance": ("strmap", True),
    "licence": ("table", True),
    "citation": ("str", True),
    "loinc": ("table", False),
    "context": ("table", False),
    "option_sets": ("table", True),
    "items": ("list[table]", True),
    "scoring": ("table", True),
    "bands": ("list[table]", False),
    "thresholds": ("list[table]", False),
    "rules": ("list[table]", False),
}
LICENCE: Spec = {"status": ("str", True), "text": ("str", True), "sources": ("list[str]", False)}
LOINC: Spec = {"panel": ("str", False), "total": ("str", False), "items": ("strmap", False)}
CONTEXT: Spec = {
    "values": ("list[str]", True),
    "default": ("str", True),
    "description": ("str", False),
}
OPTION_SET: Spec = {"options": ("list[table]", True)}
OPTION: Spec = {"value": ("value", True), "label": ("langmap", True), "loinc": ("str", False)}
ITEM: Spec = {
    "id": ("str", True),
    "text": ("langmap", True),
    "type": ("str", False),
    "options": ("str", False),
    "reverse": ("bool", False),
    "scored": ("bool", False),
    "required": ("bool", False),
    "role": ("str", False),
    "condition": ("test", False),
    "languages": ("list[str]", False),
    "gloss": ("str", False),
    "provenance": ("strmap", False),
}
SCORING: Spec = {
    "method": ("str", True),
    "items": ("list[str]", False),
    "multiplier": ("num", False),
    "min_answered": ("int", False),
    "total": ("bool", False),
    "band_by": ("str", False),
    "band_target": ("str", False),
    "subscales": ("table", False),
}
SUBSCALE: Spec = {
    "items": ("list[str]", True),
    "label": ("langmap", True),
    "min_answered": ("int", False),
}
BAND: Spec = {
    "id": ("str", True),
    "label": ("langmap", True),
    "tier": ("str", True),
    "min": ("num", False),
    "max": ("num", False),
    "context": ("strmap", False),
}
THRESHOLD: Spec = {
    "id": ("str", True),
    "description": ("str", True),
    "when": ("test", True),
    "context": ("strmap", False),
}
RULE: Spec = {
    "id": ("str", True),
    "description": ("str", True),
    "tier": ("str", True),
    "when": ("test", True),
    "critical": ("bool", False),
    "band": ("str", False),
    "flag": ("str", False),
}
TEST_KINDS: dict[str, Spec] = {
    "item": {"item": ("str", True), "op": ("str", True), "value": ("value|list", False)},
    "score": {"score": ("str", True), "op": ("str", True), "value": ("num", True)},
    "count": {
        "count": ("list[str]", True),
        "matching": ("list[value]", True),
        "op": ("str", True),
        "value": ("int", True),
    },
    "any": {"any": ("list[test]", True)},
    "all": {"all": ("list[test]", True)},
    "band_in": {"band_in": ("list[str]", True)},
}


def _is_value(v: Any) -> bool:
    """Option values are numbers or short string codes, never booleans."""
    return isinstance(v, int | float | str) and not isinstance(v, bool)


def type_ok(kind: str, v: Any) -> bool:
    """Whether a raw TOML value has the expected type."""
    if kind == "str":
        return isinstance(v, str)
    if kind == "int":
        return isinstance(v, int) and not isinstance(v, bool)
    if kind == "num":
        return isinstance(v, int | float) and not isinstance(v, bool)
    if kind == "bool":
        return isinstance(v, bool)
    if kind == "value":
        return _is_value(v)
    if kind == "value|list":
        return _is_value(v) or (isinstance(v, list) and all(_is_value(x) for x in v))
    if kind == "list[str]":
        return isinstance(v, list) and all(isinstance(x, str) for x in v)
    if kind == "list[value]":
        return isinstance(v, list) and all(_is_value(x) for x in v)
    if kind in ("table", "test"):
        return isinstance(v, dict)
    if kind in ("list[table]", "list[test]"):
        return isinstance(v, list) and all(isinstance(x, dict) for x in v)
    if kind in ("langmap", "strmap"):
        return isinstance(v, dict) and all(isinstance(x, str) for x in v.values())
    raise ValueError(kind)


def check_table(data: dict[str, Any], spec: Spec, path: str, out: Collector) -> bool:
    """Report unknown keys, missing required keys and wrong types; True when all is well."""
    ok = True
    prefix = f"{path}." if path else ""
    for key in data:
        if key not in spec:
            out.add(f"{prefix}{key}", f"unknown key '{key}'")
            ok = False
    for key, (kind, required) in spec.items():
        if key not in data:
            if required:
                out.add(f"{prefix}{key}", f"missing required key '{key}'")
                ok = False
            continue
        if not type_ok(kind, data[key]):
            out.add(f"{prefix}{key}", f"wrong type: expected {kind}")
            ok = False
        elif kind == "test" and not check_test(data[key], f"{prefix}{key}", out):
            ok = False
        elif kind == "list[test]":
            for i, t in enumerate(data[key]):
                ok = check_test(t, f"{prefix}{key}[{i}]", out) and ok
    return ok


def check_test(data: dict[str, Any], path: str, out: Collector) -> bool:
    """Check a condition/rule test: exactly one kind key, then that kind's keys and types."""
    kinds = [k for k in TEST_KINDS if k in data]
    if len(kinds) != 1:
        out.add(path, f"a test needs exactly one of {', '.join(TEST_KINDS)}")
        return False
    return check_table(data, TEST_KINDS[kinds[0]], path, out)


def check_structure(raw: dict[str, Any], out: Collector) -> bool:
    """Check every section's keys and types; True when the model can be built safely."""
    ok = check_table(raw, TOP, "", out)
    sections: list[tuple[str, Spec, bool]] = [("licence", LICENCE, False), ("loinc", LOINC, False)]
    for name, spec, _ in sections:
        if isinstance(raw.get(name), dict):
            ok = check_table(raw[name], spec, name, out) and ok
    for name, spec in (("context", CONTEXT), ("option_sets", OPTION_SET)):
        table = raw.get(name)
        if not isinstance(table, dict):
            continue
        for key, sub in table.items():
            if not isinstance(sub, dict):
                out.add(f"{name}.{key}", "wrong type: expected table")
                ok = False
                continue
            ok = check_table(sub, spec, f"{name}.{key}", out) and ok
            if name == "option_sets" and type_ok("list[table]", sub.get("options")):
                for i, opt in enumerate(sub["options"]):
                    ok = check_table(opt, OPTION, f"{name}.{key}.options[{i}]", out) and ok
    scoring = raw.get("scoring")
    if isinstance(scoring, dict):
        ok = check_table(scoring, SCORING, "scoring", out) and ok
        subs = scoring.get("subscales")
        if isinstance(subs, dict):
            for key, sub in subs.items():
                if not isinstance(sub, dict):
                    out.add(f"scoring.subscales.{key}", "wrong type: expected table")
                    ok = False
                else:
                    ok = check_table(sub, SUBSCALE, f"scoring.subscales.{key}", out) and ok
    for name, spec in (
        ("items", ITEM),
        ("bands", BAND),
        ("thresholds", THRESHOLD),
        ("rules", RULE),
    ):
        entries = raw.get(name)
        if isinstance(entries, list) and type_ok("list[table]", entries):
            for i, entry in enumerate(entries):
                ok = check_table(entry, spec, f"{name}[{i}]", out) and ok
    return ok
