"""Log-in, log-out, password change and language choice."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
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
from screening.audit import security
from screening.auth import clock, mfa, policy, recovery, sessions, throttle
from screening.auth.access import login_required, public
from screening.auth.forms import (
    ForgotForm,
    LanguageForm,
    LoginForm,
    PasswordChangeForm,
    ResetForm,
    password_message,
)
from screening.auth.models import User
from screening.auth.passwords import HasherBusy
from screening.auth.services import (
    AccountError,
    WeakPassword,
    authenticate,
    change_password,
    has_second_factor,
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


def _now() -> datetime:
    return datetime.fromtimestamp(clock.now(), UTC)


def reset_enabled() -> bool:
    """Forgot-password is offered unless the install logs in through CAS or OIDC only."""
    setting = current_app.config.get("PASSWORD_RESET")
    if setting is not None:
        return bool(setting)
    return not (current_app.config.get("CAS_SERVER_URL") or current_app.config.get("OIDC_ISSUER"))


def _login_page(form: LoginForm, status: int = 200) -> tuple[str, int]:
    sso = {
        "cas": bool(current_app.config.get("CAS_SERVER_URL")),
        "oidc": bool(current_app.config.get("OIDC_ISSUER")),
    }
    page = render_template("auth/login.html", form=form, sso=sso, reset=reset_enabled())
    return page, status


def _throttled(form: LoginForm, retry_after: int) -> Response:
    """The answer to a throttled log-in: the wait, the way out, and a security event."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    security.refused(app, security.RATE_LIMITED, "route", "auth.login")
    minutes = max(1, (retry_after + 59) // 60)
    flash(
        _("Too many wrong passwords for this account. Try again in %(n)d minutes.", n=minutes),
        "error",
    )
    if reset_enabled():
        flash(_("Or use “Forgot password”: the e-mailed link lets you in at once."), "info")
    response = make_response(_login_page(form, 429))
    response.headers["Retry-After"] = str(retry_after)
    return response


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> str | Response | tuple[str, int]:
    """Show the log-in form; one generic error for every failure; guessing is slowed down."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        now = _now()
        gate = throttle.login_gate(form.login.data or "", now)  # committed before any hashing
        if not gate.allowed:
            return _throttled(form, gate.retry_after)
        s = db.session()
        try:
            user = authenticate(s, form.login.data or "", form.password.data or "")
        except HasherBusy:
            throttle.login_not_evaluated(s, gate)
            # The form comes back with the log-in name (never the password) and a wait hint.
            flash(_("Many people are logging in right now. Please try again in a moment."), "info")
            page, _status = _login_page(form)
            return busy(make_response(page))
        if user is None:
            throttle.record_failure(
                s, gate, now, lambda action: url_for("audit.index", action=action)
            )
            record_failed_login(s)
            flash(_("Unknown user or wrong password."), "error")
            return _login_page(form, 401)
        throttle.login_succeeded(s, gate)  # committed with the log-in
        return complete_login(user, "password")
    return _login_page(form)


@bp.route("/forgot", methods=["GET", "POST"])
@public
def forgot() -> str | tuple[str, int]:
    """Ask for a reset link; the same answer whether or not the account exists."""
    if not reset_enabled():
        abort(404)
    if current_user.is_authenticated:
        abort(404)
    form = ForgotForm()
    if form.validate_on_submit():
        s = db.session()
        now = _now()
        identifier = form.identifier.data or ""
        users = recovery.accounts_for(s, identifier)
        verdict = throttle.reset_gate(s, identifier, [u.id for u in users], now)
        if verdict == "address":
            flash(_("Too many requests from your network. Please try again later."), "error")
            return render_template("auth/forgot.html", form=form), 429
        for user in users if verdict == "send" else []:
            recovery.request_reset(s, user, now)
        return render_template("auth/forgot_sent.html")
    return render_template("auth/forgot.html", form=form)


@bp.route("/reset/<token>")
@public
def reset_link(token: str) -> Response:
    """Keep the e-mailed token in the session and drop it from the address bar and history."""
    session["reset_token"] = token[:128]
    return redirect(url_for("auth.reset"))


@bp.route("/reset", methods=["GET", "POST"])
@public
def reset() -> str | Response | tuple[str, int]:
    """Set a new password through the link: once, within 30 minutes; every session ends."""
    token = str(session.get("reset_token") or "")
    s = db.session()
    now = _now()
    user = recovery.user_for(s, token, now) if token else None
    if user is None:
        session.pop("reset_token", None)
        return render_template("auth/reset_invalid.html", reset=reset_enabled()), 404
    form = ResetForm()
    minimum = policy.minimum_length(has_second_factor(s, user))
    if form.validate_on_submit():
        try:
            recovery.use(s, token, form.new.data or "", now, throttle.account_of(user.id))
        except WeakPassword as exc:
            db.discard(s)
            form.new.errors = [*form.new.errors, password_message(exc.reason, exc.minimum)]
            return render_template("auth/reset.html", form=form, minimum=minimum), 400
        except recovery.ResetInvalid:
            db.discard(s)
            session.pop("reset_token", None)
            return render_template("auth/reset_invalid.html", reset=reset_enabled()), 404
        session.pop("reset_token", None)
        flash(
            _(
                "Your new password is set and every session of your account has ended. "
                "Log in with the new password."
            ),
            "success",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, minimum=minimum)


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
