"""Throttling of guessing (log-in, second factor, password change) and the proxy setting.

Flask-Limiter counts failed attempts per account and per client address in
RATELIMIT_STORAGE_URI (Redis shared by every worker and host, or memory). An exceeded limit
answers 429 with Retry-After; nothing is ever locked, so an attacker cannot shut a student
out for longer than the window. The client address comes from X-Forwarded-For only when
TRUSTED_PROXIES > 0 (werkzeug's ProxyFix with that many hops); otherwise a forged header
changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response


def client_address() -> str:
    """The client's address (the proxy-corrected one when proxies are trusted)."""
    return request.remote_addr or "unknown"


def _keyed(value: str) -> str:
    """A keyed hash, so the limiter's storage never holds a log-in name."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def login_account() -> str:
    """The account a log-in attempt names (normalised like the look-up), as a keyed hash."""
    login = unicodedata.normalize("NFKC", request.form.get("login", "")).strip().casefold()
    return "account:" + _keyed(login)


def current_account() -> str:
    """The logged-in user, for the second factor and password change."""
    uid = current_user.get_id().split(":")[0] if current_user.is_authenticated else "-"
    return "user:" + _keyed(uid)


def failed(response: Response) -> bool:
    """Only failures count: a class logging in from one campus address is not slowed down."""
    return response.status_code in (400, 401)


def _limit(key: str) -> Callable[[], str]:
    return lambda: str(current_app.config[key])


#: endpoint -> (configuration key of the limit, whose attempts it counts)
THROTTLED: dict[str, list[tuple[str, Callable[[], str]]]] = {
    "auth.login": [
        ("LOGIN_LIMIT_ACCOUNT", login_account),
        ("LOGIN_LIMIT_ADDRESS", client_address),
    ],
    "mfa.verify": [("MFA_LIMIT_ACCOUNT", current_account), ("MFA_LIMIT_ADDRESS", client_address)],
    "mfa.setup": [("MFA_LIMIT_ACCOUNT", current_account), ("MFA_LIMIT_ADDRESS", client_address)],
    "auth.password": [("LOGIN_LIMIT_ACCOUNT", current_account)],
}


def init_app(app: Flask) -> None:
    """Trust the configured proxies, then wrap the throttled views of this app."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )
    limiter = Limiter(
        client_address,
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        strategy="moving-window",
        headers_enabled=True,
        key_prefix=str(app.config.get("RATELIMIT_KEY_PREFIX", "screening")),
        in_memory_fallback_enabled=True,
    )
    limiter.init_app(app)
    app.extensions["screening_limiter"] = limiter
    for endpoint, limits in THROTTLED.items():
        view: Any = app.view_functions.get(endpoint)  # wrapped in turn by each limit
        if view is None:
            continue
        for config_key, key_func in limits:
            view = limiter.limit(
                _limit(config_key),
                key_func=key_func,
                methods=["POST"],
                deduct_when=failed,
                scope=f"{endpoint}:{config_key}",
            )(view)
        app.view_functions[endpoint] = view
