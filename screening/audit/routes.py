"""The audit viewer for administrators: recent entries, a filter by action, chain verification."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField

from screening import db
from screening.audit.models import AuditEntry
from screening.audit.services import verify
from screening.auth.access import roles_required
from screening.auth.models import Role, User
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
    "password.reset_requested",
    "password.reset",
    "security.login_throttled",
    "security.password_spray",
    "security.mfa_failed",
)

register_nav("audit.index", _l("Audit log"), {"admin"})


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
