"""Throttling of guessing (log-in, reset e-mails, second factor, password change) and the proxy.

Log-in attempts are counted in the database (screening.auth.counters): an attempt is taken,
in its own short committed transaction, before the password is evaluated, so concurrent
requests on any number of workers and hosts never evaluate more passwords than the limit, and
the count does not depend on Redis. Per account (per account and address pair for staff with a
second factor, so an attacker elsewhere cannot slow them down) the first attempts are free,
then each failure doubles a delay; the e-mailed reset link clears it. Successes do not count.
Second-factor codes are counted the same way (per account and per address). Only the
password change keeps Flask-Limiter in RATELIMIT_STORAGE_URI.
The client address comes from X-Forwarded-For only when TRUSTED_PROXIES > 0 (werkzeug's
ProxyFix with that many hops); otherwise a forged header changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_login import current_user
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.exceptions import TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from screening.auth import clock, counters
from screening.auth.counters import Rule, Want
from screening.auth.models import Role, User
from screening.auth.security_models import LoginFailure

#: One alert to the admins per this period and kind of attack, however long it lasts.
ALERT_EVERY = timedelta(minutes=15)


def client_address() -> str:
    """The client's address (the proxy-corrected one when proxies are trusted)."""
    return request.remote_addr or "unknown"


def _keyed(value: str) -> str:
    """A keyed hash, so no counter ever holds a log-in name or an address."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def normalised(login: str) -> str:
    """A typed log-in name as the counters see it."""
    return unicodedata.normalize("NFKC", login).strip().casefold()


def account_of(user_id: int) -> str:
    """The keyed hash naming an existing account in every counter of it."""
    return _keyed(f"user:{user_id}")


def _rule(attempts: int) -> Rule:
    c = current_app.config
    return Rule(
        free=max(1, int(attempts)),
        delay=float(c["LOGIN_DELAY"]),
        max_delay=float(c["LOGIN_DELAY_MAX"]),
        forget=float(c["LOGIN_FORGET"]),
    )


def _reset_rule(attempts: int) -> Rule:
    """Reset e-mails: a few, then ten minutes doubling up to an hour (no mail bombing)."""
    return Rule(free=max(1, int(attempts)), delay=600.0, max_delay=3600.0, forget=86400.0)


@dataclass
class Gate:
    """An attempt taken (or refused) before the password is evaluated."""

    allowed: bool
    retry_after: int
    wants: list[Want]
    account: str
    address: str
    exhausted: list[Want] = field(default_factory=list)


def _login_wants(session: Session, login: str) -> tuple[list[Want], str]:
    from screening.auth.services import find_by_login, has_second_factor

    address = client_address()
    user = find_by_login(session, login)
    account = account_of(user.id) if user else _keyed("login:" + normalised(login))
    rule = _rule(current_app.config["LOGIN_ACCOUNT_ATTEMPTS"])
    if user is not None and Role(user.role) != Role.STUDENT and has_second_factor(session, user):
        own = Want("login:pair:" + _keyed(f"{user.id}|{address}"), account, rule)
    else:
        own = Want("login:acct:" + account, account, rule)
    by_address = Want(
        "login:addr:" + _keyed(address), None, _rule(current_app.config["LOGIN_ADDRESS_ATTEMPTS"])
    )
    return [own, by_address], account


def login_gate(login: str, now: datetime) -> Gate:
    """Take one attempt for this log-in name and address, committed before any hashing."""
    from screening import db

    request_session = db.session()
    if request_session.in_transaction():
        # Only reads so far (the session loader looking at an old cookie): end them, so the
        # counter's own transaction can take SQLite's writer lock instead of waiting for it.
        db.end_reading(request_session)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with db.work(app) as session:  # its own unit of work: counted even if the request fails
        wants, account = _login_wants(session, login)
        taken = counters.take(session, wants, now)
    address = _keyed(client_address())
    return Gate(taken.allowed, taken.retry_after, wants, account, address, taken.exhausted)


def now() -> datetime:
    """The counters' clock (screening.auth.clock, which tests move forward)."""
    return datetime.fromtimestamp(clock.now(), UTC)


def code_gate(user_id: int) -> Gate:
    """Take one attempt at a second-factor code (log-in, enrolment, step-up) before it is
    checked, committed at once like the password's; 429 with Retry-After when refused.

    Not tied to the account's reset: the e-mailed link proves the mailbox, not the phone.
    """
    from screening import db

    request_session = db.session()
    if request_session.in_transaction():
        db.end_reading(request_session)  # reads only so far; frees SQLite's writer
    c = current_app.config
    account = account_of(user_id)
    wants = [
        Want("mfa:acct:" + account, None, _rule(c["MFA_ACCOUNT_ATTEMPTS"])),
        Want("mfa:addr:" + _keyed(client_address()), None, _rule(c["MFA_ADDRESS_ATTEMPTS"])),
    ]
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with db.work(app) as session:  # its own unit of work, like the password's
        taken = counters.take(session, wants, now())
    if not taken.allowed:
        raise TooManyRequests(retry_after=taken.retry_after)
    return Gate(True, 0, wants, account, _keyed(client_address()), taken.exhausted)


