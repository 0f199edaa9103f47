"""Consent form; the questionnaire forms are built from definitions by screening.instruments."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField


class ConsentForm(FlaskForm):
    """Agree or decline, after reading the notice."""

    agree = SubmitField()
    decline = SubmitField()


class TokenForm(FlaskForm):
    """The single-use token that makes a questionnaire submission idempotent."""

    token = HiddenField()
