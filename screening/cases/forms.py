"""Case forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from screening.forms import choices


class CaseActionForm(FlaskForm):
    """A button with only a CSRF token (claim, acknowledge, sign off)."""


class NoteForm(FlaskForm):
    """A sealed note, contact attempt or referral."""

    kind = SelectField(
        _l("Kind"),
        choices=choices(
            [
                ("note", _l("Note")),
                ("contact", _l("Contact attempt")),
                ("referred", _l("Referral (with reason)")),
            ]
        ),
    )
    text = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=4000)])


class CloseForm(FlaskForm):
    """Close-out: an outcome code and a note are both required."""

    outcome = SelectField(_l("Outcome"), validators=[DataRequired()])
    note = TextAreaField(_l("Close-out note"), validators=[DataRequired(), Length(max=4000)])


class ReassignForm(FlaskForm):
    """Choose another counselor."""

    assignee = SelectField(_l("Counselor"))


class ShiftForm(FlaskForm):
    """An on-call shift."""

    user = SelectField(_l("Counselor"), validators=[DataRequired()])
    starts_at = DateTimeLocalField(_l("From (Beijing time)"), validators=[InputRequired()])
    ends_at = DateTimeLocalField(_l("Until (Beijing time)"), validators=[InputRequired()])
