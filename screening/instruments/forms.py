"""Build a Flask-WTF form class from a definition: the only module touching WTForms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # stubs: 3.2
from wtforms.validators import InputRequired, Length, Optional

from .answers import MAX_TEXT
from .fhir import pick_lang
from .model import Instrument


def form_item_lang(instrument: Instrument, lang: str) -> str:
    """The language the form will actually use (the first declared one when lang is missing)."""
    return pick_lang(instrument, lang)


#: Form classes already built, per definition (id, version, digest) and language.
_FORM_CLASSES: dict[tuple[str, int, str, str], type[FlaskForm]] = {}


def build_form_class(instrument: Instrument, lang: str) -> type[FlaskForm]:
    """A FlaskForm subclass: one RadioField per choice item named by item id, labels in lang.

    Built once per definition and language: a definition never changes under its digest.
    """
    lang = form_item_lang(instrument, lang)
    key = (instrument.id, instrument.version, instrument.digest, lang)
    found = _FORM_CLASSES.get(key)
    if found is None:
        found = _FORM_CLASSES[key] = _build(instrument, lang)
    return found


def _build(instrument: Instrument, lang: str) -> type[FlaskForm]:
    """Build the form class of a definition in a language the form will use."""
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
