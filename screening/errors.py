"""Error pages that reveal nothing internal, and security headers on every response."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map

from screening.audit import security
from screening.auth.passwords import HasherBusy

log = logging.getLogger(__name__)
#: Seconds a client turned away by a busy password hasher is asked to wait.
BUSY_RETRY_SECONDS = "2"
#: Seconds a client is asked to wait when the database cannot be reached or cannot write.
UNAVAILABLE_RETRY_SECONDS = "15"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)


def _render(code: int, title: str, message: str, **extra: Any) -> tuple[str, int]:
    from flask.globals import request_ctx

    if request_ctx.url_adapter is None:  # an untrusted Host header: no URL can be built
        return f"{code} {title}", code
    page = render_template("errors/error.html", code=code, title=title, message=message, **extra)
    return page, code


def database_unavailable(exc: BaseException) -> bool:
    """True when the database cannot be reached or cannot write now (retrying later helps).

    Refused or dropped connections, a stopped server, a pool that found no free connection,
    a full disk or a lock held too long: the request failed as a whole and may be repeated.
    """
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def _forget_unloadable_user() -> None:
    """Render as a visitor when the signed-in user cannot be loaded (the database is down)."""
    from flask import g
    from flask_login import AnonymousUserMixin, current_user

    try:
        bool(current_user.is_authenticated)
    except Exception:  # the user loader needs the database that just failed
        g._login_user = AnonymousUserMixin()


def _failure_page(e: Exception) -> Response:
    """The page for an unexpected failure: 503 and Retry-After when the database is down; a
    student whose submission failed learns whether the answers were kept and what to do."""
    from flask import current_app, g, url_for
    from flask_babel import gettext as _

    unavailable = database_unavailable(e)
    if unavailable:
        _forget_unloadable_user()
    code = 503 if unavailable else 500
    extra: dict[str, Any] = {}
    if request.method == "POST" and request.endpoint == "responses.take":
        title = _("Your answers were not submitted yet")
        if g.get("answers_kept"):
            message = _(
                "Your answers are kept. Please press Submit again in a moment to send them."
            )
        else:
            message = _(
                "Your answers could not be submitted or saved just now. Go back: they are "
                "still on the page. Then press Submit again in a moment."
            )
        extra = {
            "show_support": True,
            "action_url": url_for("responses.take", **(request.view_args or {})),
            "action_label": _("Back to your answers"),
        }
    elif unavailable:
        title = _("Temporarily unavailable")
        message = _("The service cannot reach its database just now. Please try again shortly.")
    else:
        title = _("Something went wrong")
        message = _("The error was recorded. Please try again later.")
    body, status = _render(code, title, message, **extra)
    response = current_app.make_response((body, status))
    if unavailable:
        g.retry_after = UNAVAILABLE_RETRY_SECONDS
    return response


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` with the range of the database's integer ids: a larger number is a 404.

    PostgreSQL's INTEGER ends at 2^31 - 1; a larger id would fail in the query (a 500) instead
    of simply naming no row. Registered as the app's `int` converter, so every route uses it.
    """

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 0)
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Register error handlers, the header hook and the bounded id converter."""
    from flask_babel import gettext as _

    app.url_map.converters["int"] = BoundedIntConverter  # before any blueprint adds a rule

    @app.errorhandler(CSRFError)
    def csrf_error(_e: CSRFError) -> tuple[str, int]:
        security.refused(app, security.CSRF_FAILED, "route", request.endpoint or "-")
        return _render(
            400,
            _("The form expired"),
            _(
                "For your safety the form could not be accepted. "
                "Go back, reload the page and try again."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException) -> tuple[str, int] | HTTPException:
        code = e.code or 500
        if code < 400:
            return e
        _security_event(app, code)
        messages = {
            400: (_("Bad request"), _("The request could not be understood.")),
            403: (_("Not allowed"), _("You do not have access to this page.")),
            404: (_("Not found"), _("There is no such page.")),
            405: (_("Not allowed"), _("This action is not available here.")),
            413: (_("Too large"), _("What you sent is too large.")),
            429: (
                _("Too many attempts"),
                _("Please wait a moment before trying again."),
            ),
        }
        title, message = messages.get(code, (_("Error"), _("Something went wrong.")))
        body, status = _render(code, title, message)
        response = app.make_response((body, status))
        if code == 429 and e.response is not None and "Retry-After" in e.response.headers:
            response.headers["Retry-After"] = e.response.headers["Retry-After"]
        elif code == 429 and e.get_headers():
            for key, value in e.get_headers():
                if key.lower() == "retry-after":
                    response.headers["Retry-After"] = value
        return response  # type: ignore[return-value]

    @app.errorhandler(HasherBusy)
    def hasher_busy(_e: HasherBusy) -> Response:
        body, status = _render(
            503,
            _("Many people are logging in"),
            _("Please go back and try again in a few seconds."),
        )
        return busy(app.make_response((body, status)))

    @app.errorhandler(Exception)
    def internal_error(e: Exception) -> Response:
        # The traceback goes to the log by type and place only; the page says nothing internal.
        log.error(
            "unhandled %s on %s %s", type(e).__name__, request.method, request.path, exc_info=e
        )
        return _failure_page(e)

    app.after_request(security_headers)
    app.before_request(refuse_oversized)
    app.before_request(refuse_nul)


def _security_event(app: Flask, code: int) -> None:
    """Denied routes (403), denied objects (a 404 a view marked) and rate-limit trips (429)."""
    from flask import g

    marked = g.pop("security_event", None)
    if marked is not None:
        action, target_type, target_id = marked
        security.refused(app, action, target_type, target_id)
    elif code == 403:
        security.refused(app, security.ACCESS_DENIED, "route", request.endpoint or "-")
    elif code == 429:
        security.refused(app, security.RATE_LIMITED, "route", request.endpoint or "-")


def refuse_oversized() -> None:
    """413 for a declared body above MAX_CONTENT_LENGTH, before any view (or a 404) runs."""
    from flask import abort, current_app

    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and request.content_length is not None and request.content_length > limit:
        abort(413)


def busy(response: Response) -> Response:
    """Mark a 503 "try again shortly" answer; its Retry-After outlives the rate limiter's."""
    from flask import g

    g.retry_after = BUSY_RETRY_SECONDS
    response.status_code = 503
    return response


def security_headers(response: Response) -> Response:
    """Strict CSP, no framing, no referrer to other sites, no sniffing; HSTS in production."""
    from flask import current_app, g

    headers = response.headers
    if g.get("retry_after"):  # runs after the limiter, which sets its own window here
        headers["Retry-After"] = g.retry_after
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Frame-Options"] = "DENY"
    # Same-origin only: never sent to another site, but present on our own form posts, where
    # the CSRF check over HTTPS requires it (a "no-referrer" policy fails every form there).
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if current_app.config["ENVIRONMENT"] == "production":
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.endpoint != "static":
        # Pages, downloads and exports alike (register CSV/XLSX, statistics CSV, a student's
        # answers): nothing dynamic may stay in a browser's or a proxy's cache.
        headers["Cache-Control"] = "no-store"
    return response


def refuse_nul() -> None:
    """400 for a NUL character in any query or form value: no field needs one, and PostgreSQL
    cannot store one (it would otherwise surface as a server error deep in a service)."""
    from flask import abort

    values = [*request.args.values()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += request.form.values()
    if any("\x00" in value for value in values):
        abort(400)
