"""Forms of a student's request for contact, a concern report and the reporter flags."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from screening.cases import signals
from screening.forms import choices
from screening.referrals.services import MAX_TEXT

REPORTER_LABELS: dict[str, Any] = {
    "class_committee": _l("Class psychological committee member"),
    "dorm_head": _l("Dorm head"),
    "staff": _l("Staff"),
}
STATE_LABELS: dict[str, Any] = {"received": _l("Received"), "followed_up": _l("Followed up")}


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TalkForm(FlaskForm):
    """我想找人聊聊: how urgent, how and when to be contacted, a few words (sealed)."""

    urgency = RadioField(
        _l("How urgent does it feel?"),
        choices=choices(signals.SELF_URGENCY.items()),
        validators=[DataRequired(_l("Choose how urgent it feels."))],
    )
    contact_by = RadioField(
        _l("How would you like to be contacted?"),
        choices=choices(signals.CONTACT_WAYS.items()),
        validators=[DataRequired(_l("Choose how you would like to be contacted."))],
    )
    contact_when = SelectField(
        _l("When suits you best?"), choices=choices(signals.CONTACT_TIMES.items()), default="any"
    )
    text = TextAreaField(
        _l("Anything you would like us to know (optional)"),
        validators=[Length(max=MAX_TEXT, message=_l("Please keep it under 2000 characters."))],
    )


class ConcernForm(FlaskForm):
    """A concern about a student: who (student number), what was observed, how urgent."""

    student_number = StringField(
        _l("Student number of the student you are worried about"),
        validators=[DataRequired(_l("Enter the student number.")), Length(max=32)],
    )
    signs = MultiCheckboxField(
        _l("What have you noticed?"),
        choices=choices(signals.SIGNS.items()),
        validators=[DataRequired(_l("Choose at least one thing you noticed."))],
    )
    urgency = RadioField(
        _l("How urgent is it?"),
        choices=choices(signals.CONCERN_URGENCY.items()),
        validators=[DataRequired(_l("Choose how urgent it is."))],
    )
    text = TextAreaField(
        _l("What happened (optional)"),
        validators=[Length(max=MAX_TEXT, message=_l("Please keep it under 2000 characters."))],
    )


class ReporterForm(FlaskForm):
    """An admin flags a student as a reporter."""

    student_number = StringField(
        _l("Student number"), validators=[DataRequired(_l("Enter the student number."))]
    )
    kind = SelectField(
        _l("Reporter role"),
        choices=choices([(k, REPORTER_LABELS[k]) for k in ("class_committee", "dorm_head")]),
    )
