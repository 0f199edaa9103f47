"""Admin pages of case handling: the on-call rota, tier mappings, registrar imports."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from screening import db
from screening.auth.access import roles_required
from screening.auth.models import Role, User
from screening.cases import academic, rule_text, services, tiering, tiers
from screening.cases.forms import AcademicImportForm, CaseActionForm, ShiftForm
from screening.cases.models import OnCallShift, TierMapping
from screening.csvimport import decode
from screening.db import utcnow
from screening.forms import choices

bp = Blueprint("caseadmin", __name__, url_prefix="/cases/admin")


@bp.route("/rota", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def rota() -> str | Response:
    """The on-call rota: who receives crisis alerts when."""
    s = db.session()
    counselors = list(
        s.scalars(select(User).where(User.role == Role.COUNSELOR, User.active.is_(True)))
    )
    form = ShiftForm()
    form.user.choices = choices((str(u.id), u.username or str(u.id)) for u in counselors)
    if form.validate_on_submit():
        zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
        assert form.starts_at.data and form.ends_at.data  # InputRequired
        starts = form.starts_at.data.replace(tzinfo=zone)
        ends = form.ends_at.data.replace(tzinfo=zone)
        if ends <= starts:
            form.ends_at.errors = [*form.ends_at.errors, _("The shift must end after it starts.")]
        else:
            services.add_shift(s, current_user, int(form.user.data), starts, ends)
            flash(_("Shift added."), "success")
            return redirect(url_for("caseadmin.rota"))
    shifts = list(
        s.scalars(
            select(OnCallShift)
            .where(OnCallShift.ends_at > utcnow())
            .order_by(OnCallShift.starts_at)
        )
    )
    names = {u.id: u.username for u in counselors}
    return render_template(
        "cases/rota.html", form=form, shifts=shifts, names=names, remove=CaseActionForm()
    )


@bp.route("/rota/<int:shift_id>/remove", methods=["POST"])
@roles_required(Role.ADMIN)
def rota_remove(shift_id: int) -> Response:
    """Remove a shift."""
    s = db.session()
    if not CaseActionForm().validate_on_submit():
        abort(400)
    shift = s.get(OnCallShift, shift_id)
    if shift is None:
        abort(404)
    services.remove_shift(s, current_user, shift)
    flash(_("Shift removed."), "success")
    return redirect(url_for("caseadmin.rota"))


@bp.route("/tiers")
@roles_required(Role.ADMIN)
def tier_index() -> str:
    """Instruments with their current tier mapping version."""
    s = db.session()
    library = current_app.extensions["library"]
    latest = {i.id: i for i in library.latest()}
    versions = {i: tiers.current(s, i) for i in latest}
    return render_template("cases/tiers.html", instruments=latest, versions=versions)


@bp.route("/tiers/<instrument_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def tier_edit(instrument_id: str) -> str | Response:
    """Set the tier of every band and rule; saving adds a new mapping version."""
    s = db.session()
    library = current_app.extensions["library"]
    if instrument_id not in library.ids():
        abort(404)
    instrument = library.get(instrument_id)
    keys = tiering.keys(instrument)
    mapping = tiers.current(s, instrument_id)
    chosen = tiering.effective(keys, mapping.tiers if mapping else {})
    problems: dict[str, str] = {}
    form = CaseActionForm()
    if request.method == "POST" and form.validate_on_submit():
        chosen = {k.key: request.form.get(k.key, k.default) for k in keys}
        try:
            saved = tiers.save(s, instrument, chosen, current_user.id)
        except tiers.TierMappingError as exc:
            db.discard(s)
            problems = exc.problems
        else:
            flash(_("Saved as version %(n)s.", n=saved.version), "success")
            return redirect(url_for("caseadmin.tier_edit", instrument_id=instrument_id))
    history = list(
        s.scalars(
            select(TierMapping)
            .where(TierMapping.instrument_id == instrument_id)
            .order_by(TierMapping.version.desc())
        )
    )
    return render_template(
        "cases/tier_edit.html",
        instrument=instrument,
        keys=keys,
        key_label=lambda key: rule_text.key_label(instrument, key, str(get_locale())),
        chosen=chosen,
        problems=problems,
        history=history,
        form=form,
        tier_values=tiering.TIERS,
    )


@bp.route("/academic", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def academic_import() -> str:
    """Upload registrar data; every bad row is listed and nothing is imported unless asked."""
    s = db.session()
    form = AcademicImportForm()
    errors: list[tuple[int, str]] = []
    result = None
    thresholds = current_app.config["CASE_ACADEMIC_THRESHOLDS"]
    if form.validate_on_submit():
        try:
            parsed = academic.parse(decode(form.file.data.read()))
        except ValueError as exc:
            parsed = academic.AcademicParse(errors=[(1, str(exc))])
        found, unknown = academic.students(s, parsed.rows)
        errors = sorted(parsed.errors + unknown)
        if not errors or (form.skip_invalid.data and parsed.rows):
            result = academic.apply(
                s, parsed.rows, found, thresholds, actor_id=current_user.id, skipped=len(errors)
            )
    return render_template(
        "cases/academic.html", form=form, errors=errors, result=result, thresholds=thresholds
    )
