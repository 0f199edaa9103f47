"""Case forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, DateTimeLocalField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from screening.forms import choices

OUTCOME_LABELS = {
    "resolved_contacted": _l("Contacted; support given; resolved"),
    "referred_campus_clinic": _l("Referred to the campus clinic"),
    "referred_hospital": _l("Referred to a hospital"),
    "hospitalised": _l("Hospitalised"),
    "declined_support": _l("Student declined support"),
    "false_positive": _l("No risk found on contact"),
    "left_university": _l("Student graduated or left the university"),
    "other": _l("Other (see note)"),
}
REFERRAL_LABELS = {
    "campus_clinic": _l("Campus clinic"),
    "hospital": _l("Hospital"),
    "other": _l("Other service"),
}


def outcome_label(code: str) -> str:
    """The outcome code in the reader's language."""
    return str(OUTCOME_LABELS.get(code, code))


class CaseActionForm(FlaskForm):
    """A button with only a CSRF token (claim, acknowledge)."""


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
    referral = SelectField(
        _l("Referred to (for a referral)"),
        choices=choices([("", "—"), *REFERRAL_LABELS.items()]),
        default="",
    )
    text = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=4000)])


class CloseForm(FlaskForm):
    """Close-out: an outcome code and a note are both required."""

    outcome = SelectField(_l("Outcome"), validators=[DataRequired()])
    note = TextAreaField(_l("Close-out note"), validators=[DataRequired(), Length(max=4000)])
    plan = TextAreaField(
        _l("Follow-up plan (who, what, when)"), validators=[DataRequired(), Length(max=4000)]
    )
    safety_plan = BooleanField(_l("A safety plan was made with the student (crisis cases)"))
    override = TextAreaField(
        _l("Supervisor: why close without a recorded first contact"),
        validators=[Length(max=2000)],
    )


class FollowUpForm(FlaskForm):
    """Schedule a follow-up re-screening (复测) from a case."""

    instrument = SelectField(_l("Questionnaire"), validators=[DataRequired()])
    on = DateField(_l("From (date)"), validators=[InputRequired()])


class SignOffForm(FlaskForm):
    """A supervisor's sign-off of a crisis close-out (a note is required to send it back)."""

    note = TextAreaField(_l("Sign-off note"), validators=[Length(max=4000)])


class ReassignForm(FlaskForm):
    """Choose another counselor."""

    assignee = SelectField(_l("Counselor"))


class BreakGlassForm(FlaskForm):
    """Emergency access: why this case, now."""

    reason = TextAreaField(
        _l("Why do you need this case now?"), validators=[DataRequired(), Length(min=10, max=2000)]
    )


class ShiftForm(FlaskForm):
    """An on-call shift."""

    user = SelectField(_l("Counselor"), validators=[DataRequired()])
    starts_at = DateTimeLocalField(_l("From (Beijing time)"), validators=[InputRequired()])
    ends_at = DateTimeLocalField(_l("Until (Beijing time)"), validators=[InputRequired()])


class AcademicImportForm(FlaskForm):
    """A registrar CSV upload."""

    file = FileField(_l("Registrar CSV file"), validators=[FileRequired()])
    skip_invalid = BooleanField(_l("Import the valid rows even if some rows have errors"))
