"""`notify deliver`, `cases escalate` (one shot, for cron) and `worker` (both, in a loop)."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from types import FrameType

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from screening import db
from screening.audit.security import check_burst
from screening.cases import academic
from screening.cases.services import escalate
from screening.cli.common import ready
from screening.cli.retention import purge_due, run_purge
from screening.csvimport import decode
from screening.db import new_session, utcnow
from screening.notify.services import (
    MailSettings,
    deliver,
    mail_problem,
    recover_stuck,
    waiting,
)


def _settings(app: Flask) -> MailSettings:
    c = app.config
    return MailSettings(
        c["MAIL_SERVER"],
        int(c["MAIL_PORT"]),
        c["MAIL_FROM"],
        c["BASE_URL"],
        username=c.get("MAIL_USERNAME") or "",
        password=c.get("MAIL_PASSWORD") or "",
        starttls=bool(c.get("MAIL_STARTTLS")),
    )


def run_once(app: Flask) -> tuple[int, int, int]:
    """Escalate overdue cases, queue due reminders, send due messages: (escalated, sent, failed)."""
    from screening.campaigns.services import due_reminders, mark_reminded
    from screening.notify.services import enqueue

    now = utcnow()
    with new_session(app) as session:
        app.extensions["vault"].maybe_refresh(session)  # a swapped or missing ring is alerted
        escalated = escalate(session, now)
        recover_stuck(session, now)
        for assignment, day in due_reminders(session, now):
            enqueue(
                session,
                recipient_id=assignment.student_id,
                kind="reminder",
                link_path="/screening/",
                alert=False,
            )
            mark_reminded(assignment, day)
        check_burst(session, app.config)  # every security.* event, whoever wrote it
        db.complete(session)
    sent, failed = deliver(app.extensions["sessionmaker"], _settings(app), now)
    from screening.cli.stats import release_once

    release_once(app)  # statistics release when due and safe; otherwise it waits
    return escalated, sent, failed


def anchor_round(app: Flask) -> bool:
    """Anchor the audit chain heads to the configured file; alert admins on a mismatch.

    Returns True when the chains matched (and were anchored).
    """
    from screening.audit.anchoring import anchor_to_file
    from screening.audit.services import AnchorError
    from screening.notify.services import alert_admins

    path = Path(app.config["AUDIT_ANCHOR_PATH"])
    with new_session(app) as session:
        try:
            result = anchor_to_file(session, path)
        except (AnchorError, OSError) as exc:
            app.logger.error("audit anchor file %s unusable: %s", path, exc)
            alert_admins(session, "system.anchor", "/audit/")
            db.complete(session)
            return False
        if result.broken:
            for report in result.broken:
                app.logger.error(
                    "audit chain %s does not match %s: BROKEN at %s: %s",
                    report.chain,
                    path,
                    report.first_broken_seq,
                    report.reason,
                )
            alert_admins(session, "system.anchor", "/audit/")
            db.complete(session)
            return False
        db.discard(session)  # anchoring only read
    return True


@click.group("notify")
def notify_group() -> None:
    """Notifications."""


@notify_group.command("deliver")
@with_appcontext
def deliver_command() -> None:
    """Send the due messages of the outbox once."""
    ready()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    settings = _settings(app)
    problem = mail_problem(settings)
    if problem:
        raise click.ClickException(f"{problem} {_queued(app)} e-mail(s) wait in the outbox.")
    sent, failed = deliver(app.extensions["sessionmaker"], settings)
    click.echo(f"{sent} sent, {failed} failed, {_queued(app)} still queued.")


def _queued(app: Flask) -> int:
    with new_session(app) as session:
        return waiting(session)


@click.group("cases")
def cases_group() -> None:
    """Cases."""


@cases_group.command("escalate")
@with_appcontext
def escalate_command() -> None:
    """Escalate cases without first contact past their due time, once."""
    ready()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with new_session(app) as session:
        count = escalate(session, utcnow())
        db.complete(session)
    click.echo(f"{count} case(s) escalated.")


@cases_group.command("import-academic")
@click.argument("data_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows even if some are bad.")
@with_appcontext
def import_academic_command(data_file: Path, skip_invalid: bool) -> None:
    """Import registrar data (student_number,term,failed_credits,gpa,absences) into cases."""
    ready()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        text = decode(data_file.read_bytes())
    except ValueError as exc:
        raise click.ClickException(f"{data_file.name}: {exc}") from exc
    parsed = academic.parse(text)
    with new_session(app) as session:
        found, unknown = academic.students(session, parsed.rows)
        errors = sorted(parsed.errors + unknown)
        for line, reason in errors:
            click.echo(f"{data_file.name}:{line}: {reason}", err=True)
        if errors and not skip_invalid:
            raise click.ClickException(
                f"{len(errors)} bad row(s); nothing imported. Fix them or use --skip-invalid."
            )
        result = academic.apply(
            session,
            parsed.rows,
            found,
            app.config["CASE_ACADEMIC_THRESHOLDS"],
            skipped=len(errors),
        )
        db.complete(session)
    skipped = f", {len(errors)} skipped" if errors else ""
    click.echo(f"{result.rows} row(s) read, {result.flagged} flagged for an advisor{skipped}.")


@click.command("worker")
@with_appcontext
def worker_command() -> None:
    """Escalate and deliver every WORKER_INTERVAL_SECONDS until stopped (SIGTERM or Ctrl-C)."""
    ready()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    running = {"on": True}

    def stop(_signum: int, _frame: FrameType | None) -> None:
        running["on"] = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    interval = int(app.config["WORKER_INTERVAL_SECONDS"])
    click.echo(f"Worker started: every {interval} s it escalates, queues reminders, sends e-mail.")
    told = _tell_mail(app, None, check=True)
    next_anchor = 0.0
    while running["on"]:
        try:
            if time.monotonic() >= next_anchor:
                anchor_round(app)
                next_anchor = time.monotonic() + float(app.config["AUDIT_ANCHOR_INTERVAL_SECONDS"])
            escalated, sent, failed = run_once(app)
            if purge_due(app, utcnow()):  # daily: personal data past its retention date
                app.logger.info("worker: purged %s", run_purge(app, utcnow()).summary())
        except Exception as exc:  # a database outage: log it and try again next round
            app.logger.error("worker round failed: %s", type(exc).__name__, exc_info=exc)
        else:
            if escalated or sent or failed:
                click.echo(f"worker: {escalated} escalated, {sent} sent, {failed} failed.")
            # Probe the mail server only while e-mail is stuck, not on every quiet cycle.
            told = _tell_mail(app, told, check=told is not None or (not sent and _queued(app) > 0))
        for _ in range(interval):
            if not running["on"]:
                break
            time.sleep(1)


def _tell_mail(app: Flask, told: str | None, *, check: bool) -> str | None:
    """Say once that e-mail cannot go out (and how many wait), and once when it can again."""
    if not check:
        return told
    problem = mail_problem(_settings(app))
    if problem and problem != told:
        click.echo(f"worker: {problem} {_queued(app)} e-mail(s) wait in the outbox.", err=True)
    elif told and not problem:
        click.echo("worker: the mail server answers again; queued e-mail goes out.")
    return problem
