"""How pages show a sealed value that could not be opened: a translated "unreadable" badge."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import gettext as _
from markupsafe import Markup


def is_unreadable(value: Any) -> bool:
    """True for the marker the vault returns when a sealed value does not open."""
    return bool(getattr(value, "unreadable", False))


def badge(ref: str | None = None) -> Markup:
    """The badge shown in place of an unreadable value (never the value's bytes).

    A value that failed its integrity check carries the reference of its security event.
    """
    text = _("Unreadable") if ref is None else _("Unreadable (reference %(ref)s)", ref=ref)
    return Markup('<span class="badge unreadable-badge" title="{}">{}</span>').format(
        _("This value cannot be decrypted: its key was shredded or the data was altered."), text
    )


def sealed(value: Any) -> Any:
    """Jinja filter: the badge for an unreadable value, else the value unchanged."""
    return badge() if is_unreadable(value) else value


def init_app(app: Flask) -> None:
    """Offer `|sealed` and `is_unreadable` to every template."""
    app.jinja_env.filters["sealed"] = sealed
    app.jinja_env.globals["is_unreadable"] = is_unreadable
