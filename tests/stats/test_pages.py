"""Statistics pages, charts and exports: suppressed everywhere, scoped, audited, dean-only."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from screening import create_app
from screening.audit.models import AuditEntry
from screening.auth.models import Faculty
from screening.auth.services import get_or_create_faculty
from screening.campaigns.models import Campaign, CampaignInstrument
from screening.config import ConfigError
from screening.db import utcnow
from screening.stats import reports
from screening.stats.models import ScoreRecord
from screening.stats.queries import Scope
from screening.stats.services import rebuild_counts
from screening.stats.suppression import satisfies_line_rule
from tests.conftest import app_config
from tests.stats.releasing import publish_release

#: Computer Science: 30 minimal, 25 mild, 4 moderate. Law: 3 respondents, all mild.
CS_BANDS = {"minimal": 30, "mild": 25, "moderate": 4}
LAW_BANDS = {"mild": 3}


def _records(db: Session, campaign: Campaign, faculty: Faculty, bands: dict[str, int]) -> None:
    """Add de-identified PHQ-9 results as the submit service would."""
    if not any(i.instrument_id == "phq9" for i in campaign.instruments):
        campaign.instruments.append(CampaignInstrument(position=1, instrument_id="phq9", version=1))
    for band, n in bands.items():
        for i in range(n):
            db.add(
                ScoreRecord(
                    campaign_id=campaign.id,
                    instrument_id="phq9",
                    instrument_version=1,
                    subscale="",
                    faculty_id=faculty.id,
                    cohort_year=2024 if i % 2 else 2023,
                    band=band,
                    critical=band == "moderate",
                    positive=band != "minimal",
                    week="2026-W10",
                )
            )


@pytest.fixture
def law(db: Session) -> Faculty:
    """A small faculty: three respondents."""
    fac = get_or_create_faculty(db, "LAW", "Law School", "法学院")
    db.commit()
    return fac


@pytest.fixture
def campaign(db: Session, faculty: Faculty, law: Faculty) -> Campaign:
    """A campaign with results in a large and a small faculty."""
    now = utcnow()
    found = Campaign(name="Spring screening", opens_at=now, closes_at=now + timedelta(days=7))
    db.add(found)
    db.flush()
    _records(db, found, faculty, CS_BANDS)
    _records(db, found, law, LAW_BANDS)
    db.flush()
    rebuild_counts(db)
    db.commit()
    publish_release(db)
    return found


def _row(html: str, label: str) -> list[str]:
    """The cells of the first table row headed by label."""
    match = re.search(rf'<th scope="row">{re.escape(label)}</th>(.*?)</tr>', html, re.S)
    assert match, f"no row {label!r}"
    return re.findall(r"<td>(.*?)</td>", match.group(1))


def _svg_values(svg: str) -> list[int]:
    """The numbers printed on the bars of a chart."""
    return sorted(int(v) for v in re.findall(r'data-value="(\d+)"', svg))


def test_small_faculty_is_suppressed_on_page_chart_and_csv(
    app: Flask, client: FlaskClient, logged_in, campaign: Campaign, db: Session
) -> None:
    logged_in("supervisor")
    page = client.get(f"/stats/campaign/{campaign.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    law_cells = _row(html, "Law School")
    assert law_cells and all(c in {"&lt;10", "Hidden", "—"} for c in law_cells), law_cells
    assert "3" not in law_cells

    svg = client.get(f"/stats/campaign/{campaign.id}/phq9/faculty.svg")
    assert svg.mimetype == "image/svg+xml"
    assert "<script" not in svg.get_data(as_text=True)
    with app.test_request_context():
        view = reports.campaign_view(
            db,
            app.extensions["library"],
            "faculty",
            campaign.id,
            "phq9",
            Scope(),
            lang="en",
            minimum=10,
        )
    assert view is not None
    law_index = view.table.row_labels.index("Law School")
    assert all(v is None for v in view.table.cell_values()[law_index])
    shown = sorted(v for row in view.table.cell_values() for v in row if v is not None)
    assert _svg_values(svg.get_data(as_text=True)) == shown  # the chart plots the table, no more

    export = client.get(f"/stats/campaign/{campaign.id}/export.csv")
    assert export.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    law_rows = [r for r in rows if r and r[0] == "Law School"]
    assert law_rows, "the small faculty is listed, hidden"
    for r in law_rows:
        assert all(c in {"<10", "Hidden", "—"} for c in r[1:]), r
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "stats.export"))
    assert entry is not None and entry.target_id == str(campaign.id)


def test_complementary_suppression_protects_a_small_band(
    app: Flask, campaign: Campaign, db: Session
) -> None:
    with app.test_request_context():
        view = reports.campaign_view(
            db,
            app.extensions["library"],
            "faculty",
            campaign.id,
            "phq9",
            Scope(),
            lang="en",
            minimum=10,
        )
    assert view is not None
    cs = view.table.grid[view.table.row_labels.index("Computer Science")]
    assert "<10" in cs  # 4 moderate
    assert "x" in cs  # another count hidden so the 4 cannot be subtracted out
    assert satisfies_line_rule(view.table)


def test_rates_only_over_published_counts(app: Flask, campaign: Campaign, db: Session) -> None:
    with app.test_request_context():
        view = reports.campaign_view(
            db,
            app.extensions["library"],
            "positive",
            campaign.id,
            "phq9",
            Scope(),
            lang="en",
            minimum=10,
        )
    assert view is not None and view.rates is not None
    assert view.rates[view.table.row_labels.index("Law School")] is None
    for rate, total in zip(view.rates, view.table.row_totals(), strict=True):
        assert rate is None or total is not None


def test_faculty_dean_sees_only_their_faculty(
    client: FlaskClient, logged_in, campaign: Campaign, law: Faculty
) -> None:
    logged_in("dean", faculty=law)
    html = client.get(f"/stats/campaign/{campaign.id}").get_data(as_text=True)
    assert "Law School" in html
    assert "Computer Science" not in html
    export = client.get(f"/stats/campaign/{campaign.id}/export.csv").get_data(as_text=True)
    assert "Computer Science" not in export
    trend = client.get("/stats/trend/phq9").get_data(as_text=True)
    assert "&lt;10" in trend  # three results: every count of the faculty is hidden


def test_university_dean_sees_every_faculty(
    client: FlaskClient, logged_in, campaign: Campaign
) -> None:
    logged_in("dean")
    html = client.get(f"/stats/campaign/{campaign.id}").get_data(as_text=True)
    assert "Law School" in html and "Computer Science" in html
    assert client.get("/stats/").status_code == 200


def test_dean_cannot_reach_identified_pages(
    app: Flask, client: FlaskClient, logged_in, campaign: Campaign
) -> None:
    logged_in("dean")
    # notify: the dean's own alert inbox; mfa and sso: their own account security and log-in
    allowed = {"stats", "main", "auth", "notify", "mfa", "sso"}
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.split(".")[0] in allowed:
            continue
        path = re.sub(r"<any\(([^,)]+)[^>]*>", r"\1", rule.rule)
        path = re.sub(r"<(?:[^:>]+:)?[^>]+>", "1", path)
        method = "GET" if "GET" in (rule.methods or set()) else "POST"
        response = client.open(path, method=method)
        assert response.status_code == 403, (rule.endpoint, response.status_code)
        checked += 1
    assert checked > 20


def test_students_and_counselors_cannot_see_statistics(
    client: FlaskClient, logged_in, campaign: Campaign
) -> None:
    logged_in("counselor")
    assert client.get("/stats/").status_code == 403
    assert client.get(f"/stats/campaign/{campaign.id}/export.csv").status_code == 403


def test_only_fixed_views_and_known_instruments(
    client: FlaskClient, logged_in, campaign: Campaign
) -> None:
    logged_in("admin")
    assert client.get(f"/stats/campaign/{campaign.id}/phq9/week.svg").status_code == 404
    assert client.get(f"/stats/campaign/{campaign.id}/gad7/faculty.svg").status_code == 404
    assert client.get("/stats/trend/unknown").status_code == 404
    assert client.get("/stats/campaign/999999").status_code == 404
    svg = client.get("/stats/trend/phq9.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"


def test_empty_state(client: FlaskClient, logged_in) -> None:
    logged_in("supervisor")
    html = client.get("/stats/").get_data(as_text=True)
    assert "There are no results yet" in html


def test_csv_export_escapes_formulas(
    client: FlaskClient, logged_in, db: Session, faculty: Faculty
) -> None:
    now = utcnow()
    found = Campaign(name="=HYPERLINK(1)", opens_at=now, closes_at=now + timedelta(days=1))
    db.add(found)
    db.flush()
    _records(db, found, faculty, CS_BANDS)
    db.flush()
    rebuild_counts(db)
    db.commit()
    publish_release(db)
    logged_in("admin")
    text = client.get(f"/stats/campaign/{found.id}/export.csv").get_data(as_text=True)
    assert "'=HYPERLINK(1)" in text
    assert "\n=HYPERLINK" not in text and not text.lstrip("\ufeff").startswith("=")


def test_refuses_to_start_with_a_minimum_below_five(instance) -> None:
    with pytest.raises(ConfigError, match="at least 5"):
        create_app(app_config(instance, SMALL_CELL_MINIMUM=4))


@pytest.fixture
def hostile_campaign(db: Session, faculty: Faculty) -> Campaign:
    """A faculty of 3, one of 12 with 11 positive, one of 40 with none and one of 57 = 50 + 7."""
    now = utcnow()
    found = Campaign(name="Hostile screening", opens_at=now, closes_at=now + timedelta(days=7))
    db.add(found)
    db.flush()
    _records(db, found, faculty, {"minimal": 60, "mild": 40, "moderate": 20})
    for code, bands in (
        ("THREE", {"mild": 3}),
        ("TWELVE", {"mild": 11, "minimal": 1}),
        ("FORTY", {"minimal": 40}),
        ("FIFTY", {"mild": 50, "minimal": 7}),
    ):
        fac = get_or_create_faculty(db, code, f"Faculty {code}", f"{code}学院")
        _records(db, found, fac, bands)
    db.flush()
    rebuild_counts(db)
    db.commit()
    publish_release(db)
    return found


@pytest.mark.parametrize("query", ["", "?min_cell=1", "?minimum=1&SMALL_CELL_MINIMUM=1&min=0"])
def test_hostile_faculties_on_page_chart_and_csv(
    client: FlaskClient, logged_in, hostile_campaign: Campaign, query: str
) -> None:
    """None of the hostile counts appears anywhere, whatever parameters are added."""
    logged_in("dean")
    cid = hostile_campaign.id
    html = client.get(f"/stats/campaign/{cid}{query}").get_data(as_text=True)
    # Positive screens (mild and moderate are positive here): the hostile rows hide their counts.
    for label, secret in (
        ("Faculty THREE", {"1", "2", "3"}),
        ("Faculty TWELVE", {"11", "1", "12"}),
        ("Faculty FORTY", {"0", "40"}),
        ("Faculty FIFTY", {"50", "7"}),
    ):
        cells = _row(html, label)
        assert not secret & set(cells), (label, cells)
    svg = client.get(f"/stats/campaign/{cid}/phq9/faculty.svg{query}").get_data(as_text=True)
    for secret in ("11", "50", "40"):
        assert f'data-value="{secret}"' not in svg
    text = client.get(f"/stats/campaign/{cid}/export.csv{query}").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    for r in rows:
        if r and r[0] in ("Faculty TWELVE", "Faculty FIFTY", "Faculty FORTY", "Faculty THREE"):
            assert not {"11", "12", "50", "57", "40", "3"} & set(r[1:]), r


@pytest.fixture
def three_campaigns(db: Session, law: Faculty) -> list[Campaign]:
    """Three campaigns in which the small Law School has 6 minimal and 6 mild results each."""
    found = []
    start = utcnow() - timedelta(days=300)
    for i in range(3):
        opens = start + timedelta(days=100 * i)
        campaign = Campaign(name=f"Round {i + 1}", opens_at=opens, closes_at=opens + timedelta(7))
        db.add(campaign)
        db.flush()
        _records(db, campaign, law, {"minimal": 6, "mild": 6})
        found.append(campaign)
    db.flush()
    rebuild_counts(db)
    db.commit()
    publish_release(db)
    return found


def test_small_faculty_sees_pooled_figures(
    client: FlaskClient, logged_in, three_campaigns: list[Campaign], law: Faculty, db: Session
) -> None:
    """Each campaign alone hides everything; the latest three pooled show a count of 18 (the
    other 18 stays hidden, since the empty severe bands could otherwise be pinned at 0)."""
    logged_in("dean", faculty=law)
    single = client.get(f"/stats/campaign/{three_campaigns[-1].id}").get_data(as_text=True)
    assert "6" not in _row(single, "Law School")
    page = client.get("/stats/pooled/phq9/3")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    cells = _row(html, "Law School")
    assert "18" in cells and cells[-1] == "36"
    assert client.get("/stats/pooled/phq9/4").status_code == 404  # fixed choices only
    svg = client.get("/stats/pooled/phq9/3/faculty.svg").get_data(as_text=True)
    assert 18 in _svg_values(svg)
    text = client.get("/stats/pooled/phq9/3.csv").get_data(as_text=True)
    law_rows = [r for r in csv.reader(io.StringIO(text)) if r and r[0] == "Law School"]
    assert law_rows and all("18" in r for r in law_rows)
    trend = client.get("/stats/trend/phq9").get_data(as_text=True)
    assert "only one campaign" not in trend


def test_one_campaign_trend_says_so(client: FlaskClient, logged_in, campaign: Campaign) -> None:
    """A trend of one campaign is not a lone dot: the page says there is only one campaign."""
    logged_in("dean")
    html = client.get("/stats/trend/phq9").get_data(as_text=True)
    assert "There is only one campaign so far" in html
