"""Second-factor pages: enrolment with a QR code, verification, new recovery codes."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from screening import db
from screening.auth import mfa, sessions, stepup, throttle
from screening.auth.access import login_required
from screening.auth.forms import CodeForm, ToggleForm

bp = Blueprint("mfa", __name__, url_prefix="/auth/mfa")


def _account_name() -> str:
    return str(current_user.username or _("student"))


@bp.route("", methods=["GET", "POST"])
@login_required
def verify() -> str | Response | tuple[str, int]:
    """Ask for the authenticator's code (or a recovery code) to finish logging in."""
    s = db.session()
    if not mfa.enrolled(s, current_user):
        return redirect(url_for("mfa.setup"))
    if sessions.mfa_complete():
        return redirect(url_for("main.index"))
    form = CodeForm()
    if form.validate_on_submit():
        gate = throttle.code_gate(current_user.id)  # 429 when refused
        try:
            used = mfa.verify(s, current_user, form.code.data or "")
        except mfa.MfaError:
            db.discard(s)
            stepup.audit_failure(s, "login")
            form.code.errors = [*form.code.errors, _("This code is not valid. Try the next one.")]
            return render_template("auth/mfa_verify.html", form=form), 401
        throttle.login_succeeded(s, gate)
        if used == "recovery":
            left = mfa.remaining_recovery_codes(s, current_user)
            flash(_("You used a recovery code; %(n)d are left.", n=left), "info")
        return redirect(sessions.second_factor_done() or url_for("main.index"))
    return render_template("auth/mfa_verify.html", form=form)


@bp.route("/setup", methods=["GET", "POST"])
@login_required
def setup() -> str | Response | tuple[str, int]:
    """Enrol an authenticator app: scan the QR code, confirm with a code."""
    s = db.session()
    if mfa.enrolled(s, current_user):
        if not sessions.mfa_complete():
            return redirect(url_for("mfa.verify"))
        remaining = mfa.remaining_recovery_codes(s, current_user)
        return render_template(
            "auth/mfa_setup.html", enrolled=True, button=ToggleForm(), remaining=remaining
        )
    secret = mfa.pending_secret(s, current_user)
    if secret is None:
        return render_template("auth/mfa_setup.html", enrolled=False, button=ToggleForm())
    form = CodeForm()
    if form.validate_on_submit():
        gate = throttle.code_gate(current_user.id)
        try:
            codes = mfa.confirm(s, current_user, form.code.data or "")
        except mfa.MfaError:
            db.discard(s)
            stepup.audit_failure(s, "enrolment")
            form.code.errors = [*form.code.errors, _("This code is not valid. Try the next one.")]
            page = render_template("auth/mfa_setup.html", enrolled=False, secret=secret, form=form)
            return page, 401
        throttle.login_succeeded(s, gate)
        sessions.second_factor_done()
        return _show_codes(codes)
    return render_template("auth/mfa_setup.html", enrolled=False, secret=secret, form=form)


@bp.route("/setup/start", methods=["POST"])
@login_required
def start() -> Response:
    """Create a new secret for enrolment (POST: it writes), then show it on the setup page."""
    if not ToggleForm().validate_on_submit():
        abort(400)
    s = db.session()
    if not mfa.enrolled(s, current_user):
        mfa.begin(s, current_user)
    return redirect(url_for("mfa.setup"))


@bp.route("/qr.svg")
@login_required
def qr() -> Response:
    """The QR code of a pending enrolment, drawn by the app (the secret leaves only to the user)."""
    secret = mfa.pending_secret(db.session(), current_user)
    if secret is None:
        abort(404)
    response = make_response(mfa.qr_svg(mfa.provisioning_uri(secret, _account_name())))
    response.mimetype = "image/svg+xml"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/recovery-codes", methods=["POST"])
@login_required
def recovery_codes() -> str | Response:
    """Replace the recovery codes and show the new ones once."""
    if not ToggleForm().validate_on_submit():
        abort(400)
    s = db.session()
    if not mfa.enrolled(s, current_user):
        abort(404)
    codes = mfa.new_recovery_codes(s, current_user)
    return _show_codes(codes)


def _show_codes(codes: list[str]) -> Response:
    response = make_response(render_template("auth/mfa_codes.html", codes=codes))
    response.headers["Cache-Control"] = "no-store"
    return response