def login_succeeded(session: Session, gate: Gate) -> None:
    """The right password or code: forget the account's failures, give the address its attempt
    back.

    In the request's own transaction (it already writes the log-in), committed with it.
    """
    own, by_address = gate.wants
    counters.clear(session, own.key)
    counters.refund(session, by_address)


def login_not_evaluated(session: Session, gate: Gate) -> None:
    """The hasher was busy: the attempt never happened, so it is given back everywhere."""
    for want in gate.wants:
        counters.refund(session, want)


@dataclass(frozen=True)
class Attack:
    """What a failed log-in revealed: an account whose free attempts ran out, or a spray."""

    throttled: bool
    spray: bool
    alert: bool


def login_failed(session: Session, gate: Gate, now: datetime) -> Attack:
    """Record a failure in the caller's transaction; say whether it began a throttle or spray."""
    c = current_app.config
    session.add(LoginFailure(address=gate.address, account=gate.account, at=now))
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - timedelta(days=1)))
    counters.forget_older(session, now - timedelta(seconds=2 * float(c["LOGIN_FORGET"])))
    session.flush()
    window = now - timedelta(seconds=int(c["LOGIN_SPRAY_WINDOW"]))
    accounts = session.scalar(
        select(func.count(func.distinct(LoginFailure.account))).where(
            LoginFailure.address == gate.address, LoginFailure.at >= window
        )
    )
    spray = int(accounts or 0) >= int(c["LOGIN_SPRAY_ACCOUNTS"]) and counters.first_alert(
        session, "spray:" + gate.address, now, ALERT_EVERY
    )
    throttled = any(w.account is not None for w in gate.exhausted)
    alert = (throttled or spray) and counters.first_alert(session, "alert:login", now, ALERT_EVERY)
    return Attack(throttled, spray, alert)


def record_failure(
    session: Session, gate: Gate, now: datetime, link_for: Callable[[str], str]
) -> None:
    """Count a wrong password; audit a throttle that began or a spray and alert the admins.

    Counter rows come before audit heads in every transaction, so no lock-order deadlock.
    """
    from screening.audit.services import append as audit
    from screening.notify.services import enqueue

    attack = login_failed(session, gate, now)
    if attack.throttled:
        audit(
            session,
            actor_id=None,
            action="security.login_throttled",
            target_type="account",
            target_id=gate.account[:12],
        )
    if attack.spray:
        audit(
            session,
            actor_id=None,
            action="security.password_spray",
            target_type="address",
            target_id=gate.address[:12],
        )
    if attack.alert:
        action = "security.password_spray" if attack.spray else "security.login_throttled"
        for admin in admins(session):
            enqueue(
                session, recipient_id=admin.id, kind="security.login", link_path=link_for(action)
            )


def reset_gate(session: Session, identifier: str, user_ids: list[int], now: datetime) -> str:
    """Take one reset e-mail for these accounts and this address (the caller commits).

    Returns "send", "quiet" (an account had enough e-mails: the page says the same as ever,
    so nobody learns whether it exists) or "address" (this address asked too often: 429).
    """
    c = current_app.config
    accounts = [account_of(uid) for uid in user_ids] or [_keyed("reset:" + normalised(identifier))]
    per_account = _reset_rule(c["RESET_ACCOUNT_ATTEMPTS"])
    wants = [Want("reset:acct:" + a, None, per_account) for a in accounts]
    address = Want(
        "reset:addr:" + _keyed(client_address()), None, _reset_rule(c["RESET_ADDRESS_ATTEMPTS"])
    )
    taken = counters.take(session, [*wants, address], now)
    if taken.allowed:
        return "send"
    return "address" if address in taken.refused else "quiet"


def admins(session: Session) -> list[User]:
    """Who is alerted of an attack on log-ins."""
    query = select(User).where(User.role == Role.ADMIN, User.active.is_(True))
    return list(session.scalars(query))


def current_account() -> str:
    """The logged-in user, for the second factor and password change."""
    uid = current_user.get_id().split(":")[0] if current_user.is_authenticated else "-"
    return "user:" + _keyed(uid)


def failed(response: Response) -> bool:
    """Only failures count: a class logging in from one campus address is not slowed down."""
    return response.status_code in (400, 401)


def _limit(key: str) -> Callable[[], str]:
    return lambda: str(current_app.config[key])


#: endpoint -> (configuration key of the limit, whose attempts it counts), in Flask-Limiter
THROTTLED: dict[str, list[tuple[str, Callable[[], str]]]] = {
    "auth.password": [("PASSWORD_CHANGE_LIMIT", current_account)],
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
            # Flask-Limiter types the wrapped view as possibly async; these views are not.
            view = limiter.limit(
                _limit(config_key),
                key_func=key_func,
                methods=["POST"],
                deduct_when=failed,
                scope=f"{endpoint}:{config_key}",
            )(view)
        app.view_functions[endpoint] = view
