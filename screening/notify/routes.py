"""The in-app inbox of alerts."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from screening import db
from screening.auth.access import roles_required
from screening.auth.models import Role
from screening.cases.forms import CaseActionForm
from screening.notify import services

bp = Blueprint("notify", __name__, url_prefix="/inbox")
STAFF = (Role.COUNSELOR, Role.SUPERVISOR, Role.DEAN, Role.ADMIN)


@bp.route("/")
@roles_required(*STAFF)
def inbox() -> str:
    """The user's alerts, unacknowledged first."""
    return render_template(
        "notify/inbox.html",
        alerts=services.open_alerts(db.session(), current_user),
        form=CaseActionForm(),
    )


@bp.route("/<int:alert_id>/acknowledge", methods=["POST"])
@roles_required(*STAFF)
def acknowledge(alert_id: int) -> Response:
    """Mark an alert as seen and open what it points to."""
    s = db.session()
    if not CaseActionForm().validate_on_submit():
        abort(400)
    alert = services.acknowledge(s, current_user, alert_id)
    if alert is None:
        abort(404)
    link = alert.link_path
    inside = link.startswith("/") and not link.startswith("//")
    return redirect(link if inside else url_for("notify.inbox"))
