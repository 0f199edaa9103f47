"""The admin's retention policy form: one period in days per data category."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

#: The category names admins and students read.
CATEGORY_NAMES = {
    "answers": _l("Raw answers and drafts"),
    "scores": _l("Scores"),
    "cases": _l("Cases and notes (counted from close-out)"),
    "stats": _l("De-identified statistics records"),
    "audit": _l("Audit log entries"),
    "outbox": _l("Outbox messages"),
    "sessions": _l("Sessions and spent tokens"),
}


def _days(label: Any) -> IntegerField:
    return IntegerField(
        label,
        validators=[
            InputRequired(message=_l("Enter a number of days.")),
            NumberRange(min=1, max=36500, message=_l("Enter a number of days from 1 to 36500.")),
        ],
    )


class PolicyForm(FlaskForm):
    """Retention periods in days."""

    answers = _days(CATEGORY_NAMES["answers"])
    scores = _days(CATEGORY_NAMES["scores"])
    cases = _days(CATEGORY_NAMES["cases"])
    stats = _days(CATEGORY_NAMES["stats"])
    audit = _days(CATEGORY_NAMES["audit"])
    outbox = _days(CATEGORY_NAMES["outbox"])
    sessions = _days(CATEGORY_NAMES["sessions"])


class HoldForm(FlaskForm):
    """A supervisor's legal hold on a case: why (sealed)."""

    reason = TextAreaField(
        _l("Reason for the legal hold"),
        validators=[Length(max=1000, message=_l("At most 1000 characters."))],
    )
