"""The audit viewer for administrators: filters, names, paging, CSV export, chain verification.

Names of actors and target people are opened through the vault and the page view itself is
audited (`audit.view`, `audit.export`), so looking someone up in the log leaves a trace too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import Select, func, select
from werkzeug.wrappers import Response
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional

from screening import db
from screening.audit import security
from screening.audit.models import AuditEntry
from screening.audit.services import record_reading, verify
from screening.auth.access import roles_required
from screening.auth.models import Faculty, Role, User
from screening.auth.services import find_by_login, person, vault_of
from screening.csvexport import to_csv
from screening.db import utcnow
from screening.forms import choices
from screening.templating import register_nav

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
PAGE = 50
EXPORT_LIMIT = 50000

#: Every action code with its label in the admin's language (unknown codes show as they are).
ACTION_LABELS: dict[str, Any] = {
    "login": _l("Logged in"),
    "login.failed": _l("Failed log-in"),
    "logout": _l("Logged out"),
    "user.create": _l("Account created"),
    "user.enable": _l("Account enabled"),
    "user.disable": _l("Account disabled"),
    "user.password": _l("Password set"),
    "user.faculties": _l("Faculties served changed"),
    "user.update": _l("Person edited"),
    "user.view": _l("Person viewed"),
    "user.search": _l("Person searched"),
    "mfa.begin": _l("Two-step verification started"),
    "mfa.enrol": _l("Two-step verification set up"),
    "mfa.reset": _l("Two-step verification reset"),
    "mfa.totp": _l("Two-step code accepted"),
    "mfa.recovery": _l("Recovery code used"),
    "mfa.recovery_codes": _l("Recovery codes shown"),
    "faculty.create": _l("Faculty created"),
    "roster.preview": _l("Roster previewed"),
    "roster.import": _l("Roster imported"),
    "campaign.create": _l("Campaign created"),
    "campaign.edit": _l("Campaign edited"),
    "campaign.open": _l("Campaign opened"),
    "campaign.extend": _l("Campaign extended"),
    "campaign.close": _l("Campaign closed early"),
    "consent.create": _l("Consent notice version saved"),
    "consent.replace": _l("Consent notice version corrected"),
    "consent.agree": _l("Consent given"),
    "consent.decline": _l("Consent declined"),
    "instrument.enable": _l("Instrument enabled"),
    "tiers.save": _l("Risk tiers saved"),
    "response.submit": _l("Questionnaire submitted"),
    "response.download": _l("Own answers downloaded"),
    "case.view": _l("Case viewed"),
    "case.claim": _l("Case claimed"),
    "case.acknowledge": _l("First contact recorded"),
    "case.note": _l("Case note added"),
    "case.close": _l("Case close-out"),
    "case.signoff": _l("Close-out signed off"),
    "case.reassign": _l("Case reassigned"),
    "case.break_glass": _l("Emergency access"),
    "register.view": _l("Risk register viewed"),
    "register.export": _l("Risk register exported"),
    "stats.export": _l("Statistics exported"),
    "academic.import": _l("Registrar data imported"),
    "rota.add": _l("On-call shift added"),
    "rota.remove": _l("On-call shift removed"),
    "crisis_lines.edit": _l("Crisis lines edited"),
    "demo.load": _l("Demo loaded"),
    "keys.rotate": _l("Key rotation"),
    "keys.retire": _l("Key retired"),
    "keys.shred": _l("Personal data shredded"),
    "keys.reshred": _l("Shredding re-applied"),
    "audit.view": _l("Audit log viewed"),
    "audit.export": _l("Audit log exported"),
    "audit.verify": _l("Audit chains verified"),
    "security.mfa_failed": _l("Security: wrong two-step code"),
    "security.login_throttled": _l("Security: log-ins throttled"),
    "security.password_spray": _l("Security: password spray"),
    "password.reset_requested": _l("Password reset requested"),
    "password.reset": _l("Password reset by e-mail link"),
    "security.access_denied": _l("Security: access denied"),
    "security.csrf_failed": _l("Security: form check failed"),
    "security.rate_limited": _l("Security: rate limited"),
    "security.integrity_failed": _l("Security: integrity check failed"),
}
TARGET_LABELS: dict[str, Any] = {
    "user": _l("Person"),
    "case": _l("Case"),
    "campaign": _l("Campaign"),
    "faculty": _l("Faculty"),
    "roster": _l("Roster"),
    "consent": _l("Consent notice"),
    "instrument": _l("Instrument"),
    "tier_mapping": _l("Risk tiers"),
    "settings": _l("Settings"),
    "registrar": _l("Registrar data"),
    "demo": _l("Demo"),
    "audit": _l("Audit log"),
}

register_nav("audit.index", _l("Audit log"), {"admin"})
register_nav("audit.security_events", _l("Security events"), {"admin"})


def action_label(code: str) -> str:
    """An action code in the admin's language."""
    return str(ACTION_LABELS.get(code, code))


