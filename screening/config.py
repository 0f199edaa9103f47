"""Configuration: defaults, then instance/config.py, then SCREENING_* variables, then tests."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

SECRET_FILE = "secret_key"  # noqa: S105 - a file name, not a secret
INSECURE_SECRETS = {"", "dev", "change-me", "secret"}
SMALL_CELL_FLOOR = 5  # the same floor as screening.stats.suppression.MINIMUM_FLOOR


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the message says what to do."""


def defaults(instance_path: Path) -> dict[str, Any]:
    """Return the built-in defaults; every one is safe for production."""
    return {
        "ENVIRONMENT": "production",  # production | development | test
        "DEBUG": False,
        "SECRET_KEY": None,
        "DATABASE_URL": f"sqlite:///{instance_path / 'screening.sqlite'}",
        "DATABASE_ECHO": False,
        "KEYRING_PATH": str(instance_path / "keyring.json"),
        "KEYRING_ENV": None,  # name of an environment variable holding the key ring
        # Seconds between looks at the key-ring file while serving (a swapped or missing file
        # is reported, a rotated one taken up, within this time).
        "KEYRING_REFRESH_SECONDS": 30,
        "QUESTIONNAIRES_PATH": str(Path(__file__).resolve().parent.parent / "questionnaires"),
        "BASE_URL": "http://127.0.0.1:5000",
        "LANGUAGES": ["zh_Hans", "en"],
        "BABEL_DEFAULT_LOCALE": "zh_Hans",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": True,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": True,
        "WTF_CSRF_TIME_LIMIT": 3600 * 4,
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 25,
        "MAIL_FROM": "screening@localhost",
        "MAIL_USERNAME": "",  # SMTP log-in, when the relay requires one
        "MAIL_PASSWORD": "",
        "MAIL_STARTTLS": False,
        "SMALL_CELL_MINIMUM": 10,
        # Time to first contact per risk tier, in hours; escalation starts after it.
        "CASE_SLA_HOURS": {"crisis": 1, "high": 24, "moderate": 72},
        # Registrar signals that open an academic case: failed_credits >= X, gpa < Y,
        # absences >= Z (one crossed: moderate tier; two or more: high).
        "CASE_ACADEMIC_THRESHOLDS": {"failed_credits": 10, "gpa": 2.0, "absences": 15},
        # Tiers of a student's own request for contact and of a concern report, by the urgency
        # chosen (talk of death or self-harm in a report is a crisis whatever is set here).
        "REFERRAL_SELF_TIERS": {"now": "crisis", "soon": "high", "week": "moderate"},
        "REFERRAL_CONCERN_TIERS": {"urgent": "crisis", "soon": "high", "routine": "moderate"},
        # Concern reports one reporter may send in 24 hours.
        "REFERRAL_REPORTS_PER_DAY": 10,
        # Tell a student's class counselor (辅导员) when the student has an open crisis case.
        "REFERRAL_TELL_CLASS_COUNSELOR": True,
        "WORKER_INTERVAL_SECONDS": 30,
        "RECORD_SHOW_STAFF_NAMES": False,  # students see who looked by role; True adds names
        "RETENTION_MINIMUM_DAYS": {},  # per category, raising screening.retention.policy floors
        # The worker appends the audit chain heads here: keep it off the database's disk (a
        # mount backed up elsewhere, or a file shipped to another host) so both cannot be
        # rewritten together.
        "AUDIT_ANCHOR_PATH": str(instance_path / "audit-anchors.jsonl"),
        "AUDIT_ANCHOR_INTERVAL_SECONDS": 3600,
        # Admins are alerted when this many security.* audit events happen within the window.
        "SECURITY_BURST_THRESHOLD": 50,
        "SECURITY_BURST_MINUTES": 10,
        "RATELIMIT_STORAGE_URI": "memory://",  # redis://host:6379/0 to share between workers
        "RATELIMIT_KEY_PREFIX": "screening",
        # Failed log-ins, counted in the database (atomic, shared by every worker and host):
        # per account (per account and address for staff with a second factor) this many
        # attempts, then a delay of LOGIN_DELAY seconds doubling up to LOGIN_DELAY_MAX; the
        # count restarts LOGIN_FORGET seconds after the last failure. Nothing is ever locked.
        "LOGIN_ACCOUNT_ATTEMPTS": 10,
        "LOGIN_ADDRESS_ATTEMPTS": 30,
        "LOGIN_DELAY": 30,
        "LOGIN_DELAY_MAX": 900,
        "LOGIN_FORGET": 86400,
        # Failed log-ins on this many accounts from one address within LOGIN_SPRAY_WINDOW
        # seconds are a password spray: audited and alerted to the admins.
        "LOGIN_SPRAY_ACCOUNTS": 10,
        "LOGIN_SPRAY_WINDOW": 900,
        # Reset e-mails per account and per address (then a growing delay, as above).
        "RESET_ACCOUNT_ATTEMPTS": 3,
        "RESET_ADDRESS_ATTEMPTS": 10,
        # The university's names (and abbreviations) no password may be built on, e.g.
        # ["tsinghua", "thu", "清华"]; the product's own names are always refused.
        "PASSWORD_CONTEXT_WORDS": [],
        # "Forgot password" on the log-in page: None = on unless CAS or OIDC is configured.
        "PASSWORD_RESET": None,
        # Wrong second-factor codes, counted like failed log-ins (the same growing delay).
        "MFA_ACCOUNT_ATTEMPTS": 5,
        "MFA_ADDRESS_ATTEMPTS": 30,
        # Flask-Limiter (RATELIMIT_STORAGE_URI): wrong current passwords on the change form.
        "PASSWORD_CHANGE_LIMIT": "10 per 15 minutes; 100 per day",
        # Hops of reverse proxies whose X-Forwarded-For is believed (0: none).
        "TRUSTED_PROXIES": 0,
        # Seconds: idle time before a session ends (by role) and the absolute session length.
        "SESSION_IDLE_STAFF": 15 * 60,
        "SESSION_IDLE_STUDENT": 30 * 60,
        "SESSION_ABSOLUTE": 12 * 3600,
        "SESSION_COOKIE_NAME": "__Host-session",
        "SESSION_COOKIE_PATH": "/",
        "SESSION_COOKIE_DOMAIN": None,
        # Single sign-on (optional): CAS 2.0/3.0 and OpenID Connect; see docs/security.md.
        "CAS_SERVER_URL": None,
        "OIDC_ISSUER": None,
        "OIDC_CLIENT_ID": None,
        "OIDC_CLIENT_SECRET": None,
        "OIDC_SCOPES": "openid profile",
        "OIDC_LOGIN_CLAIM": "preferred_username",
        "SSO_TIMEOUT": 10,
        # Staff logging in through SSO still give the second factor unless this is set.
        "SSO_SKIPS_MFA": False,
        "PASSWORD_HASH_TIME_COST": 2,
        "PASSWORD_HASH_MEMORY_KIB": 19456,
        "PASSWORD_HASH_PARALLELISM": 1,
        # Concurrent password hashes per host: bounds memory (19 MiB each) and leaves a core
        # free for every other request while a class logs in at once.
        "PASSWORD_HASH_SLOTS": max(1, (os.cpu_count() or 2) - 1),
        # Requests per worker process that may wait for a hash; more are told to retry at
        # once, so waiting log-ins never hold every thread (gunicorn threads minus four).
        "PASSWORD_HASH_WAITING": max(1, int(os.environ.get("SCREENING_THREADS") or 16) - 4),
    }


