"""Log-in and account forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from screening.forms import choices


class LoginForm(FlaskForm):
    """Student number or staff username, and password."""

    login = StringField(
        _l("Student number or username"), validators=[DataRequired(), Length(max=128)]
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class LanguageForm(FlaskForm):
    """Switch the interface language."""

    lang = SelectField(_l("Language"), choices=choices([("zh_Hans", "中文"), ("en", "English")]))


class UserForm(FlaskForm):
    """Create a staff account (students come from the roster import)."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=254)])
    role = SelectField(_l("Role"))
    faculty = SelectField(_l("Faculty (deans: empty for the whole university)"), coerce=str)
    faculties = SelectMultipleField(_l("Faculties served (counselors)"), coerce=str)
    is_advisor = BooleanField(_l("Academic advisor"))
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(max=1024)])


class FacultyForm(FlaskForm):
    """Create a faculty."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=200)])
    name_zh = StringField(_l("Name in Chinese"), validators=[DataRequired(), Length(max=200)])


class AssignmentForm(FlaskForm):
    """Set the faculties a counselor serves."""

    faculties = SelectMultipleField(_l("Faculties served"), coerce=str)


class ToggleForm(FlaskForm):
    """A POST-only button (enable/disable); carries only the CSRF token."""


class CodeForm(FlaskForm):
    """A six-digit code from the authenticator app, or a recovery code."""

    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=64)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autocapitalize": "off"},
    )


class PasswordChangeForm(FlaskForm):
    """Change one's own password: the current one, then the new one twice."""

    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    new = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class ForgotForm(FlaskForm):
    """Ask for a reset link: student number, e-mail address, or a staff username."""

    identifier = StringField(
        _l("Student number, e-mail address or username"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username", "autocapitalize": "off"},
    )


class ResetForm(FlaskForm):
    """Set a new password through an e-mailed link: the new password twice."""

    new = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


def password_message(reason: str, minimum: int) -> str:
    """The password policy's refusal in the user's language."""
    from flask_babel import gettext as _

    if reason == "too_short":
        return str(_("The password must have at least %(n)d characters.", n=minimum))
    if reason == "too_long":
        return str(_("The password must have at most %(n)d characters.", n=minimum))
    if reason == "identifier":
        return str(
            _("The password must not be built on your student number, username or e-mail name.")
        )
    if reason == "context":
        return str(
            _("The password must not be built on the name of this service or of the university.")
        )
    if reason == "pattern":
        return str(
            _(
                "The password must not be a repeated or sequential pattern such as "
                "12345678 or aaaaaaaa."
            )
        )
    return str(
        _(
            "This password is on a list of common passwords or of passwords stolen in data "
            "breaches; choose a longer, personal passphrase."
        )
    )
