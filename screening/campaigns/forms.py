"""Admin forms: a new campaign, an instrument's enablement, the crisis lines."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from screening.campaigns.centre import phone_ok


class CampaignForm(FlaskForm):
    """A campaign's settings; its instruments, order and stepping come from the builder's
    own fields (see screening.campaigns.builder)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    faculties = SelectMultipleField(
        _l("Faculties"),
        validators=[DataRequired()],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    cohorts = SelectMultipleField(
        _l("Cohorts (entry years)"),
        validators=[DataRequired()],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    opens_at = DateTimeLocalField(_l("Opens (Beijing time)"), validators=[InputRequired()])
    closes_at = DateTimeLocalField(_l("Closes (Beijing time)"), validators=[InputRequired()])
    show_results = BooleanField(_l("Students see their own result"))
    consent_version = SelectField(_l("Consent notice version"), validators=[DataRequired()])
    reminder_days = StringField(
        _l("Reminder days after opening (e.g. 3,7)"), validators=[Optional(), Length(max=64)]
    )
    #: None chosen means every language of the install (the default, all ticked).
    languages = SelectMultipleField(
        _l("Languages of the students served"),
        validators=[Optional()],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


class ExtendForm(FlaskForm):
    """A later closing time for an open campaign."""

    closes_at = DateTimeLocalField(
        _l("New closing time (Beijing time)"), validators=[InputRequired()]
    )


class ConsentNoticeForm(FlaskForm):
    """A consent notice in both languages; saved as a new version unless correcting one."""

    text_zh = TextAreaField(_l("Notice in Chinese"), validators=[DataRequired(), Length(max=20000)])
    text_en = TextAreaField(_l("Notice in English"), validators=[DataRequired(), Length(max=20000)])
    replace = HiddenField(validators=[Optional(), Length(max=32)])


class EnableForm(FlaskForm):
    """Acknowledge an instrument's licence to enable it."""

    acknowledge = BooleanField(
        _l("I have read the licence and the university may use this instrument"),
        validators=[DataRequired()],
    )


class ResourcesForm(FlaskForm):
    """The crisis lines, one per line: Chinese label | English label | number."""

    lines = TextAreaField(_l("Crisis lines"), validators=[DataRequired(), Length(max=4000)])


class CentreForm(FlaskForm):
    """The university's counselling centre, in both languages, for the crisis page."""

    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=200)])
    phone = TelField(_l("Phone"), validators=[DataRequired(), Length(max=40)])
    place_zh = StringField(_l("Place (Chinese)"), validators=[DataRequired(), Length(max=200)])
    place_en = StringField(_l("Place (English)"), validators=[DataRequired(), Length(max=200)])
    hours_zh = StringField(
        _l("Opening hours (Chinese)"), validators=[DataRequired(), Length(max=200)]
    )
    hours_en = StringField(
        _l("Opening hours (English)"), validators=[DataRequired(), Length(max=200)]
    )
    after_hours_phone = TelField(
        _l("After-hours line (optional)"), validators=[Optional(), Length(max=40)]
    )

    def validate_phone(self, field: StringField) -> None:
        """A number a phone can call."""
        _check_phone(field)

    def validate_after_hours_phone(self, field: StringField) -> None:
        """A number a phone can call, when given."""
        if field.data:
            _check_phone(field)


def _check_phone(field: StringField) -> None:
    """Refuse anything a phone cannot dial, saying what to write."""
    field.data = (field.data or "").strip()
    if not phone_ok(field.data):
        raise ValidationError(
            _l(
                "Write a phone number in digits (spaces, hyphens and a leading + are allowed), "
                "e.g. 010-6275-1234."
            )
        )


class CloseForm(FlaskForm):
    """Confirm closing an open campaign now."""

    confirm = BooleanField(
        _l("Close now: students who have not finished can no longer answer"),
        validators=[DataRequired()],
    )
