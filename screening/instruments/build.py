"""Turn a structurally checked raw definition (parsed TOML) into the frozen model."""

from __future__ import annotations

from typing import Any

from .model import (
    AllTest,
    AnyTest,
    Band,
    BandTest,
    ContextVar,
    CountTest,
    Instrument,
    Item,
    ItemTest,
    Licence,
    Loinc,
    Option,
    OptionSet,
    Rule,
    ScoreTest,
    Scoring,
    Subscale,
    Test,
    Threshold,
    frozen_map,
)


def build_test(raw: dict[str, Any]) -> Test:
    """Build a test tree from its table form."""
    if "item" in raw:
        value = raw.get("value")
        return ItemTest(raw["item"], raw["op"], tuple(value) if isinstance(value, list) else value)
    if "score" in raw:
        return ScoreTest(raw["score"], raw["op"], raw["value"])
    if "count" in raw:
        return CountTest(tuple(raw["count"]), tuple(raw["matching"]), raw["op"], raw["value"])
    if "any" in raw:
        return AnyTest(tuple(build_test(t) for t in raw["any"]))
    if "all" in raw:
        return AllTest(tuple(build_test(t) for t in raw["all"]))
    return BandTest(tuple(raw["band_in"]))


def _item(raw: dict[str, Any], languages: tuple[str, ...]) -> Item:
    """Build one item; item-level languages default to the instrument's."""
    condition = raw.get("condition")
    return Item(
        id=raw["id"],
        text=frozen_map(raw["text"]),
        type=raw.get("type", "choice"),
        option_set=raw.get("options"),
        reverse=raw.get("reverse", False),
        scored=raw.get("scored", True),
        required=raw.get("required", True),
        role=raw.get("role"),
        condition=build_test(condition) if condition is not None else None,
        languages=tuple(raw.get("languages", languages)),
        gloss=raw.get("gloss"),
        provenance=frozen_map(raw.get("provenance")),
    )


def _scoring(raw: dict[str, Any], items: tuple[Item, ...]) -> Scoring:
    """Build the scoring section, defaulting the item list to every scored choice item."""
    method = raw["method"]
    default_items = tuple(i.id for i in items if i.scored and i.type == "choice")
    subscales = tuple(
        Subscale(
            id=key,
            items=tuple(sub["items"]),
            label=frozen_map(sub["label"]),
            min_answered=sub.get("min_answered"),
        )
        for key, sub in raw.get("subscales", {}).items()
    )
    return Scoring(
        method=method,
        items=tuple(raw.get("items", default_items)),
        multiplier=raw.get("multiplier", 1),
        min_answered=raw.get("min_answered"),
        has_total=raw.get("total", method != "rules"),
        subscales=subscales,
        band_by=raw.get("band_by", "rules" if method == "rules" else "range"),
        band_target=raw.get("band_target", "total"),
    )


def build_instrument(raw: dict[str, Any], digest: str, source: str) -> Instrument:
    """Build the frozen Instrument; the raw data must already have passed check_structure."""
    languages = tuple(raw["languages"])
    items = tuple(_item(r, languages) for r in raw["items"])
    option_sets = {
        key: OptionSet(
            key,
            tuple(
                Option(o["value"], frozen_map(o["label"]), o.get("loinc")) for o in sub["options"]
            ),
        )
        for key, sub in raw["option_sets"].items()
    }
    loinc = raw.get("loinc", {})
    provenance = dict(raw["provenance"])
    note = provenance.pop("note", "")
    return Instrument(
        id=raw["id"],
        version=raw["version"],
        title=frozen_map(raw["title"]),
        display_title=frozen_map(raw.get("display_title")),
        instructions=frozen_map(raw["instructions"]),
        languages=languages,
        items=items,
        option_sets=frozen_map(option_sets),
        scoring=_scoring(raw["scoring"], items),
        bands=tuple(
            Band(
                id=b["id"],
                label=frozen_map(b["label"]),
                tier=b["tier"],
                min=b.get("min"),
                max=b.get("max"),
                context=frozen_map(b.get("context")),
            )
            for b in raw.get("bands", [])
        ),
        thresholds=tuple(
            Threshold(
                t["id"], t["description"], build_test(t["when"]), frozen_map(t.get("context"))
            )
            for t in raw.get("thresholds", [])
        ),
        rules=tuple(
            Rule(
                id=r["id"],
                description=r["description"],
                tier=r["tier"],
                when=build_test(r["when"]),
                critical=r.get("critical", False),
                band=r.get("band"),
                flag=r.get("flag"),
            )
            for r in raw.get("rules", [])
        ),
        contexts=frozen_map(
            {
                k: ContextVar(k, tuple(c["values"]), c["default"], c.get("description", ""))
                for k, c in raw.get("context", {}).items()
            }
        ),
        licence=Licence(
            raw["licence"]["status"],
            raw["licence"]["text"],
            tuple(raw["licence"].get("sources", [])),
        ),
        citation=raw["citation"],
        loinc=Loinc(loinc.get("panel"), loinc.get("total"), frozen_map(loinc.get("items"))),
        validated=raw["validated"],
        enabled_by_default=raw.get("enabled_by_default", True),
        provenance=frozen_map(provenance),
        provenance_note=note,
        digest=digest,
        source=source,
    )
