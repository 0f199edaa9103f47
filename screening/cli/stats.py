"""`stats check` and `stats rebuild`: the dashboard counts against the de-identified records."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from screening import db
from screening.cli.common import ready
from screening.stats import services


@click.group("stats")
def stats_group() -> None:
    """Maintain the counts the statistics pages read."""


@stats_group.command("check")
@with_appcontext
def check_command() -> None:
    """Compare the counts with a recount of the records; exit 1 on any difference."""
    ready()
    with db.new_session(current_app) as session:
        differences = services.count_differences(session)
    if not differences:
        click.echo("Statistics counts agree with the records.")
        return
    for key, (records, counted) in sorted(differences.items(), key=repr)[:20]:
        click.echo(f"{key}: {records} records, {counted} counted", err=True)
    raise click.ClickException(
        f"{len(differences)} counts disagree with the records; "
        "run `flask --app wsgi stats rebuild` to recount them."
    )


@stats_group.command("rebuild")
@with_appcontext
def rebuild_command() -> None:
    """Recount every statistics count from the de-identified records."""
    ready()
    with db.new_session(current_app) as session:
        keys = services.rebuild_counts(session)
        db.complete(session)
    click.echo(f"Recounted {keys} statistics counts from the records.")
