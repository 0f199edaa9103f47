"""Build a Flask-WTF form class from a definition: the only module touching WTForms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from .answers import MAX_TEXT
from .fhir import pick_lang
from .model import Instrument


def form_item_lang(instrument: Instrument, lang: str) -> str:
    """The language the form will actually use (the first declared one when lang is missing)."""
    return pick_lang(instrument, lang)


def build_form_class(instrument: Instrument, lang: str) -> type[FlaskForm]:
    """A FlaskForm subclass: one RadioField per choice item named by item id, labels in lang."""
    lang = form_item_lang(instrument, lang)
    fields: dict[str, object] = {}
    for item in instrument.items:
        if lang not in item.languages:
            continue
        label = item.text.get(lang, "")
        needed = item.required and item.condition is None
        check = [InputRequired()] if needed else [Optional()]
        option_set = instrument.options_for(item)
        if option_set is None:
            fields[item.id] = TextAreaField(label, validators=[Optional(), Length(max=MAX_TEXT)])
            continue
        first = instrument.languages[0]
        choices = [
            SelectChoice(str(o.value), o.label.get(lang) or o.label.get(first, str(o.value)))
            for o in option_set.options
        ]
        fields[item.id] = RadioField(label, choices=choices, validators=check)
    name = "Form_" + "".join(c if c.isalnum() else "_" for c in f"{instrument.id}_{lang}")
    return type(name, (FlaskForm,), fields)
