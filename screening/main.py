"""The landing page of each role and the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from screening import db
from screening.auth.access import login_required, public

bp = Blueprint("main", __name__)


@bp.route("/")
@public
def index() -> Response | str:
    """Send each user to their home page; visitors to the log-in page."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for("main.home"))


@bp.route("/home")
@login_required
def home() -> str:
    """The role's home: what this user can do here."""
    if current_user.role == "student":
        from screening.responses.routes import student_screenings

        return student_screenings("main/home_student.html")
    return render_template("main/home.html")


@bp.route("/healthz")
@public
def healthz() -> tuple[Response, int]:
    """Health check for load balancers: the database answers and can commit a write."""
    from screening.health import check_writes

    session = db.session()
    try:
        db.for_writing(session)
        check_writes(session)
    except Exception as exc:  # unreachable, read-only, disk full: take this host out
        db.discard(session)
        current_app.logger.error("health check failed: %s", type(exc).__name__)
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok"), 200
