"""A student takes a campaign on a phone in Chromium, in Chinese and English, axe-clean."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from screening.auth.services import get_or_create_cohort
from screening.campaigns.centre import Centre, save_counselling_centre
from screening.campaigns.services import create_campaign
from screening.db import utcnow
from screening.responses.models import Submission
from tests.browser.conftest import DESKTOP, PHONE, PageFactory, serious_violations, shot
from tests.browser.test_roles import enrol_authenticator, log_in


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
        if option.count() and fieldset.is_visible():
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
    page.locator("input[name=phq9-q1][value='1']").check()
    page.locator("input[name=phq9-q2][value='2']").check()
    page.get_by_role("button", name=texts["submit"]).click()
    assert texts["missing"] in page.content()
    assert page.locator("input[name=phq9-q1][value='1']").is_checked()
    assert page.locator("input[name=phq9-q2][value='2']").is_checked()
    shot(page, f"flow-{tag}-3-errors")
    assert not serious_violations(page)
    _answer_all(page, "0")
    page.locator("input[name=phq9-q9][value='1']").check()
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


#: What the student ticks on each page, in order (PHQ-2 positive, so PHQ-9 is asked).
TICKED = {
    "phq2": {"q1": 2, "q2": 1},
    "phq9": {"q1": 1, "q2": 2, "q3": 0, "q4": 3, "q5": 1, "q6": 0, "q7": 2, "q8": 1, "q9": 0},
    "asq": {"q1": 0, "q2": 0, "q3": 0, "q4": 0},
    "gad7": {"q1": 3, "q2": 0, "q3": 1, "q4": 2, "q5": 0, "q6": 1, "q7": 2},
}


def _tick(page, instrument: str, answers: dict[str, int]) -> None:
    for item, value in answers.items():
        page.locator(f"input[name='{instrument}-{item}'][value='{value}']").check()


def _nothing_ticked(page) -> bool:
    return page.locator("input[type=radio]:checked").count() == 0


def test_back_and_forward_between_pages_store_exactly_what_was_ticked(
    open_page: PageFactory, make_user, live_app: Flask, db, faculty
) -> None:
    create_campaign(
        db,
        live_app.extensions["library"],
        name="秋季心理健康筛查",
        instruments=["phq2", "phq9", "asq", "gad7"],
        steps={"phq9": "phq2"},
        # ASQ has no validated Chinese wording: the campaign serves English readers, and the
        # Chinese interface still shows every word around the English questionnaire in Chinese.
        languages=["en"],
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
    make_user("student", student_number="20245678")
    page = open_page(PHONE, locale="zh-CN")
    log_in(page, "20245678")
    page.goto("/screening/")
    page.get_by_role("link", name="开始").click()
    page.get_by_role("button", name="我同意，开始填写").click()
    # One line of header: the menu holds the language choice and log-out.
    header = page.locator("header.site").bounding_box()
    assert header is not None and header["height"] <= 56
    assert not page.locator("#lang-select").is_visible()
    page.locator("details.menu > summary").click()
    assert page.locator("#lang-select").is_visible()
    assert page.locator(".menu-panel").get_by_role("link", name="我的筛查").is_visible()
    shot(page, "menu-zh-phone")
    assert not serious_violations(page)
    page.locator("details.menu > summary").click()
    for n, (instrument, answers) in enumerate(TICKED.items()):
        assert page.locator("input[name=instrument]").input_value() == instrument
        assert _nothing_ticked(page)
        counter = page.locator("#answered")
        assert counter.inner_text() == f"已答 0/{len(answers)}"
        if instrument == "asq":
            # Question 5 only once one of 1-4 is "Yes" (the script; the server decides too).
            q5 = page.locator("#item-asq-q5")
            assert not q5.is_visible()
            page.locator("input[name='asq-q2'][value='1']").check()
            assert q5.is_visible() and counter.inner_text() == "已答 1/5"
            shot(page, "take-zh-phone-asq")
            page.locator("input[name='asq-q2'][value='0']").check()
            assert not q5.is_visible()
        _tick(page, instrument, answers)
        assert counter.inner_text() == f"已答 {len(answers)}/{len(answers)}"
        if n == 1:
            shot(page, "take-zh-phone")
            assert not serious_violations(page)
        if n == len(TICKED) - 1:
            # Back and Forward on the last page before submitting: nothing stale comes back.
            page.go_back(wait_until="load")
            page.go_forward(wait_until="load")
            assert page.locator("input[name=instrument]").input_value() == instrument
            _tick(page, instrument, answers)
        page.get_by_role("button", name="提交").click()
        page.wait_for_url("**/receipt/**")
        page.wait_for_load_state("networkidle")  # the post and its redirect are done
        if n == len(TICKED) - 1:
            break
        # Back from the receipt: the page asked now (the next questionnaire), empty.
        page.go_back(wait_until="load")
        assert page.locator("input[name=instrument]").input_value() == list(TICKED)[n + 1]
        assert _nothing_ticked(page)
        assert not serious_violations(page)
        page.go_forward(wait_until="load")
        assert "/receipt/" in page.url
        page.get_by_role("link", name="下一份问卷").click()
    page.goto("/screening/")
    page.locator("details.my-answers summary").click()
    downloaded: dict[str, dict] = {}
    buttons = page.locator("form[action$='/json'] button")
    assert buttons.count() == len(TICKED)
    for i in range(buttons.count()):
        with page.expect_download() as info:
            buttons.nth(i).click()
        document = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
        downloaded[document["instrument"]] = document["answers"]
    assert downloaded == TICKED


CENTRE = Centre(
    name_zh="学生心理发展指导中心",
    name_en="Student Counselling Centre",
    phone="010-6278-2007",
    place_zh="紫荆学生公寓 C 楼 2 层",
    place_en="Zijing Apartments, Building C, 2nd floor",
    hours_zh="周一至周五 8:00–17:00",
    hours_en="Monday to Friday, 8:00–17:00",
    after_hours_phone="010-6278-5555",
)


@pytest.mark.parametrize(
    ("viewport", "locale", "texts"),
    [
        (PHONE, "zh-CN", {"submit": "提交", "continue": "继续", "contact": "前与您联系"}),
        (
            DESKTOP,
            "en-US",
            {"submit": "Submit", "continue": "Continue", "contact": "contact you by"},
        ),
    ],
)
def test_crisis_page_shows_the_universitys_centre_first(
    open_page: PageFactory, make_user, campaign, db, viewport, locale: str, texts: dict[str, str]
) -> None:
    save_counselling_centre(db, CENTRE, admin_id=make_user("admin").id)
    db.commit()
    make_user("student", student_number="20243333")
    page = open_page(viewport, locale=locale)
    name = f"{locale[:2]}-{'phone' if viewport is PHONE else 'desktop'}"
    log_in(page, "20243333")
    page.goto("/screening/")
    page.locator("a.button.primary").first.click()
    page.locator("button[name=agree]").click()
    _answer_all(page, "0")
    page.locator("input[name=phq9-q9][value='2']").check()
    shot(page, f"take-{name}")
    assert not serious_violations(page)
    page.get_by_role("button", name=texts["submit"]).click()
    centre = page.locator(".centre")
    assert centre.is_visible()
    # The centre comes first, above the national lines, with a call button.
    call = centre.locator("a.call.centre-call")
    assert call.get_attribute("href") == "tel:01062782007"
    box, national = call.bounding_box(), page.locator("ul.resources").bounding_box()
    assert box is not None and national is not None and box["y"] < national["y"]
    if viewport is PHONE:
        assert box["y"] + box["height"] <= PHONE["height"]  # reachable without scrolling
    assert texts["contact"] in page.locator(".contact-by").inner_text()
    shot(page, f"crisis-{name}")
    assert not serious_violations(page)
    page.get_by_role("link", name=texts["continue"]).click()
    _answer_all(page, "1")
    page.get_by_role("button", name=texts["submit"]).click()
    assert "/receipt/" in page.url
    shot(page, f"receipt-{name}")
    assert not serious_violations(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def test_admin_sets_the_centre_on_a_phone(open_page: PageFactory, make_user) -> None:
    make_user("admin", username="centre.admin")
    page = open_page(PHONE, locale="zh-CN")
    log_in(page, "centre.admin")
    enrol_authenticator(page)
    page.goto("/campaigns/crisis-lines")
    values = {
        "name_zh": CENTRE.name_zh,
        "name_en": CENTRE.name_en,
        "phone": "010-6278-20O7",  # a letter O for a zero: refused, the rest kept
        "place_zh": CENTRE.place_zh,
        "place_en": CENTRE.place_en,
        "hours_zh": CENTRE.hours_zh,
        "hours_en": CENTRE.hours_en,
    }
    for name, value in values.items():
        page.locator(f"input[name=centre-{name}]").fill(value)
    page.get_by_role("button", name="保存咨询中心信息").click()
    assert "请用数字填写电话号码" in page.locator("#centre-phone-error").inner_text()
    assert page.locator("input[name=centre-name_en]").input_value() == CENTRE.name_en
    shot(page, "crisis-lines-zh-phone-error")
    assert not serious_violations(page)
    page.locator("input[name=centre-phone]").fill(CENTRE.phone)
    page.get_by_role("button", name="保存咨询中心信息").click()
    assert "心理咨询中心信息已保存" in page.content()
    assert page.locator("input[name=centre-phone]").input_value() == CENTRE.phone
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
