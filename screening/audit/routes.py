"""The audit viewer for administrators: recent entries, a filter by action, chain verification."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import SelectField

from screening import db
from screening.audit import security
from screening.audit.models import AuditEntry
from screening.audit.services import verify
from screening.auth.access import roles_required
from screening.auth.models import Role, User
from screening.db import utcnow
from screening.forms import choices
from screening.templating import register_nav

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
PAGE = 200

#: The actions an administrator can filter by (entries of other actions still list under "all").
ACTIONS = (
    "login",
    "login.failed",
    "logout",
    "user.create",
    "user.enable",
    "user.disable",
    "user.password",
    "user.faculties",
    "faculty.create",
    "roster.import",
    "campaign.create",
    "instrument.enable",
    "consent.agree",
    "response.submit",
    "response.download",
    "case.view",
    "register.export",
    "rota.add",
    "rota.remove",
    "crisis_lines.edit",
    "demo.load",
    "keys.rotate",
    "keys.retire",
    "keys.shred",
    "keys.reshred",
)

register_nav("audit.index", _l("Audit log"), {"admin"})
register_nav("audit.security_events", _l("Security events"), {"admin"})


class FilterForm(FlaskForm):
    """The action filter; a GET form, so it carries no CSRF token."""

    class Meta:
        """Read from the query string without a token: filtering changes nothing."""

        csrf = False

    action = SelectField(_l("Action"), default="")


@bp.route("/")
@roles_required(Role.ADMIN)
def index() -> str:
    """List the newest entries (optionally of one action) and the verification of every chain."""
    s = db.session()
    form = FilterForm(request.args)
    form.action.choices = choices([("", str(_l("All actions")))] + [(a, a) for a in ACTIONS])
    query = select(AuditEntry, User.username).outerjoin(User, User.id == AuditEntry.actor_id)
    if form.validate() and form.action.data:
        query = query.where(AuditEntry.action == form.action.data)
    rows = s.execute(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(PAGE)).all()
    return render_template("audit/index.html", form=form, rows=rows, reports=verify(s))


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
    form.action.choices = choices([("", str(_l("All security events")))] + [(k, k) for k in kinds])
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
