"""Simplified Chinese and English: chosen from the browser, switchable by the user."""

from __future__ import annotations

from flask import Flask, current_app, request, session
from flask_babel import Babel, get_locale

SUPPORTED = ("zh_Hans", "en")


def select_locale() -> str:
    """The user's choice, else the browser's preference, else the configured default."""
    chosen = session.get("lang")
    if chosen in SUPPORTED:
        return str(chosen)
    best = (
        request.accept_languages.best_match(["zh", "zh-CN", "zh-Hans", "en"]) if request else None
    )
    if best is None:
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    return "zh_Hans" if best.lower().startswith("zh") else "en"


def current_locale() -> str:
    """The locale of this request as a string, e.g. "zh_Hans" or "en"."""
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def html_lang(locale: str) -> str:
    """The BCP 47 tag for the html lang attribute."""
    return "zh-Hans" if locale.startswith("zh") else "en"


def init_app(app: Flask) -> None:
    """Attach Flask-Babel with the project's translations folder."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(app.root_path + "/translations"))
    Babel(app, locale_selector=select_locale)