class FilterForm(FlaskForm):
    """Date range, actor, action and target; a GET form, so it carries no CSRF token."""

    class Meta:
        """Read from the query string without a token: filtering changes nothing."""

        csrf = False

    since = DateField(_l("From (date)"), validators=[Optional()])
    until = DateField(_l("To (date)"), validators=[Optional()])
    actor = StringField(
        _l("Actor: username, student number or e-mail"), validators=[Optional(), Length(max=254)]
    )
    action = SelectField(_l("Action"), default="", validate_choice=False)
    target = StringField(
        _l("Target: a person (as above), or a type and number such as campaign 3"),
        validators=[Optional(), Length(max=254)],
    )


class VerifyForm(FlaskForm):
    """The verify button (POST, with a CSRF token)."""


def _person_id(text: str) -> int | None:
    """The user an exact identifier names (username, student number, e-mail), or None."""
    s = db.session()
    found = find_by_login(s, text)
    if found is None and "@" in text:
        index = vault_of(s).index("email", text.strip())
        found = s.scalar(select(User).where(User.email_index == index).limit(1))
    return found.id if found else None


@dataclass
class Filters:
    """The query's conditions and whether a named person was not found."""

    query: Select[Any]
    unknown: list[str]


def _filtered(form: FilterForm) -> Filters:
    query: Select[Any] = select(AuditEntry)
    unknown: list[str] = []
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])

    def start(day: date) -> datetime:
        return datetime.combine(day, time.min, zone)

    if form.since.data:
        query = query.where(AuditEntry.at >= start(form.since.data))
    if form.until.data:
        query = query.where(AuditEntry.at < start(form.until.data + timedelta(days=1)))
    if form.action.data:
        query = query.where(AuditEntry.action == form.action.data)
    actor = (form.actor.data or "").strip()
    if actor:
        actor_id = _person_id(actor)
        if actor_id is None:
            unknown.append(actor)
        query = query.where(AuditEntry.actor_id == (actor_id or -1))
    target = (form.target.data or "").strip()
    if target:
        target_id = _person_id(target)
        kind, _sep, ident = target.partition(" ")
        if target_id is not None:
            query = query.where(
                AuditEntry.target_type == "user", AuditEntry.target_id == str(target_id)
            )
        elif ident.strip() and kind in TARGET_LABELS:
            query = query.where(
                AuditEntry.target_type == kind, AuditEntry.target_id == ident.strip()
            )
        else:
            unknown.append(target)
            query = query.where(AuditEntry.id == -1)
    return Filters(query, unknown)


def _names(entries: list[AuditEntry]) -> tuple[dict[int, str], dict[tuple[str, str], str]]:
    """Actors' and targets' names, opened through the vault (the page view is audited)."""
    from screening.campaigns.models import Campaign  # routes may read any feature

    s = db.session()
    user_ids = {e.actor_id for e in entries if e.actor_id}
    user_ids |= {
        int(e.target_id)
        for e in entries
        if e.target_type == "user" and e.target_id and e.target_id.isdigit()
    }
    users = {u.id: u for u in s.scalars(select(User).where(User.id.in_(user_ids)))}
    names: dict[int, str] = {}
    for uid, user in users.items():
        opened = person(s, user)
        label = opened.name if isinstance(opened.name, str) else None
        names[uid] = label or user.username or opened.student_number or f"#{uid}"
        if user.username and label:
            names[uid] = f"{label} ({user.username})"
    targets: dict[tuple[str, str], str] = {}
    campaign_ids = {
        int(e.target_id or 0)
        for e in entries
        if e.target_type == "campaign" and (e.target_id or "").isdigit()
    }
    for c in s.scalars(select(Campaign).where(Campaign.id.in_(campaign_ids))):
        targets[("campaign", str(c.id))] = c.name
    for e in entries:
        if e.target_type == "user" and (e.target_id or "").isdigit():
            targets[("user", e.target_id or "")] = names.get(
                int(e.target_id or 0), e.target_id or ""
            )
    codes = {e.target_id for e in entries if e.target_type == "faculty"}
    for f in s.scalars(select(Faculty).where(Faculty.code.in_(codes))):
        targets[("faculty", f.code)] = f.code
    return names, targets


def _form() -> FilterForm:
    form = FilterForm(request.args)
    labelled = sorted(((a, str(label)) for a, label in ACTION_LABELS.items()), key=lambda p: p[1])
    form.action.choices = choices([("", str(_l("All actions"))), *labelled])
    return form


