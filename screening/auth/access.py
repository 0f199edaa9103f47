"""Least privilege by construction: every endpoint declares who may reach it, or nobody can."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, redirect, request, session, url_for
from flask_login import current_user

from screening.auth.models import Role

F = TypeVar("F", bound=Callable[..., Any])
ACCESS_ATTR = "_screening_access"
PUBLIC = "public"
AUTHENTICATED = "authenticated"
MFA_OK = "mfa_ok"  # the session key set by screening.auth.sessions

#: The only non-public endpoints a user who has not completed the second factor may reach.
MFA_PENDING_ALLOWED = frozenset({"mfa.verify", "mfa.setup", "mfa.start", "mfa.qr", "auth.logout"})


def public(view: F) -> F:
    """Mark a view as reachable without logging in (log-in page, health check, errors)."""
    setattr(view, ACCESS_ATTR, PUBLIC)
    return view


def login_required(view: F) -> F:
    """Mark a view as reachable by any logged-in user, whatever the role."""
    setattr(view, ACCESS_ATTR, AUTHENTICATED)
    return view


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Mark a view as reachable only by users holding one of these roles."""

    def mark(view: F) -> F:
        setattr(view, ACCESS_ATTR, frozenset(str(r) for r in roles))
        return view

    return mark


def access_rule(app: Flask, endpoint: str) -> Any:
    """Return the access mark of an endpoint's view (None when it has none)."""
    view = app.view_functions.get(endpoint)
    return getattr(view, ACCESS_ATTR, None)


def enforce() -> Any:
    """before_request: deny unless the endpoint's mark admits the current user."""
    endpoint = request.endpoint
    if endpoint is None:
        return None  # 404 or 405 follows from routing
    if endpoint == "static":
        return None
    rule = access_rule(current_app, endpoint)
    if rule is None:
        abort(403)  # a view without a declared rule is reachable by nobody
    if rule == PUBLIC:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if not session.get(MFA_OK) and endpoint not in MFA_PENDING_ALLOWED:
        return redirect(url_for("mfa.verify"))  # second factor first, whatever was asked
    if rule == AUTHENTICATED:
        return None
    if current_user.role not in rule:
        abort(403)
    return None
