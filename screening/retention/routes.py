"""The admin's retention policy page: how long each category of data is kept."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from screening import db
from screening.auth.access import roles_required
from screening.auth.models import Role
from screening.db import utcnow
from screening.retention import policy as pol
from screening.retention import services
from screening.retention.forms import CATEGORY_NAMES, PolicyForm

bp = Blueprint("retention", __name__, url_prefix="/retention")


def minimums() -> dict[str, int]:
    """The install's minimum period per category."""
    return pol.minimums(current_app.config.get("RETENTION_MINIMUM_DAYS"))


@bp.route("/policy", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def policy() -> str | Response | tuple[str, int]:
    """Show and change the retention period of each data category (changes audited)."""
    s = db.session()
    current = services.current_policy(s)
    form = PolicyForm(data=current)
    floor = minimums()
    status = 200
    if form.validate_on_submit():
        days = {c: int(form[c].data) for c in pol.CATEGORIES}
        try:
            services.set_policy(s, current_user.id, days, floor, utcnow())
        except services.PolicyTooShort as exc:
            s.rollback()
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
            s.commit()
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
