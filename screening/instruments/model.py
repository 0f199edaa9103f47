"""Frozen data model of a questionnaire definition, built only from validated definition files."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

Value = int | float | str
Tier = Literal["crisis", "high", "moderate", "none"]
TIERS: tuple[str, ...] = ("none", "moderate", "high", "crisis")
PROVENANCE_STATUSES: tuple[str, ...] = ("verified", "secondary", "unverified", "gloss", "local")


def frozen_map(data: Mapping[Any, Any] | None = None) -> Mapping[Any, Any]:
    """Wrap a mapping read-only so frozen dataclasses stay immutable in practice."""
    return MappingProxyType(dict(data or {}))


def tier_rank(tier: str) -> int:
    """Order alert tiers so the most urgent one can be picked with max()."""
    return TIERS.index(tier)


@dataclass(frozen=True)
class ItemTest:
    """Compare one item's answer with a value (unanswered never matches)."""

    item: str
    op: str
    value: Value | tuple[Value, ...] | None = None


@dataclass(frozen=True)
class ScoreTest:
    """Compare the total or a subscale score with a number (a missing score never matches)."""

    score: str
    op: str
    value: float


@dataclass(frozen=True)
class CountTest:
    """Compare how many of the listed items have an answer among `matching` with a number."""

    items: tuple[str, ...]
    matching: tuple[Value, ...]
    op: str
    value: int


@dataclass(frozen=True)
class AnyTest:
    """True when at least one nested test is true."""

    tests: tuple[Test, ...]


@dataclass(frozen=True)
class AllTest:
    """True when every nested test is true."""

    tests: tuple[Test, ...]


@dataclass(frozen=True)
class BandTest:
    """True when the classified band is one of the listed band ids (thresholds only)."""

    bands: tuple[str, ...]


Test = ItemTest | ScoreTest | CountTest | AnyTest | AllTest | BandTest


@dataclass(frozen=True)
class Option:
    """One answer choice: the stored value and its label per language."""

    value: Value
    label: Mapping[str, str]
    #: LOINC answer code (LA...), only where verified for this instrument's answer list.
    loinc: str | None = None


@dataclass(frozen=True)
class OptionSet:
    """A named list of answer choices shared by items."""

    id: str
    options: tuple[Option, ...]

    @property
    def values(self) -> tuple[Value, ...]:
        """The option values in their published order."""
        return tuple(o.value for o in self.options)

    @property
    def numeric_values(self) -> tuple[float, ...]:
        """The numeric option values (string codes such as 'refused' are left out)."""
        return tuple(v for v in self.values if not isinstance(v, str))

    def option(self, value: Value) -> Option | None:
        """The option holding exactly this value, if any."""
        for o in self.options:
            if o.value == value and type(o.value) is type(value):
                return o
        return None


@dataclass(frozen=True)
class Item:
    """One question: wording per language, answer set and scoring role."""

    id: str
    text: Mapping[str, str]
    type: Literal["choice", "text"] = "choice"
    option_set: str | None = None
    reverse: bool = False
    scored: bool = True
    required: bool = True
    role: str | None = None
    condition: Test | None = None
    languages: tuple[str, ...] = ()
    gloss: str | None = None
    provenance: Mapping[str, str] = field(default_factory=frozen_map)


@dataclass(frozen=True)
class Subscale:
    """A named group of items scored on its own (e.g. CBI personal burnout)."""

    id: str
    items: tuple[str, ...]
    label: Mapping[str, str]
    min_answered: int | None = None


@dataclass(frozen=True)
class Scoring:
    """How answers become numbers: method, multiplier, subscales and band source."""

    method: Literal["sum", "mean", "rules"]
    items: tuple[str, ...]
    multiplier: float = 1
    min_answered: int | None = None
    has_total: bool = True
    subscales: tuple[Subscale, ...] = ()
    band_by: Literal["range", "rules"] = "range"
    band_target: Literal["total", "subscales"] = "total"


@dataclass(frozen=True)
class Band:
    """A severity band: inclusive score range (or rule-assigned), label and alert tier."""

    id: str
    label: Mapping[str, str]
    tier: str
    min: float | None = None
    max: float | None = None
    context: Mapping[str, str] = field(default_factory=frozen_map)


@dataclass(frozen=True)
class Threshold:
    """A positive-screen cut-off, kept apart from the severity bands."""

    id: str
    description: str
    when: Test
    context: Mapping[str, str] = field(default_factory=frozen_map)


@dataclass(frozen=True)
class Rule:
    """A rule that fires on answers or scores: crisis items, classification, staff routing."""

    id: str
    description: str
    tier: str
    when: Test
    critical: bool = False
    band: str | None = None
    flag: str | None = None


@dataclass(frozen=True)
class ContextVar:
    """A fact about the respondent that changes cut-offs (e.g. sex for AUDIT-C)."""

    key: str
    values: tuple[str, ...]
    default: str
    description: str = ""


@dataclass(frozen=True)
class Licence:
    """Licence status, wording and where it was read."""

    status: str
    text: str
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Loinc:
    """LOINC codes where known: panel, total score and per item."""

    panel: str | None = None
    total: str | None = None
    items: Mapping[str, str] = field(default_factory=frozen_map)


@dataclass(frozen=True)
class Instrument:
    """One published version of a questionnaire, exactly as its definition file says."""

    id: str
    version: int
    title: Mapping[str, str]
    instructions: Mapping[str, str]
    languages: tuple[str, ...]
    items: tuple[Item, ...]
    option_sets: Mapping[str, OptionSet]
    scoring: Scoring
    bands: tuple[Band, ...]
    thresholds: tuple[Threshold, ...]
    rules: tuple[Rule, ...]
    contexts: Mapping[str, ContextVar]
    licence: Licence
    citation: str
    loinc: Loinc
    validated: bool
    enabled_by_default: bool
    provenance: Mapping[str, str]
    provenance_note: str
    digest: str
    source: str = ""
    #: A neutral title shown to students where the validated title reads as clinical; staff
    #: views and exports keep `title`. Optional, per language.
    display_title: Mapping[str, str] = field(default_factory=frozen_map)

    def item(self, item_id: str) -> Item:
        """The item with this id (KeyError when unknown)."""
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(item_id)

    def options_for(self, item: Item) -> OptionSet | None:
        """The option set an item answers from (None for text items)."""
        return self.option_sets[item.option_set] if item.option_set else None

    def band(self, band_id: str) -> Band:
        """The first band with this id (KeyError when unknown)."""
        for b in self.bands:
            if b.id == band_id:
                return b
        raise KeyError(band_id)
