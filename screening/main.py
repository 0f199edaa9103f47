"""The landing page of each role and the health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text
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
    """Health check for load balancers: the database answers."""
    try:
        db.session().execute(text("SELECT 1"))
    except Exception:
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok"), 200
