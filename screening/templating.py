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
    ("responses.index", _l("My screenings"), frozenset({"student"})),
    ("responses.record", _l("My data"), frozenset({"student"})),
    ("campaigns.index", _l("Campaigns"), frozenset({"admin"})),
    ("cases.queue", _l("Cases"), frozenset({"counselor", "supervisor"})),
    ("cases.register", _l("Risk register"), frozenset({"supervisor", "admin"})),
    ("cases.measures", _l("Case handling"), frozenset({"supervisor", "admin"})),
    ("caseadmin.rota", _l("On-call rota"), frozenset({"admin"})),
    ("retention.policy", _l("Data retention"), frozenset({"admin"})),
    ("caseadmin.tier_index", _l("Risk tiers"), frozenset({"admin"})),
    ("caseadmin.academic_import", _l("Registrar data"), frozenset({"admin"})),
    ("referrals.concern", _l("Report a concern"), frozenset({"counselor", "supervisor"})),
    ("referrals.reporters", _l("Reporters"), frozenset({"admin"})),
    ("notify.inbox", _l("Alerts"), frozenset({"counselor", "supervisor", "dean", "admin"})),
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


TIER_LABELS = {
    "crisis": _l("Crisis"),
    "high": _l("High"),
    "moderate": _l("Moderate"),
    "none": _l("None"),
}
STATUS_LABELS = {
    "open": _l("Open"),
    "pending_signoff": _l("Awaiting sign-off"),
    "closed": _l("Closed"),
}
ALERT_LABELS = {
    "case.new": _l("New case"),
    "case.escalated": _l("Case escalated"),
    "case.signoff": _l("Close-out awaiting your sign-off"),
    "case.breakglass": _l("Emergency access used"),
    "class.crisis": _l("A student of yours has an open crisis case"),
    "class.help": _l("The counselling centre asks your help to reach a student"),
    "reminder": _l("Reminder"),
    "security.login": _l("Log-in attack: an account was throttled or passwords sprayed"),
    "system.keyring": _l("Key ring problem: action needed"),
    "system.delivery": _l("Crisis alerts cannot be delivered"),
    "system.anchor": _l("Audit log does not match its anchor"),
    "security.burst": _l("Burst of security events"),
}
EVENT_LABELS = {
    "opened": _l("Opened"),
    "flag": _l("New flag joined the case"),
    "routed": _l("Routed"),
    "claimed": _l("Claimed"),
    "acknowledged": _l("First contact recorded"),
    "contact": _l("Contact attempt"),
    "note": _l("Note"),
    "referred": _l("Referred"),
    "reassigned": _l("Reassigned"),
    "escalated": _l("Escalated"),
    "close_requested": _l("Close-out requested"),
    "closed": _l("Closed"),
    "signed_off": _l("Signed off"),
    "signoff_refused": _l("Sign-off refused; case reopened"),
    "break_glass": _l("Emergency access (break-glass)"),
    "followup_scheduled": _l("Follow-up re-screening scheduled"),
    "followup_done": _l("Follow-up re-screening taken"),
    "report_unfounded": _l("Concern report marked unfounded"),
    "class_counselor_told": _l("Class counselor told of the crisis case"),
    "class_counselor_asked": _l("Class counselor asked to help reach the student"),
}


def register_nav(endpoint: str, label: Any, roles: set[str] | frozenset[str]) -> None:
    """Let a feature add its entry to the navigation."""
    NAV.append((endpoint, label, frozenset(roles)))


def lang_of(instrument: Any) -> str:
    """The language an instrument's texts are shown in for this user."""
    from screening.instruments.forms import form_item_lang

    return form_item_lang(instrument, "zh-Hans" if str(get_locale()).startswith("zh") else "en")


def init_app(app: Flask) -> None:
    """Inject navigation and language helpers into every template."""
    from flask_babel import format_datetime

    app.jinja_env.filters["localdate"] = lambda value: format_datetime(value, "medium")
    app.jinja_env.globals["lang_of"] = lang_of

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
            "tier_label": lambda t: str(TIER_LABELS.get(t, t)),
            "status_label": lambda t: str(STATUS_LABELS.get(t, t)),
            "alert_label": lambda t: str(ALERT_LABELS.get(t, t)),
            "event_label": lambda t: str(EVENT_LABELS.get(t, t)),
            "current_path": request.full_path.rstrip("?") if request else "/",
        }
