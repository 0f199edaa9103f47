"""Deans in Chromium, in Chinese, on a phone and a desktop: readable charts in severity colours,
hidden groups drawn as hidden, the release time on every view, and axe finds nothing serious."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page
from sqlalchemy.orm import Session

from screening.auth.models import Faculty
from screening.auth.services import get_or_create_faculty
from screening.campaigns.models import Campaign, CampaignInstrument
from screening.cases import intake
from screening.db import utcnow
from screening.stats.charts import PALETTE
from screening.stats.models import ScoreRecord
from screening.stats.services import rebuild_counts
from tests.browser.conftest import ARTIFACTS, DESKTOP, PHONE, PageFactory, serious_violations, shot
from tests.browser.test_roles import enrol_authenticator, log_in
from tests.stats.releasing import publish_release

#: Per faculty code: PHQ-9 bands of one campaign. Law is small (7), Arts is 12 with 11 mild.
RESULTS = {
    "CS": {"minimal": 60, "mild": 35, "moderate": 18, "moderately severe": 11, "severe": 10},
    "MED": {"minimal": 40, "mild": 30, "moderate": 12, "moderately severe": 6, "severe": 3},
    "LAW": {"minimal": 4, "mild": 3},
    "ART": {"mild": 11, "minimal": 1},
}
NAMES = {
    "MED": ("Medicine", "医学院"),
    "LAW": ("Law School", "法学院"),
    "ART": ("Arts", "美术学院"),
}


def _records(db: Session, campaign: Campaign, faculty: Faculty, bands: dict[str, int]) -> None:
    """De-identified PHQ-9 results as the submit service writes them."""
    for band, n in bands.items():
        for i in range(n):
            db.add(
                ScoreRecord(
                    campaign_id=campaign.id,
                    instrument_id="phq9",
                    instrument_version=1,
                    subscale="",
                    faculty_id=faculty.id,
                    cohort_year=2023 + i % 3,
                    band=band,
                    critical=band == "severe",
                    positive=band not in ("minimal", "mild"),
                    week="2026-W40",
                )
            )


@pytest.fixture
def university(db: Session, faculty: Faculty, make_user) -> dict[str, Faculty]:
    """Two campaigns of results in four faculties, some cases, and a published release."""
    faculties = {"CS": faculty}
    for code, (en, zh) in NAMES.items():
        faculties[code] = get_or_create_faculty(db, code, en, zh)
    start = utcnow() - timedelta(days=120)
    for i, name in enumerate(("2026 春季心理筛查", "2026 秋季心理筛查")):
        campaign = Campaign(
            name=name,
            opens_at=start + timedelta(days=90 * i),
            closes_at=start + timedelta(days=90 * i + 7),
        )
        campaign.instruments.append(CampaignInstrument(position=1, instrument_id="phq9", version=1))
        db.add(campaign)
        db.flush()
        for code, bands in RESULTS.items():
            _records(db, campaign, faculties[code], bands)
    db.flush()
    rebuild_counts(db)
    source = {"instrument": "phq9", "version": 1, "total": 20, "band": "severe", "fired": []}
    now = utcnow()
    for n in range(24):
        student = make_user("student", faculty=faculties["CS" if n % 3 else "MED"])
        case = intake.open_or_raise(db, student=student, kind="psych", tier="high", source=source)
        case.opened_at = now - timedelta(hours=30)
        case.due_at = now - timedelta(hours=6)
        if n % 2:
            case.acknowledged_at = now - timedelta(hours=25)
    db.commit()
    assert publish_release(db).status == "published"
    return faculties


def _check_page(page: Page, path: str, name: str) -> None:
    """Open a statistics page: release time shown, charts loaded, Chinese only, axe clean."""
    page.goto(path)
    page.wait_for_load_state("networkidle")
    text = (
        page.locator("main").inner_text()
        if page.locator("main").count()
        else page.inner_text("body")
    )
    assert "数据发布于" in text, path
    assert "No data" not in text and "Total" not in text and "总分" not in text, path
    for img in page.locator("figure.stats-chart img").all():
        assert img.evaluate("i => i.complete && i.naturalWidth > 0"), path
    shot(page, name)
    assert not serious_violations(page), (path, serious_violations(page))


def _check_chart_alone(page: Page, path: str, name: str) -> None:
    """A chart opened in its own tab draws in severity colours, in Chinese, with hidden groups."""
    response = page.goto(path)
    assert response is not None and response.ok
    svg = page.content()
    fills = set(re.findall(r'fill="(#[0-9a-f]{6})"', svg))
    assert {fill for fill, _ink in PALETTE} & fills, path  # the legend, at least
    assert "数据发布于" in svg and "No data" not in svg
    assert "已隐藏" in svg or "&lt;10" in svg  # suppressed groups are drawn and labelled
    drawn = page.locator("svg rect").evaluate_all("rs => rs.map(r => getComputedStyle(r).fill)")
    assert drawn and "rgb(0, 0, 0)" not in drawn  # styled under the CSP: not a black box
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))  # an SVG document has no full page


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("scope", ["university", "faculty"])
def test_dean_sees_readable_released_statistics(
    open_page: PageFactory,
    make_user,
    db: Session,
    university: dict[str, Faculty],
    scope: str,
    viewport: dict[str, int],
) -> None:
    dean = make_user("dean", faculty=university["LAW"] if scope == "faculty" else None)
    page = open_page(viewport)
    log_in(page, dean.username)
    enrol_authenticator(page)
    tag = f"{scope}-{'phone' if viewport is PHONE else 'desktop'}"
    _check_page(page, "/stats/", f"dean-index-{tag}")
    campaign = page.locator("ul.stats-list a").first
    href = campaign.get_attribute("href")
    assert href
    _check_page(page, href, f"dean-campaign-{tag}")
    html = page.content()
    if scope == "faculty":
        assert "计算机学院" not in html and "法学院" in html
    else:
        assert (
            "美术学院" in html
            and "11" not in page.locator("tr", has_text="美术学院").first.inner_text()
        )
    _check_page(page, "/stats/trend/phq9", f"dean-trend-{tag}")
    _check_page(page, "/stats/pooled/phq9/3", f"dean-pooled-{tag}")
    _check_page(page, "/stats/cases", f"dean-cases-{tag}")
    if viewport is DESKTOP:
        _check_chart_alone(page, f"{href}/phq9/faculty.svg", f"dean-chart-faculty-{tag}")
        _check_chart_alone(page, "/stats/trend/phq9.svg", f"dean-chart-trend-{tag}")
