"""What people (not questionnaires) tell the centre: the fixed choices of a student's own request
for contact and of a concern report, with their labels, so the queue, the case page and the
forms that collect them use one vocabulary. Codes are stored; labels are shown."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

#: The kinds of case, as the register and the measures name them.
KIND_LABELS: Mapping[str, Any] = {
    "psych": _l("Questionnaire screening"),
    "academic": _l("Academic"),
    "self_referral": _l("Self-referral"),
    "concern": _l("Concern report"),
}

#: How urgent a student's own request feels, most urgent first (the first is always shown
#: with the crisis lines).
SELF_URGENCY: Mapping[str, Any] = {
    "now": _l("Now: I do not feel safe"),
    "soon": _l("Soon: within a day or two"),
    "week": _l("This week is fine"),
}
CONTACT_WAYS: Mapping[str, Any] = {
    "phone": _l("Phone call"),
    "email": _l("E-mail"),
    "in_person": _l("In person at the counselling centre"),
}
CONTACT_TIMES: Mapping[str, Any] = {
    "any": _l("Any time"),
    "morning": _l("Mornings"),
    "afternoon": _l("Afternoons"),
    "evening": _l("Evenings (until 21:00)"),
}

#: What a reporter observed; the first two always make the case a crisis.
SIGNS: Mapping[str, Any] = {
    "death_talk": _l("Talk of death or suicide"),
    "self_harm": _l("Self-harm"),
    "withdrawal": _l("Withdrawal from others"),
    "sudden_change": _l("Sudden change in mood or behaviour"),
    "missing_classes": _l("Missing classes"),
    "conflict": _l("Conflict with others"),
    "other": _l("Other"),
}
CRISIS_SIGNS = frozenset({"death_talk", "self_harm"})
CONCERN_URGENCY: Mapping[str, Any] = {
    "urgent": _l("Urgent: today"),
    "soon": _l("Within a few days"),
    "routine": _l("Not urgent"),
}

#: Tiers by urgency when the install configures none (REFERRAL_SELF_TIERS, REFERRAL_CONCERN_TIERS).
DEFAULT_SELF_TIERS = {"now": "crisis", "soon": "high", "week": "moderate"}
DEFAULT_CONCERN_TIERS = {"urgent": "crisis", "soon": "high", "routine": "moderate"}


def label(labels: Mapping[str, Any], code: str) -> str:
    """A code's label in the reader's language (the code itself when unknown)."""
    return str(labels[code]) if code in labels else code


def labels(labels_: Mapping[str, Any], codes: Iterable[str]) -> str:
    """Several codes' labels, in the vocabulary's order, joined for a short line."""
    wanted = set(codes)
    return str(_("; ").join(str(v) for k, v in labels_.items() if k in wanted))


def short_reason(detail: Mapping[str, Any]) -> str | None:
    """Why a case opened, in a few words, for a request or a report (None for other signals)."""
    signal = detail.get("signal")
    if signal == "self_referral":
        parts = [
            str(KIND_LABELS["self_referral"]),
            label(CONTACT_WAYS, str(detail.get("contact_by", ""))),
            label(CONTACT_TIMES, str(detail.get("contact_when", ""))),
        ]
        return " · ".join(p for p in parts if p)
    if signal == "concern":
        signs = labels(SIGNS, detail.get("signs") or [])
        return " · ".join(p for p in (str(KIND_LABELS["concern"]), signs) if p)
    return None
