"""Single sign-on log-in through the campus CAS or an OpenID Connect provider (optional)."""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from screening import db
from screening.auth import clock, sso
from screening.auth.access import public
from screening.auth.routes import complete_login, safe_next
from screening.auth.services import find_by_login, record_failed_login

log = logging.getLogger(__name__)
bp = Blueprint("sso", __name__, url_prefix="/auth/sso")
NEXT = "sso_next"
OIDC = "oidc_request"


def _callback(endpoint: str) -> str:
    """Our callback address from BASE_URL, never from the request's Host header."""
    return str(current_app.config["BASE_URL"]).rstrip("/") + url_for(endpoint)


def _refuse(method: str, why: str) -> Response:
    log.warning("%s log-in refused: %s", method, why)
    s = db.session()
    db.for_writing(s)  # a GET callback
    record_failed_login(s, method)
    flash(_("Single sign-on did not succeed. Try again or log in with your password."), "error")
    return redirect(url_for("auth.login"))


def _finish(method: str, login: str) -> Response:
    """Map the provider's name to an existing active account (never create one) and log in."""
    user = find_by_login(db.session(), login)
    if user is None or not user.active:
        return _refuse(method, "no active account for this identity")
    return complete_login(user, method, skip_mfa=bool(current_app.config["SSO_SKIPS_MFA"]))


@bp.route("/cas")
@public
def cas_login() -> Response:
    """Send the browser to the campus CAS log-in page."""
    server = current_app.config.get("CAS_SERVER_URL")
    if not server:
        abort(404)
    session[NEXT] = safe_next(request.args.get("next"))
    return redirect(sso.cas_login_url(server, _callback("sso.cas_callback")))


@bp.route("/cas/callback")
@public
def cas_callback() -> Response:
    """Validate the CAS ticket (single use, checked by the CAS server) and log in."""
    server = current_app.config.get("CAS_SERVER_URL")
    if not server:
        abort(404)
    try:
        name = sso.cas_validate(
            server,
            _callback("sso.cas_callback"),
            request.args.get("ticket", ""),
            float(current_app.config["SSO_TIMEOUT"]),
        )
    except sso.SsoError as exc:
        return _refuse("cas", str(exc))
    return _finish("cas", name)


@bp.route("/oidc")
@public
def oidc_login() -> Response:
    """Start the authorization code flow with PKCE, state and nonce."""
    config = current_app.config
    if not config.get("OIDC_ISSUER"):
        abort(404)
    try:
        meta = sso.discover(str(config["OIDC_ISSUER"]), float(config["SSO_TIMEOUT"]))
    except sso.SsoError as exc:
        return _refuse("oidc", str(exc))
    begun = sso.oidc_begin(
        meta, str(config["OIDC_CLIENT_ID"]), _callback("sso.oidc_callback"), config["OIDC_SCOPES"]
    )
    session[NEXT] = safe_next(request.args.get("next"))
    session[OIDC] = {"state": begun.state, "nonce": begun.nonce, "verifier": begun.verifier}
    return redirect(begun.url)


@bp.route("/oidc/callback")
@public
def oidc_callback() -> Response:
    """Check the state, redeem the code, verify the ID token and log in."""
    config = current_app.config
    if not config.get("OIDC_ISSUER"):
        abort(404)
    pending = session.pop(OIDC, None)
    state = request.args.get("state", "")
    if not isinstance(pending, dict) or not hmac.compare_digest(
        str(pending.get("state", "")), state
    ):
        return _refuse("oidc", "state missing or different")
    if "code" not in request.args:
        return _refuse("oidc", "no code (the provider reported an error)")
    try:
        meta = sso.discover(str(config["OIDC_ISSUER"]), float(config["SSO_TIMEOUT"]))
        claims = sso.oidc_finish(
            meta,
            config,
            code=request.args["code"],
            redirect_uri=_callback("sso.oidc_callback"),
            nonce=str(pending["nonce"]),
            verifier=str(pending["verifier"]),
            now=clock.now(),
        )
    except sso.SsoError as exc:
        return _refuse("oidc", str(exc))
    login = claims.get(str(config["OIDC_LOGIN_CLAIM"]))
    if not isinstance(login, str) or not login.strip():
        return _refuse("oidc", "the ID token lacks the log-in claim")
    return _finish("oidc", login)
