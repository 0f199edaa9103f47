"""Log-in, log-out and language choice."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from screening import db
from screening.audit.services import append as audit
from screening.auth.access import login_required, public
from screening.auth.forms import LanguageForm, LoginForm
from screening.auth.services import authenticate

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


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> str | Response:
    """Show the log-in form; one generic error for every failure."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        s = db.session()
        user = authenticate(s, form.login.data or "", form.password.data or "")
        if user is None:
            audit(s, actor_id=None, action="login.failed", target_type="login", target_id=None)
            s.commit()
            flash(_("Unknown user or wrong password."), "error")
            return render_template("auth/login.html", form=form), 401
        chosen = session.get("lang")
        session.clear()  # a fresh session at log-in: nothing carried over but the language
        login_user(user)
        if user.locale or chosen:
            session["lang"] = user.locale or chosen
        audit(s, actor_id=user.id, action="login", target_type="user", target_id=str(user.id))
        s.commit()
        return redirect(safe_next(request.args.get("next")) or url_for("main.index"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    """End the session (POST only, with CSRF)."""
    s = db.session()
    current_user.session_version += 1  # a replayed cookie of any session of this user is dead
    audit(
        s,
        actor_id=current_user.id,
        action="logout",
        target_type="user",
        target_id=str(current_user.id),
    )
    s.commit()
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
@public
def language() -> Response:
    """Switch the interface language and remember it for a logged-in user."""
    form = LanguageForm()
    if form.validate_on_submit():
        session["lang"] = form.lang.data
        if current_user.is_authenticated:
            current_user.locale = form.lang.data
            db.session().commit()
    return redirect(safe_next(request.form.get("next")) or url_for("main.index"))
