"""Screening: student wellbeing screening with case management for counselling centres."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: the one place that wires configuration, data, security and features."""
    instance = os.environ.get("SCREENING_INSTANCE_PATH") or str(ROOT / "instance")
    if test_config and test_config.get("INSTANCE_PATH"):
        instance = str(test_config["INSTANCE_PATH"])
    app = Flask(
        __name__,
        instance_path=str(Path(instance).resolve()),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    _configure(app, test_config)
    _data(app)
    _security(app)
    _features(app)
    _commands(app)
    return app


def _configure(app: Flask, test_config: dict[str, Any] | None) -> None:
    from screening import config, i18n, logs, startup

    try:
        config.load(app, test_config)
    except config.ConfigError as exc:
        if not startup.deferred():  # `init` must be able to run before a secret exists
            raise
        app.extensions["startup_error"] = str(exc)
    logs.init_app(app)
    i18n.init_app(app)


def _data(app: Flask) -> None:
    from screening import db, startup

    db.init_app(app)
    try:
        startup.load_keys(app)
        startup.load_questionnaires(app)
    except startup.StartupError:
        app.extensions["engine"].dispose()  # close pooled connections before giving up
        raise
    # Start-up checks used pooled connections; drop them, so that processes forked from this
    # one (gunicorn's preloaded workers) never share a database connection.
    app.extensions["engine"].dispose()


def _security(app: Flask) -> None:
    from flask_wtf import CSRFProtect

    from screening import errors
    from screening.auth import access, sessions, setup

    CSRFProtect(app)
    setup.init_app(app)
    errors.init_app(app)
    app.before_request(sessions.check_timeouts)  # an expired session is gone before the check
    app.before_request(access.enforce)


def _features(app: Flask) -> None:
    from screening import db, main, templating
    from screening.admin.routes import bp as admin_bp
    from screening.audit.routes import bp as audit_bp
    from screening.auth import throttle
    from screening.auth.mfa_routes import bp as mfa_bp
    from screening.auth.routes import bp as auth_bp
    from screening.auth.sso_routes import bp as sso_bp
    from screening.campaigns.routes import bp as campaigns_bp
    from screening.cases.admin_routes import bp as caseadmin_bp
    from screening.cases.routes import bp as cases_bp
    from screening.keys import display, watch
    from screening.notify.routes import bp as notify_bp
    from screening.referrals.routes import bp as referrals_bp
    from screening.responses import record_routes as _record  # noqa: F401 - adds its routes to bp
    from screening.responses.routes import bp as responses_bp
    from screening.retention.routes import bp as retention_bp
    from screening.stats.routes import bp as stats_bp

    templating.init_app(app)
    display.init_app(app)
    watch.init_app(app)
    app.register_blueprint(main.bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(mfa_bp)
    app.register_blueprint(sso_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(campaigns_bp)
    app.register_blueprint(responses_bp)
    app.register_blueprint(cases_bp)
    app.register_blueprint(retention_bp)
    app.register_blueprint(caseadmin_bp)
    app.register_blueprint(notify_bp)
    app.register_blueprint(referrals_bp)
    app.register_blueprint(stats_bp)
    throttle.init_app(app)  # after every blueprint: it wraps the throttled views
    db.wrap_views(app)  # last: each request's one commit (or rollback) after its view


def _commands(app: Flask) -> None:
    from screening.cli import register

    register(app)
