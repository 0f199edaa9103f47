"""Releases: a dean exporting before and after new submissions never learns anyone's band."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from screening.auth.models import Faculty
from screening.auth.services import get_or_create_faculty
from screening.campaigns.models import Campaign, CampaignInstrument
from screening.cli.stats import release_once
from screening.db import utcnow
from screening.instruments import Score
from screening.stats import releases, services
from screening.stats.models import StatsRelease
from tests.stats.releasing import publish_release


def _score(band: str) -> Score:
    """A PHQ-9 result in band (positive and critical from moderate up)."""
    flagged = band not in ("minimal", "mild")
    return Score(
        instrument="phq9",
        version=1,
        total=None,
        raw_total=None,
        subscales={},
        band=band,
        positive_screen=flagged,
        critical=flagged,
        alert_level="none",
    )


def _submit(db: Session, campaign: Campaign, faculty: Faculty, bands: dict[str, int]) -> None:
    """Record results as the submit service does (records and live counts), and commit."""
    for band, n in bands.items():
        for _ in range(n):
            services.record(
                db,
                campaign_id=campaign.id,
                faculty_id=faculty.id,
                cohort_year=2023,
                score=_score(band),
                when=utcnow(),
            )
    db.commit()


@pytest.fixture
def campaign(db: Session, faculty: Faculty) -> Campaign:
    """A running campaign with a first release: 40 students of one faculty, 20 in another."""
    now = utcnow()
    found = Campaign(name="Autumn", opens_at=now - timedelta(days=1), closes_at=now + timedelta(7))
    found.instruments.append(CampaignInstrument(position=1, instrument_id="phq9", version=1))
    db.add(found)
    db.commit()
    _submit(db, found, faculty, {"minimal": 20, "mild": 12, "moderate": 8})
    other = get_or_create_faculty(db, "LAW", "Law School", "法学院")
    _submit(db, found, other, {"minimal": 10, "mild": 10})
    assert publish_release(db).status == "published"
    return found


def _export(client: FlaskClient, campaign: Campaign) -> list[list[str]]:
    """The campaign CSV as rows."""
    text = client.get(f"/stats/campaign/{campaign.id}/export.csv").get_data(as_text=True)
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def _numbers(rows: list[list[str]]) -> dict[tuple[str, ...], int]:
    """Every published number keyed by (table title, row label, column header)."""
    found: dict[tuple[str, ...], int] = {}
    title, header = "", []
    for row in rows:
        if len(row) == 1:
            title = row[0]
        elif row and row[0] == "":
            header = row
        elif row:
            for col, value in zip(header[1:], row[1:], strict=False):
                if value.isdigit():
                    found[(title, row[0], col)] = int(value)
    return found


def _revealing(before: dict[tuple[str, ...], int], after: dict[tuple[str, ...], int]) -> list:
    """Published numbers that moved by less than the minimum between two exports."""
    return [key for key in before.keys() & after.keys() if 0 < abs(after[key] - before[key]) < 10]


def test_one_flagged_then_nine_of_ten_in_a_band_reveal_nobody(
    app: Flask, client: FlaskClient, logged_in, db: Session, campaign: Campaign, faculty: Faculty
) -> None:
    """Export, one flagged student submits, release attempt, export; then ten of whom nine share
    a band; then enough for a safe release: no difference between exports reveals a band."""
    logged_in("dean")
    first = _export(client, campaign)
    assert first[1][0].startswith("Data released at")
    exports = [first]

    _submit(db, campaign, faculty, {"severe": 1})
    assert release_once(app, "schedule").status == "waiting"  # type: ignore[union-attr]
    exports.append(_export(client, campaign))
    assert exports[-1] == first  # the same release: the newcomer's band is not in it

    _submit(db, campaign, faculty, {"mild": 9, "moderate": 1})
    outcome = release_once(app, "schedule")
    assert outcome is not None and outcome.status == "waiting"
    assert outcome.problems
    exports.append(_export(client, campaign))
    assert exports[-1] == first

    # Now every band has moved by 10 since the release, with 30 movers elsewhere in its row.
    _submit(db, campaign, faculty, {"minimal": 10, "mild": 1, "moderate": 9, "severe": 9})
    outcome = release_once(app, "schedule")
    assert outcome is not None and outcome.status == "published", outcome.problems
    exports.append(_export(client, campaign))
    assert exports[-1] != first
    for before, after in itertools.pairwise(exports):
        assert _revealing(_numbers(before), _numbers(after)) == []
    assert db.scalar(select(func.count()).select_from(StatsRelease)) == 2


def test_a_new_submission_changes_no_export_until_a_safe_release(
    client: FlaskClient, logged_in, db: Session, campaign: Campaign, faculty: Faculty
) -> None:
    """Nothing in the export moves, participation included, until a release is published."""
    logged_in("supervisor")
    before = _export(client, campaign)
    _submit(db, campaign, faculty, {"severe": 1})
    assert _export(client, campaign) == before


def test_every_view_shows_the_release_time(
    client: FlaskClient, logged_in, campaign: Campaign
) -> None:
    """The index, campaign, trend and case pages, the charts and the CSVs carry the time."""
    logged_in("dean")
    for path in ("/stats/", f"/stats/campaign/{campaign.id}", "/stats/trend/phq9", "/stats/cases"):
        assert "Data released at" in client.get(path).get_data(as_text=True), path
    for path in (f"/stats/campaign/{campaign.id}/phq9/faculty.svg", "/stats/trend/phq9.svg"):
        assert "Data released at" in client.get(path).get_data(as_text=True), path
    for path in (f"/stats/campaign/{campaign.id}/export.csv", "/stats/trend/phq9.csv"):
        assert "Data released at" in client.get(path).get_data(as_text=True), path
    assert "Data released at" in client.get("/stats/cases.csv").get_data(as_text=True)


def test_before_the_first_release_nothing_is_shown(
    client: FlaskClient, logged_in, db: Session, faculty: Faculty
) -> None:
    """Results recorded but not yet released are on no page."""
    now = utcnow()
    found = Campaign(name="Unreleased", opens_at=now, closes_at=now + timedelta(days=7))
    found.instruments.append(CampaignInstrument(position=1, instrument_id="phq9", version=1))
    db.add(found)
    db.commit()
    _submit(db, found, faculty, {"minimal": 30})
    logged_in("dean")
    html = client.get("/stats/").get_data(as_text=True)
    assert "Unreleased" not in html and "No statistics have been published yet" in html


def test_release_command_and_campaign_close(
    app: Flask, runner: FlaskCliRunner, db: Session, campaign: Campaign, faculty: Faculty
) -> None:
    """`flask stats release` says why it waits; a closed campaign makes a release due."""
    _submit(db, campaign, faculty, {"severe": 1})
    result = runner.invoke(args=["stats", "release"])
    assert result.exit_code == 1 and "Release waits" in result.output
    current = releases.current(db)
    assert current is not None
    assert releases.due_reason(db, utcnow(), timedelta(hours=1)) is None
    campaign.closes_at = current.published_at + timedelta(minutes=1)
    db.commit()
    later = current.published_at + timedelta(minutes=2)
    assert releases.due_reason(db, later, timedelta(hours=1)) == "campaign_close"
    assert releases.due_reason(db, current.published_at + timedelta(hours=2), timedelta(hours=1))


# --- the differencing rule itself ----------------------------------------------------------------


def test_one_mover_is_refused() -> None:
    """One new respondent moves a cell and a total by 1."""
    before = {("CS", "mild"): 30, ("CS", "severe"): 12}
    after = {("CS", "mild"): 30, ("CS", "severe"): 13}
    assert releases.difference_problems(before, after, 10, ("mild", "severe"))


def test_nine_of_ten_movers_in_one_band_is_refused() -> None:
    """Ten newcomers, nine in one band: the 9 is small, and so is the 1."""
    before = {("CS", "mild"): 30, ("CS", "severe"): 12}
    after = {("CS", "mild"): 39, ("CS", "severe"): 13}
    problems = releases.difference_problems(before, after, 10, ("mild", "severe"))
    assert len(problems) >= 2


def test_ten_movers_all_in_one_band_is_refused() -> None:
    """Ten newcomers all in one band would tell each of them their band."""
    before = {("CS", "mild"): 30, ("CS", "severe"): 12}
    after = {("CS", "mild"): 30, ("CS", "severe"): 22}
    problems = releases.difference_problems(before, after, 10, ("mild", "severe"))
    assert any("10 of 10 movers" in p for p in problems)


def test_movers_spread_over_bands_pass() -> None:
    """Ten or more in each moved cell, with ten or more movers elsewhere, is safe."""
    before = {("CS", "mild"): 30, ("CS", "severe"): 12, ("LAW", "mild"): 15}
    after = {("CS", "mild"): 42, ("CS", "severe"): 22, ("LAW", "mild"): 15}
    assert releases.difference_problems(before, after, 10, ("mild", "severe")) == []


def test_a_one_column_table_is_its_own_group() -> None:
    """Results without bands ("completed" only) check moves, not complements."""
    before = {("CS", ""): 30}
    assert releases.difference_problems(before, {("CS", ""): 40}, 10, ("",)) == []
    assert releases.difference_problems(before, {("CS", ""): 31}, 10, ("",))


def test_demo_publishes_a_first_release(runner: FlaskCliRunner, db: Session) -> None:
    """The demo deans see figures at once: loading the demo publishes the first release."""
    from screening.stats.models import ReleasedCount

    result = runner.invoke(args=["demo", "--students", "40"])
    assert result.exit_code == 0, result.output
    release = releases.current(db)
    assert release is not None and release.reason == "first"
    assert db.scalar(select(func.sum(ReleasedCount.n))) == sum(releases.live_results(db).values())
