"""`stats check`, `stats rebuild` and `stats release`: the counts and their published releases."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from screening import db
from screening.cli.common import ready
from screening.db import utcnow
from screening.stats import releases, services


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


def release_once(app: Flask, reason: str | None = None) -> releases.Outcome | None:
    """Publish a statistics release when one is due (or always, given a reason), if safe."""
    from screening.cases.register import handling_cells

    now = utcnow()
    interval = timedelta(seconds=int(app.config.get("STATS_RELEASE_INTERVAL_SECONDS", 3600)))
    with db.work(app) as session:
        due = reason or releases.due_reason(session, now, interval)
        if due is None:
            return None
        minimum = int(app.config["SMALL_CELL_MINIMUM"])
        outcome = releases.publish(session, now, minimum, handling_cells(session, now), due)
    return outcome


@stats_group.command("release")
@with_appcontext
def release_command() -> None:
    """Publish the current counts as a statistics release, if no difference reveals anyone."""
    ready()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    outcome = release_once(app, "manual")
    assert outcome is not None  # a reason was given, so an attempt was made
    if outcome.status == "waiting":
        for problem in outcome.problems[:20]:
            click.echo(problem, err=True)
        raise click.ClickException(
            f"Release waits: {len(outcome.problems)} difference(s) from the published release "
            "would reveal someone. It is published once more results have come in."
        )
    if outcome.status == "unchanged":
        click.echo("Nothing new to publish; the current release stays.")
        return
    assert outcome.release is not None
    click.echo(
        f"Statistics release {outcome.release.id} published ({outcome.release.cells} counts)."
    )