def load(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Apply the configuration layers in order, then refuse unsafe settings."""
    instance_path = Path(app.instance_path)
    app.config.from_mapping(defaults(instance_path))
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env(prefix="SCREENING")
    if test_config is not None:
        app.config.from_mapping(test_config)
    # The __Host- prefix needs HTTPS; development and tests run on plain HTTP.
    if app.config["ENVIRONMENT"] != "production" and (
        app.config["SESSION_COOKIE_NAME"] == "__Host-session"
    ):
        app.config["SESSION_COOKIE_NAME"] = "session"
    if app.config["ENVIRONMENT"] == "development":
        app.config["SESSION_COOKIE_SECURE"] = False
        app.config["REMEMBER_COOKIE_SECURE"] = False
    if app.config["ENVIRONMENT"] == "production" and not app.config.get("TRUSTED_HOSTS"):
        # Only the site's own name is served; any other Host header is a 400 (host-header
        # attacks on links built from the request). Loopback names stay, for health checks
        # on the host itself: no link can point elsewhere through them.
        # SCREENING_TRUSTED_HOSTS='["a.example.edu", "b.example.edu"]' sets the list instead.
        host = urlsplit(str(app.config["BASE_URL"])).hostname
        if host:
            app.config["TRUSTED_HOSTS"] = sorted({host, "127.0.0.1", "localhost"})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = read_secret(instance_path)
    if app.config["ENVIRONMENT"] == "test" and not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    validate(app.config)


def validate(config: dict[str, Any]) -> None:
    """Refuse to start on an insecure setting outside development and tests."""
    env = config["ENVIRONMENT"]
    if env not in {"production", "development", "test"}:
        raise ConfigError(
            f"ENVIRONMENT is {env!r}; set SCREENING_ENVIRONMENT to production, development or test."
        )
    minimum = config.get("SMALL_CELL_MINIMUM", SMALL_CELL_FLOOR)
    if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < SMALL_CELL_FLOOR:
        raise ConfigError(
            f"SMALL_CELL_MINIMUM is {minimum!r}: statistics need a whole number of at least "
            f"{SMALL_CELL_FLOOR} so no small group of students can be singled out."
        )
    floors = config.get("RETENTION_MINIMUM_DAYS") or {}
    if not isinstance(floors, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in floors.values()
    ):
        raise ConfigError(
            f"RETENTION_MINIMUM_DAYS is {floors!r}: give whole numbers of days per data category, "
            'e.g. {"cases": 1825, "audit": 365}.'
        )
    if env != "production":
        return
    problems = []
    secret = config.get("SECRET_KEY")
    if not secret or str(secret) in INSECURE_SECRETS or len(str(secret)) < 32:
        problems.append(
            "SECRET_KEY is missing or insecure: run `flask --app wsgi init` to create one in the "
            "instance folder, or set SCREENING_SECRET_KEY to at least 32 random characters."
        )
    if config.get("DEBUG"):
        problems.append(
            "DEBUG is on: debug mode exposes an interactive console. Unset SCREENING_DEBUG, "
            "or set SCREENING_ENVIRONMENT=development on a developer's machine."
        )
    if not config.get("SESSION_COOKIE_SECURE"):
        problems.append(
            "SESSION_COOKIE_SECURE is off: session cookies must travel only over HTTPS."
        )
    name = str(config.get("SESSION_COOKIE_NAME") or "")
    if name.startswith("__Host-") and (
        config.get("SESSION_COOKIE_DOMAIN") or config.get("SESSION_COOKIE_PATH") != "/"
    ):
        problems.append(
            "SESSION_COOKIE_NAME has the __Host- prefix, which needs SESSION_COOKIE_PATH '/' "
            "and no SESSION_COOKIE_DOMAIN."
        )
    if problems:
        raise ConfigError("Screening refuses to start:\n- " + "\n- ".join(problems))


def read_secret(instance_path: Path) -> str | None:
    """Return the secret key written by `init`, if any."""
    path = instance_path / SECRET_FILE
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    return None


def ensure_instance(instance_path: Path) -> bool:
    """Create the instance folder (0700) and a secret key unless one exists; True if created."""
    instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(instance_path, 0o700)
    path = instance_path / SECRET_FILE
    if path.exists():
        return False
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return True
