"""Template globals: navigation by role, the language switch, the current locale."""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from screening.auth.forms import LanguageForm
from screening.i18n import html_lang

#: (endpoint, label, roles) — the navigation shows only what the role may open.
NAV: list[tuple[str, Any, frozenset[str]]] = [
    ("main.home", _l("Home"), frozenset({"student", "counselor", "supervisor", "dean", "admin"})),
    ("admin.users", _l("Users"), frozenset({"admin"})),
    ("admin.faculties", _l("Faculties"), frozenset({"admin"})),
    (
        "mfa.setup",
        _l("Account security"),
        frozenset({"student", "counselor", "supervisor", "dean", "admin"}),
    ),
]


ROLE_LABELS = {
    "student": _l("student"),
    "counselor": _l("counselor"),
    "supervisor": _l("supervisor"),
    "dean": _l("dean"),
    "admin": _l("administrator"),
}


def role_label(role: str) -> str:
    """The role's name in the user's language."""
    return str(ROLE_LABELS.get(role, role))


def register_nav(endpoint: str, label: Any, roles: set[str] | frozenset[str]) -> None:
    """Let a feature add its entry to the navigation."""
    NAV.append((endpoint, label, frozenset(roles)))


def init_app(app: Flask) -> None:
    """Inject navigation and language helpers into every template."""

    @app.context_processor
    def inject() -> dict[str, Any]:
        locale = str(get_locale() or "zh_Hans")
        items = []
        if current_user.is_authenticated:
            items = [
                (endpoint, label)
                for endpoint, label, roles in NAV
                if current_user.role in roles and endpoint in app.view_functions
            ]
        lang_form = LanguageForm(formdata=None, lang=locale)
        return {
            "nav_items": items,
            "locale": locale,
            "html_lang": html_lang(locale),
            "lang_form": lang_form,
            "role_label": role_label,
            "current_path": request.full_path.rstrip("?") if request else "/",
        }
