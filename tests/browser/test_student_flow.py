"""A student takes a campaign on a phone in Chromium, in Chinese and English, axe-clean."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from screening.auth.services import get_or_create_cohort
from screening.campaigns.services import create_campaign
from screening.db import utcnow
from screening.responses.models import Submission
from tests.browser.conftest import PHONE, PageFactory, serious_violations, shot
from tests.browser.test_roles import log_in


@pytest.fixture
def campaign(live_app: Flask, db, faculty):
    """An open PHQ-9 + GAD-7 campaign for faculty CS, cohort 2024."""
    created = create_campaign(
        db,
        live_app.extensions["library"],
        name="秋季心理健康筛查",
        instruments=["phq9", "gad7"],
        steps={},
        faculties=[faculty],
        cohorts=[get_or_create_cohort(db, 2024)],
        opens_at=utcnow() - timedelta(days=1),
        closes_at=utcnow() + timedelta(days=9),
        show_results=True,
        consent_version="v1",
        reminder_days="",
        created_by=None,
    )
    db.commit()
    return created


def _answer_all(page, value: str) -> None:
    """Tap the answer with this value in every question shown."""
    for fieldset in page.locator("fieldset.item").all():
        option = fieldset.locator(f"input[type=radio][value='{value}']")
        if option.count():
            option.first.check()


@pytest.mark.parametrize(
    ("locale", "texts"),
    [
        (
            "zh-CN",
            {
                "start": "开始",
                "agree": "我同意，开始填写",
                "submit": "提交",
                "next": "下一份问卷",
                "crisis": "您不必独自面对",
                "missing": "有 7 道题需要您留意",
            },
        ),
        (
            "en-US",
            {
                "start": "Start",
                "agree": "I agree and want to start",
                "submit": "Submit",
                "next": "Next questionnaire",
                "crisis": "You do not have to face this alone",
                "missing": "7 questions need your attention",
            },
        ),
    ],
)
def test_student_completes_the_campaign_on_a_phone(
    open_page: PageFactory, make_user, campaign, db, locale: str, texts: dict[str, str]
) -> None:
    make_user("student", student_number="20241234")
    page = open_page(PHONE, locale=locale)
    tag = locale[:2]
    log_in(page, "20241234")
    page.goto("/screening/")
    shot(page, f"flow-{tag}-1-list")
    assert not serious_violations(page)
    page.get_by_role("link", name=texts["start"]).click()
    shot(page, f"flow-{tag}-2-consent")
    assert not serious_violations(page)
    page.get_by_role("button", name=texts["agree"]).click()
    # Two answers only: the page comes back with both kept and a message at each other item.
    page.locator("input[name=q1][value='1']").check()
    page.locator("input[name=q2][value='2']").check()
    page.get_by_role("button", name=texts["submit"]).click()
    assert texts["missing"] in page.content()
    assert page.locator("input[name=q1][value='1']").is_checked()
    assert page.locator("input[name=q2][value='2']").is_checked()
    shot(page, f"flow-{tag}-3-errors")
    assert not serious_violations(page)
    _answer_all(page, "0")
    page.locator("input[name=q9][value='1']").check()
    page.get_by_role("button", name=texts["submit"]).click()
    assert texts["crisis"] in page.content()
    assert "12356" in page.content()
    shot(page, f"flow-{tag}-4-crisis")
    assert not serious_violations(page)
    page.goto(page.url.split("/receipt")[0] + "/take")
    _answer_all(page, "0")
    page.get_by_role("button", name=texts["submit"]).click()
    shot(page, f"flow-{tag}-5-receipt")
    assert not serious_violations(page)
    # The layout fits a 360 px screen: nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert db.scalar(select(func.count()).select_from(Submission)) == 2
