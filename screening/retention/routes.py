"""The admin's retention policy page: how long each category of data is kept."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from screening import db
from screening.auth.access import roles_required
from screening.auth.models import Role
from screening.cases.models import Case
from screening.cases.services import CaseError, get_case
from screening.db import utcnow
from screening.retention import policy as pol
from screening.retention import services
from screening.retention.forms import CATEGORY_NAMES, HoldForm, PolicyForm

bp = Blueprint("retention", __name__, url_prefix="/retention")


def minimums() -> dict[str, int]:
    """The install's minimum period per category."""
    return pol.minimums(current_app.config.get("RETENTION_MINIMUM_DAYS"))


@bp.route("/policy", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def policy() -> str | Response | tuple[str, int]:
    """Show and change the retention period of each data category (changes audited)."""
    s = db.session()
    db.for_writing(s)  # this view writes (an audit entry)
    current = services.current_policy(s)
    form = PolicyForm(data=current)
    floor = minimums()
    status = 200
    if form.validate_on_submit():
        days = {c: int(form[c].data) for c in pol.CATEGORIES}
        try:
            services.set_policy(s, current_user.id, days, floor, utcnow())
        except services.PolicyTooShort as exc:
            db.discard(s)
            for p in exc.problems:
                form[p.category].errors = [
                    _(
                        "At least %(minimum)d days: this install keeps this data no shorter. "
                        "Nothing was changed.",
                        minimum=p.minimum,
                    )
                ]
            status = 422
        else:
            flash(_("The retention policy is saved."), "success")
            return redirect(url_for("retention.policy"))
    elif form.errors:
        status = 422
    body = render_template(
        "retention/policy.html",
        form=form,
        names=CATEGORY_NAMES,
        categories=pol.CATEGORIES,
        minimum=floor,
        defaults=pol.DEFAULT_DAYS,
    )
    return body, status


def _case_in_scope(case_id: int) -> Case:
    try:
        return get_case(db.session(), current_user, case_id)
    except CaseError:
        abort(404)


@bp.route("/holds/<int:case_id>", methods=["POST"])
@roles_required(Role.SUPERVISOR)
def hold(case_id: int) -> Response:
    """Place a legal hold on a case in scope: nothing of its student is purged until lifted."""
    s = db.session()
    case = _case_in_scope(case_id)
    form = HoldForm()
    try:
        if not form.validate_on_submit():
            raise services.HoldError("reason")
        services.place_hold(s, current_user.id, case, form.reason.data or "", utcnow())
    except services.HoldError as exc:
        db.discard(s)
        messages = {
            "reason": _("Write why the data must be kept (at least 10 characters)."),
            "held": _("This case is already on legal hold."),
        }
        flash(messages.get(exc.code, _("That did not work.")), "error")
    else:
        flash(
            _("Legal hold placed: nothing of this student is deleted until it is lifted."),
            "success",
        )
    return redirect(url_for("cases.detail", case_id=case_id))


@bp.route("/holds/<int:case_id>/lift", methods=["POST"])
@roles_required(Role.SUPERVISOR)
def lift(case_id: int) -> Response:
    """Lift the legal hold on a case in scope; the next purge catches up."""
    s = db.session()
    case = _case_in_scope(case_id)
    if not HoldForm().validate_on_submit():
        abort(400)
    try:
        services.lift_hold(s, current_user.id, case, utcnow())
    except services.HoldError:
        db.discard(s)
        flash(_("This case is not on legal hold."), "error")
    else:
        flash(_("Legal hold lifted."), "success")
    return redirect(url_for("cases.detail", case_id=case_id))


@bp.app_context_processor
def hold_of_case() -> dict[str, Any]:
    """`legal_hold(case)` for the case page's hold form: (hold or None, opened reason, form)."""

    def legal_hold(case: Case) -> tuple[Any, str | None, HoldForm]:
        s = db.session()
        found = services.active_hold(s, case.id)
        reason = services.hold_reason(s, found) if found is not None else None
        return found, reason, HoldForm(formdata=None)

    return {"legal_hold": legal_hold}
