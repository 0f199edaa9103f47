"""`campaigns create | list | sync`."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from screening import db
from screening.auth.models import Cohort, Faculty
from screening.campaigns import services
from screening.campaigns.models import Campaign
from screening.cli.common import ready
from screening.db import utcnow


@click.group("campaigns")
def campaigns_group() -> None:
    """Screening campaigns."""


def _when(value: str) -> datetime:
    """Parse 'YYYY-MM-DD HH:MM' (local time) or an ISO time with an offset."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a time like 2026-09-01 08:00") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"]))
    return parsed


@campaigns_group.command("create")
@click.option("--name", required=True)
@click.option("--instrument", "instruments", multiple=True, required=True, help="In order; repeat.")
@click.option("--step", "steps", multiple=True, help="TRIGGER:FOLLOW_UP, e.g. phq2:phq9.")
@click.option("--faculty", "faculties", multiple=True, required=True, help="Faculty code; repeat.")
@click.option(
    "--cohort", "cohorts", multiple=True, type=int, required=True, help="Entry year; repeat."
)
@click.option("--opens", required=True, help="e.g. 2026-09-01 08:00 (local time)")
@click.option("--closes", required=True)
@click.option("--show-results", is_flag=True)
@click.option("--consent-version", default="v1", show_default=True)
@click.option("--reminder-days", default="", help="e.g. 3,7")
@click.option(
    "--language",
    "languages",
    multiple=True,
    help="Language of the students served (zh-Hans, en); repeat. Default: the install's.",
)
@with_appcontext
def create_command(
    name: str,
    instruments: tuple[str, ...],
    steps: tuple[str, ...],
    faculties: tuple[str, ...],
    cohorts: tuple[int, ...],
    opens: str,
    closes: str,
    show_results: bool,
    consent_version: str,
    reminder_days: str,
    languages: tuple[str, ...],
) -> None:
    """Create a campaign and assign it to every targeted student."""
    ready()
    s = db.session()
    facs = list(s.scalars(select(Faculty).where(Faculty.code.in_(faculties))))
    if len(facs) != len(set(faculties)):
        missing = set(faculties) - {f.code for f in facs}
        raise click.ClickException(f"Unknown faculty code(s): {', '.join(sorted(missing))}.")
    cohs = list(s.scalars(select(Cohort).where(Cohort.year.in_(cohorts))))
    if len(cohs) != len(set(cohorts)):
        raise click.ClickException("Unknown cohort year(s); import the roster first.")
    from screening.campaigns import consent

    if consent.notice(s, consent_version) is None:
        raise click.ClickException(
            f"No consent notice version {consent_version}; write it on the Consent page first."
        )
    step_map = {}
    for step in steps:
        trigger, _sep, target = step.partition(":")
        if not target:
            raise click.ClickException(f"--step {step!r}: write TRIGGER:FOLLOW_UP.")
        step_map[target] = trigger
    try:
        campaign = services.create_campaign(
            s,
            current_app.extensions["library"],
            name=name,
            instruments=list(instruments),
            steps=step_map,
            faculties=facs,
            cohorts=cohs,
            opens_at=_when(opens),
            closes_at=_when(closes),
            show_results=show_results,
            consent_version=consent_version,
            reminder_days=reminder_days,
            created_by=None,
            languages=languages or services.language_tags(current_app.config["LANGUAGES"]),
        )
    except services.CampaignError as exc:
        raise click.ClickException(str(exc)) from exc
    db.complete(s)
    assigned = sum(r.assigned for r in services.participation(s, campaign))
    click.echo(f"Created campaign {campaign.id} ({campaign.name}); {assigned} students assigned.")


@campaigns_group.command("list")
@with_appcontext
def list_command() -> None:
    """Every campaign with its window and completion."""
    ready()
    s = db.session()
    for c in s.scalars(select(Campaign).order_by(Campaign.opens_at)):
        rows = services.participation(s, c)
        done, assigned = sum(r.completed for r in rows), sum(r.assigned for r in rows)
        click.echo(
            f"{c.id:>4}  {c.name}  {c.opens_at:%Y-%m-%d} – {c.closes_at:%Y-%m-%d}  "
            f"{done}/{assigned} completed  [{', '.join(i.instrument_id for i in c.instruments)}]"
        )


@campaigns_group.command("sync")
@with_appcontext
def sync_command() -> None:
    """Assign campaigns not yet closed to students added to the roster since they opened."""
    ready()
    s = db.session()
    current = s.scalars(select(Campaign).where(Campaign.closes_at > utcnow()))
    total = sum(services.sync_assignments(s, c) for c in current)
    db.complete(s)
    click.echo(f"{total} new assignment(s).")


@campaigns_group.command("remind")
@with_appcontext
def remind_command() -> None:
    """Enqueue due reminders for pending students (once per reminder day; no content)."""
    ready()
    from screening.notify.services import enqueue

    s = db.session()
    due = services.due_reminders(s, utcnow())
    for assignment, day in due:
        enqueue(
            s,
            recipient_id=assignment.student_id,
            kind="reminder",
            link_path="/screening/",
            alert=False,
        )
        services.mark_reminded(assignment, day)
    db.complete(s)
    click.echo(f"{len(due)} reminder(s) queued.")