@bp.route("/")
@roles_required(Role.ADMIN)
def index() -> str:
    """Entries newest first, filtered and paged, with names; the verify button."""
    s = db.session()
    db.for_writing(s)  # this view writes (an audit entry)
    form = _form()
    form.validate()
    filters = _filtered(form)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    total = s.scalar(select(func.count()).select_from(filters.query.subquery())) or 0
    entries = list(
        s.scalars(
            filters.query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .offset((page - 1) * PAGE)
            .limit(PAGE)
        )
    )
    names, targets = _names(entries)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    record_reading(s, current_user.id, "audit.view", _describe(args))
    return render_template(
        "audit/index.html",
        form=form,
        entries=entries,
        names=names,
        targets=targets,
        action_label=action_label,
        target_labels=TARGET_LABELS,
        unknown=filters.unknown,
        page=page,
        pages=max(1, -(-total // PAGE)),
        total=total,
        args=args,
        export_url=url_for("audit.export", **args),  # type: ignore[arg-type]
        verify_form=VerifyForm(),
        reports=None,
    )


def _describe(args: dict[str, str]) -> str:
    """The filters of a view or export for its own audit entry (identifiers, no names)."""
    return " ".join(f"{k}={v}" for k, v in sorted(args.items()))[:500]


@bp.route("/export.csv")
@roles_required(Role.ADMIN)
def export() -> Response:
    """The filtered entries as CSV (audited; never cached)."""
    s = db.session()
    db.for_writing(s)  # this view writes (an audit entry)
    form = _form()
    form.validate()
    filters = _filtered(form)
    entries = list(
        s.scalars(
            filters.query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(EXPORT_LIMIT)
        )
    )
    names, targets = _names(entries)
    rows: list[list[object]] = [
        ["time_utc", "actor", "action", "action_label", "target_type", "target", "reason"]
    ]
    for e in entries:
        target = targets.get((e.target_type or "", e.target_id or ""), e.target_id or "")
        rows.append(
            [
                e.at.isoformat(),
                names.get(e.actor_id or 0, "") if e.actor_id else "system",
                e.action,
                action_label(e.action),
                e.target_type or "",
                target,
                e.reason or "",
            ]
        )
    args = {k: v for k, v in request.args.items() if v}
    record_reading(
        s, current_user.id, "audit.export", f"rows={len(entries)} {_describe(args)}"[:500]
    )
    response = Response(to_csv(rows, bom=True), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="audit.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/verify", methods=["POST"])
@roles_required(Role.ADMIN)
def verify_chains() -> str:
    """Run the chain check now and show its result above the newest entries."""
    s = db.session()
    if not VerifyForm().validate_on_submit():
        abort(400)
    reports = verify(s)
    broken = [r for r in reports if not r.ok]
    record_reading(
        s, current_user.id, "audit.verify", f"chains={len(reports)} broken={len(broken)}"
    )
    form = FilterForm(formdata=None)
    form.action.choices = _form().action.choices
    entries = list(s.scalars(select(AuditEntry).order_by(AuditEntry.at.desc()).limit(PAGE)))
    names, targets = _names(entries)
    return render_template(
        "audit/index.html",
        form=form,
        entries=entries,
        names=names,
        targets=targets,
        action_label=action_label,
        target_labels=TARGET_LABELS,
        unknown=[],
        page=1,
        pages=1,
        total=len(entries),
        args={},
        export_url=url_for("audit.export"),
        verify_form=VerifyForm(formdata=None),
        reports=reports,
    )


#: Security events the filter always offers; any other security.* action found is offered too.
SECURITY_ACTIONS = (
    security.ACCESS_DENIED,
    security.OUT_OF_SCOPE_CASE,
    security.CSRF_FAILED,
    security.RATE_LIMITED,
    security.INTEGRITY_FAILED,
    "security.mfa_failed",
    "security.login_throttled",
    "security.password_spray",
)


class SecurityFilterForm(FilterForm):
    """The type filter of the security view (a GET form without a token, as above)."""

    action = SelectField(_l("Type"), default="")


@bp.route("/security")
@roles_required(Role.ADMIN)
def security_events() -> str:
    """Recent security events of every kind, counts of the last day, optionally one type."""
    s = db.session()
    is_security = AuditEntry.action.startswith(security.PREFIX, autoescape=True)
    seen = set(s.scalars(select(AuditEntry.action).where(is_security).distinct()))
    kinds = sorted(set(SECURITY_ACTIONS) | seen)
    form = SecurityFilterForm(request.args)
    form.action.choices = choices(
        [("", str(_l("All security events")))] + [(k, action_label(k)) for k in kinds]
    )
    query = (
        select(AuditEntry, User.username)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(is_security)
    )
    if form.validate() and form.action.data:
        query = query.where(AuditEntry.action == form.action.data)
    rows = s.execute(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(PAGE)).all()
    day = utcnow() - timedelta(days=1)
    counts = dict(
        s.execute(
            select(AuditEntry.action, func.count())
            .where(is_security, AuditEntry.at >= day)
            .group_by(AuditEntry.action)
        ).all()
    )
    config = current_app.config
    minutes = int(config["SECURITY_BURST_MINUTES"])
    recent = security.count_since(s, utcnow() - timedelta(minutes=minutes))
    return render_template(
        "audit/security.html",
        form=form,
        rows=rows,
        counts=[(k, counts.get(k, 0)) for k in kinds],
        recent=recent,
        threshold=int(config["SECURITY_BURST_THRESHOLD"]),
        minutes=minutes,
    )
