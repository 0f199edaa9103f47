"""Log-in, log-out, password change and language choice."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from screening import db
from screening.auth import mfa, sessions
from screening.auth.access import login_required, public
from screening.auth.forms import LanguageForm, LoginForm, PasswordChangeForm, password_message
from screening.auth.models import User
from screening.auth.passwords import HasherBusy
from screening.auth.services import (
    AccountError,
    WeakPassword,
    authenticate,
    change_password,
    log_out_everywhere,
    record_failed_login,
    record_login,
)
from screening.errors import busy

bp = Blueprint("auth", __name__, url_prefix="/auth")


def safe_next(target: str | None) -> str | None:
    """Accept `next` only as a local path: no scheme, no host, no backslash tricks."""
    if not target:
        return None
    target = target.strip()
    if (
        any(c in target for c in "\\\t\r\n")
        or not target.startswith("/")
        or target.startswith("//")
    ):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def complete_login(user: User, method: str, *, skip_mfa: bool = False) -> Response:
    """Start a fresh session (second factor pending when needed) and say where to go next."""
    s = db.session()
    pending = not skip_mfa and (mfa.required(user) or mfa.enrolled(s, user))
    target = safe_next(request.args.get("next")) or safe_next(session.get("sso_next"))
    sessions.start(user, second_factor_pending=pending, next_url=target)
    db.for_writing(s)  # single sign-on ends here on a GET callback
    record_login(s, user, method)
    if pending:
        return redirect(url_for("mfa.verify"))
    return redirect(target or url_for("main.index"))


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> str | Response | tuple[str, int]:
    """Show the log-in form; one generic error for every failure."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    sso = {
        "cas": bool(current_app.config.get("CAS_SERVER_URL")),
        "oidc": bool(current_app.config.get("OIDC_ISSUER")),
    }
    if form.validate_on_submit():
        s = db.session()
        try:
            user = authenticate(s, form.login.data or "", form.password.data or "")
        except HasherBusy:
            # The form comes back with the log-in name (never the password) and a wait hint.
            flash(_("Many people are logging in right now. Please try again in a moment."), "info")
            return busy(make_response(render_template("auth/login.html", form=form, sso=sso)))
        if user is None:
            record_failed_login(s)
            flash(_("Unknown user or wrong password."), "error")
            return render_template("auth/login.html", form=form, sso=sso), 401
        return complete_login(user, "password")
    return render_template("auth/login.html", form=form, sso=sso)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    """End every session of this user (POST only, with CSRF)."""
    s = db.session()
    log_out_everywhere(s, current_user)
    sessions.end()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password() -> str | Response | tuple[str, int]:
    """Change one's own password; every other session of the user ends."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        s = db.session()
        try:
            change_password(s, current_user, form.current.data or "", form.new.data or "")
        except WeakPassword as exc:
            form.new.errors = [*form.new.errors, password_message(exc.reason, exc.minimum)]
        except AccountError:
            form.current.errors = [*form.current.errors, _("The current password is wrong.")]
        else:
            sessions.refresh_login(current_user)
            flash(_("Your password was changed. Other sessions have ended."), "success")
            return redirect(url_for("main.home"))
        db.discard(s)
        return render_template("auth/password.html", form=form), 400
    return render_template("auth/password.html", form=form)


@bp.route("/language", methods=["POST"])
@public
def language() -> Response:
    """Switch the interface language and remember it for a logged-in user."""
    form = LanguageForm()
    if form.validate_on_submit():
        session["lang"] = form.lang.data
        if current_user.is_authenticated:
            current_user.locale = form.lang.data
    return redirect(safe_next(request.form.get("next")) or url_for("main.index"))
