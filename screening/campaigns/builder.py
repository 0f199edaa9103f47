"""The campaign builder's plan as the form carries it: instruments in order, chosen, stepped.

Plain Python, no JavaScript needed on the page: the order travels in a hidden field, the
up/down buttons submit the form and come back with the order changed, nothing saved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass
class Plan:
    """All available instruments in the order shown, which are chosen, and the stepping."""

    order: list[str]
    chosen: set[str] = field(default_factory=set)
    #: follow-up instrument → the earlier short screen it is asked after
    steps: dict[str, str] = field(default_factory=dict)

    @property
    def instruments(self) -> list[str]:
        """The chosen instruments in order, as students answer them."""
        return [i for i in self.order if i in self.chosen]

    @property
    def chosen_steps(self) -> dict[str, str]:
        """Stepping between chosen instruments only."""
        return {t: s for t, s in self.steps.items() if t in self.chosen}


def from_form(
    get: Callable[[str], str | None], get_list: Callable[[str], list[str]], available: Sequence[str]
) -> Plan:
    """Read the builder's fields; unknown ids are dropped, missing ones appended."""
    known = list(available)
    sent = [i for i in (get("order") or "").split(",") if i in known]
    order = list(dict.fromkeys(sent)) + [i for i in known if i not in sent]
    chosen = {i for i in get_list("use") if i in known}
    steps = {}
    for target in known:
        trigger = get(f"step_{target}") or ""
        if trigger in known and trigger != target:
            steps[target] = trigger
    plan = Plan(order, chosen, steps)
    move = get("move") or ""
    direction, _sep, which = move.partition(":")
    if which in order and direction in ("up", "down"):
        plan.order = moved(order, which, -1 if direction == "up" else 1)
    return plan


def moved(order: list[str], instrument_id: str, by: int) -> list[str]:
    """The order with one instrument moved one place up (-1) or down (+1)."""
    result = list(order)
    n = result.index(instrument_id)
    m = n + by
    if 0 <= m < len(result):
        result[n], result[m] = result[m], result[n]
    return result


def from_campaign(steps: Sequence[tuple[str, str | None]], available: Sequence[str]) -> Plan:
    """A saved campaign's plan: its instruments first, in order, then the others."""
    ids = [i for i, _ in steps]
    order = ids + [i for i in available if i not in ids]
    return Plan(order, set(ids), {i: t for i, t in steps if t})
