"""`notify deliver`, `cases escalate` (one shot, for cron) and `worker` (both, in a loop)."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from types import FrameType

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from screening.audit.security import check_burst
from screening.audit.services import append as audit
from screening.cases import academic
from screening.cases.services import escalate
from screening.cli.common import ready
from screening.csvimport import decode
from screening.db import new_session, utcnow
from screening.notify.services import MailSettings, deliver, recover_stuck


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
        session.commit()
    sent, failed = deliver(app.extensions["sessionmaker"], _settings(app), now)
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
            session.commit()
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
            session.commit()
            return False
        session.rollback()  # anchoring only read
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
    sent, failed = deliver(app.extensions["sessionmaker"], _settings(app))
    click.echo(f"{sent} sent, {failed} failed.")


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
        session.commit()
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
        result = academic.apply(session, parsed.rows, found, app.config["CASE_ACADEMIC_THRESHOLDS"])
        audit(
            session,
            actor_id=None,
            action="academic.import",
            target_type="registrar",
            reason=f"{result.rows} rows, {result.flagged} flagged, {len(errors)} skipped",
        )
        session.commit()
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
    next_anchor = 0.0
    while running["on"]:
        try:
            if time.monotonic() >= next_anchor:
                anchor_round(app)
                next_anchor = time.monotonic() + float(app.config["AUDIT_ANCHOR_INTERVAL_SECONDS"])
            escalated, sent, failed = run_once(app)
        except Exception as exc:  # a database outage: log it and try again next round
            app.logger.error("worker round failed: %s", type(exc).__name__, exc_info=exc)
        else:
            if escalated or sent or failed:
                app.logger.info("worker: %d escalated, %d sent, %d failed", escalated, sent, failed)
        for _ in range(int(app.config["WORKER_INTERVAL_SECONDS"])):
            if not running["on"]:
                break
            time.sleep(1)
