"""What students read about a questionnaire before answering it: a neutral title, the time."""

from __future__ import annotations

import math

from flask_babel import lazy_gettext as _l

from screening.instruments import Instrument

#: Neutral titles for students where the validated title reads as clinical ("Patient Health
#: Questionnaire"). Presentation only: the definitions, staff views and exports keep theirs.
NEUTRAL_TITLES = {
    "phq2": _l("Two questions about your mood"),
    "phq9": _l("Mood over the last two weeks"),
    "gad2": _l("Two questions about worry"),
    "gad7": _l("Worry and tension over the last two weeks"),
    "asq": _l("A few questions about your safety"),
    "who5": _l("Your wellbeing over the last two weeks"),
    "k6": _l("How you have felt in the past 30 days"),
    "k10": _l("How you have felt in the past 30 days"),
    "cbi_s": _l("Study and tiredness"),
    "ucla3": _l("Feeling connected to others"),
    "upi": _l("Your life at university"),
}

#: Seconds a student takes for one item, read on a phone: an estimate, rounded up per page.
SECONDS_PER_ITEM = 10


def student_title(instrument: Instrument, lang: str) -> str:
    """The title a student reads: the definition's display title, the neutral one, or its own."""
    shown = instrument.display_title.get(lang)
    if shown:
        return shown
    if instrument.id in NEUTRAL_TITLES:
        return str(NEUTRAL_TITLES[instrument.id])
    return instrument.title.get(lang) or instrument.title.get(instrument.languages[0], "")


def minutes(item_count: int) -> int:
    """Estimated minutes to answer this many items (at least one)."""
    return max(1, math.ceil(item_count * SECONDS_PER_ITEM / 60))
