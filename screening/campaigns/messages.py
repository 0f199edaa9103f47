"""Campaign refusals in the admin's language: the services' reasons, matched and translated."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask_babel import gettext as _

_M = re.Match[str]
_TABLE: list[tuple[str, Callable[[_M], str]]] = [
    (r"Choose at least one instrument\.", lambda m: _("Choose at least one instrument.")),
    (r"An instrument appears twice\.", lambda m: _("An instrument appears twice.")),
    (r"Unknown instrument (\S+)\.", lambda m: _("Unknown instrument %(id)s.", id=m[1])),
    (
        r"(\S+) is not enabled: an admin must acknowledge its licence first\.",
        lambda m: _("%(id)s is not enabled: an admin must acknowledge its licence first.", id=m[1]),
    ),
    (
        r"Stepping (\S+) → (\S+) names an instrument not chosen\.",
        lambda m: _(
            "Stepping %(trigger)s → %(target)s names an instrument that is not chosen.",
            trigger=m[1],
            target=m[2],
        ),
    ),
    (
        r"(\S+) must come before (\S+) to step into it\.",
        lambda m: _(
            "%(trigger)s must come before %(target)s to step into it.", trigger=m[1], target=m[2]
        ),
    ),
    (
        r"(\S+) has no positive-screen cut-off, so (\S+) would never be asked\.",
        lambda m: _(
            "%(trigger)s has no positive-screen cut-off, so %(target)s would never be asked.",
            trigger=m[1],
            target=m[2],
        ),
    ),
    (
        r"(\S+) asks about suicide risk and would be skipped when (\S+) is negative\..*",
        lambda m: _(
            "%(target)s asks about suicide risk and would be skipped when %(trigger)s is "
            "negative. Add a suicide screen that every student answers (such as ASQ), or do not "
            "step into it.",
            target=m[1],
            trigger=m[2],
        ),
    ),
    (r"Give the campaign a name\.", lambda m: _("Give the campaign a name.")),
    (
        r"The campaign must close after it opens\.",
        lambda m: _("The campaign must close after it opens."),
    ),
    (
        r"Choose at least one faculty and one cohort\.",
        lambda m: _("Choose at least one faculty and one cohort."),
    ),
    (
        r"Reminder days must be whole numbers.*",
        lambda m: _("Reminder days must be whole numbers separated by commas, e.g. 3,7."),
    ),
    (
        r"This campaign has opened: .*",
        lambda m: _(
            "This campaign has opened: its plan can no longer change. Extend or close it instead."
        ),
    ),
    (r"This campaign has closed already\.", lambda m: _("This campaign has closed already.")),
    (
        r"The new closing time must be later than the current one\.",
        lambda m: _("The new closing time must be later than the current one."),
    ),
    (
        r"This campaign has not opened yet: .*",
        lambda m: _("This campaign has not opened yet: edit its dates instead."),
    ),
    (r"Write the notice in both languages\.", lambda m: _("Write the notice in both languages.")),
    (
        r"A notice may have at most (\d+) characters per language\.",
        lambda m: _("A notice may have at most %(n)s characters per language.", n=m[1]),
    ),
    (
        r"Only a version written here can be corrected.*",
        lambda m: _("Only a version written here can be corrected; save a new one."),
    ),
    (
        r"Version (\S+) is in use .*",
        lambda m: _(
            "Version %(v)s is in use by a campaign or a student's decision and can never "
            "change; save the text as a new version instead.",
            v=m[1],
        ),
    ),
]
_COMPILED = [(re.compile(p + "$"), f) for p, f in _TABLE]


def message(reason: str) -> str:
    """The reason in the admin's language (as given when it is new)."""
    for pattern, text in _COMPILED:
        match = pattern.match(reason)
        if match:
            return text(match)
    return reason
