"""The in-app inbox of alerts."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from screening import db
from screening.auth.access import roles_required
from screening.auth.models import Role
from screening.cases.forms import CaseActionForm
from screening.cases.models import TIERS
from screening.cases.reads import alert_cases
from screening.notify import services

bp = Blueprint("notify", __name__, url_prefix="/inbox")
STAFF = (Role.COUNSELOR, Role.SUPERVISOR, Role.DEAN, Role.ADMIN)
_CASE_LINK = re.compile(r"^/cases/(\d+)$")


def _case_id(link: str) -> int | None:
    found = _CASE_LINK.match(link)
    return int(found.group(1)) if found else None


@bp.app_context_processor
def unread_alerts() -> dict[str, Any]:
    """The navigation's unread count, computed only when a staff page asks for it."""

    def count() -> int:
        if not current_user.is_authenticated or current_user.role == Role.STUDENT:
            return 0
        return services.unread_count(db.session(), current_user)

    return {"unread_alerts": count}


@bp.route("/")
@roles_required(*STAFF)
def inbox() -> str:
    """The user's alerts, one entry per case and kind: unread first, crises first, newest first."""
    s = db.session()
    db.for_writing(s)  # this view writes (an audit entry)
    groups = services.grouped_alerts(s, current_user)
    ids = {i for g in groups if (i := _case_id(g.link_path)) is not None}
    locale = str(get_locale() or "zh_Hans")
    cases = alert_cases(s, current_user, ids, current_app.extensions["library"], locale)

    def urgency(group: services.AlertGroup) -> int:
        found = cases.get(_case_id(group.link_path) or 0)
        return TIERS.index(found.case.tier) if found and found.case.tier in TIERS else len(TIERS)

    entries = sorted(
        groups, key=lambda g: (not g.unread, urgency(g), -g.first.created_at.timestamp())
    )
    return render_template(
        "notify/inbox.html",
        entries=[(g, cases.get(_case_id(g.link_path) or 0)) for g in entries],
        form=CaseActionForm(),
    )


@bp.route("/<int:alert_id>/acknowledge", methods=["POST"])
@roles_required(*STAFF)
def acknowledge(alert_id: int) -> Response:
    """Mark an alert and its siblings (same kind, same case) as seen; open what it points to."""
    s = db.session()
    if not CaseActionForm().validate_on_submit():
        abort(400)
    alert = services.acknowledge_group(s, current_user, alert_id)
    if alert is None:
        abort(404)
    link = alert.link_path
    inside = link.startswith("/") and not link.startswith("//")
    return redirect(link if inside else url_for("notify.inbox"))


@bp.route("/acknowledge", methods=["POST"])
@roles_required(*STAFF)
def acknowledge_many() -> Response:
    """Mark the chosen alerts as seen and stay in the inbox."""
    s = db.session()
    if not CaseActionForm().validate_on_submit():
        abort(400)
    ids = [int(v) for v in request.form.getlist("alert") if v.isdigit()]
    done = services.acknowledge_many(s, current_user, ids)
    flash(
        ngettext("%(num)s alert marked as seen.", "%(num)s alerts marked as seen.", done), "success"
    )
    return redirect(url_for("notify.inbox"))
