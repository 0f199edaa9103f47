"""Flask-Login wiring: loading the user from the session id and version."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager
from sqlalchemy.orm import joinedload

from screening import db
from screening.auth.models import User

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to continue.")
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Return the user only if the session's version is current (log-out everywhere works)."""
    try:
        raw_id, raw_version = user_id.split(":", 1)
        uid, version = int(raw_id), int(raw_version)
    except ValueError:
        return None
    user = db.session().get(User, uid, options=[joinedload(User.cohort)])
    if user is None or user.session_version != version or not user.active:
        return None
    return user


def init_app(app: Flask) -> None:
    """Attach Flask-Login to the app."""
    from screening.auth.services import make_app_hasher

    login_manager.init_app(app)
    app.extensions["hasher"] = make_app_hasher(app.config)
