"""Admin forms: roster upload and confirmation, user search and edit."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class RosterUploadForm(FlaskForm):
    """A roster file (CSV UTF-8 or XLSX) to preview; nothing is written yet."""

    roster = FileField(_l("Roster file (CSV or XLSX)"), validators=[FileRequired()])


class RosterConfirmForm(FlaskForm):
    """The same file again, with the digest of the previewed one, to import it."""

    roster = FileField(_l("The same roster file again"), validators=[FileRequired()])
    digest = HiddenField(validators=[DataRequired(), Length(max=128)])
    new_faculties = HiddenField(validators=[Length(max=2000)])
    create_faculties = BooleanField(_l("Create these faculties"))


class UserSearchForm(FlaskForm):
    """Find a person: exact student number, e-mail address or username."""

    class Meta:
        csrf = False  # a GET search that reads nothing the caller may not see

    q = StringField(
        _l("Student number, e-mail address or username"),
        validators=[DataRequired(), Length(max=254)],
    )


class UserEditForm(FlaskForm):
    """Edit a person's name, e-mail, role and faculties."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=254)])
    role = SelectField(_l("Role"))
    # Only the fields of the person's role are shown; the view ignores unknown ids.
    faculty = SelectField(
        _l("Faculty (students; deans: empty for the whole university)"), validate_choice=False
    )
    faculties = SelectMultipleField(
        _l("Faculties served (counselors, supervisors)"), validate_choice=False
    )
    cohort = IntegerField(
        _l("Entry year (students)"), validators=[Optional(), NumberRange(1950, 2100)]
    )
