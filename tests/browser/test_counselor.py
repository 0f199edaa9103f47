"""A counselor works a crisis case in Chromium, on a phone and a desktop, axe-clean."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from screening.cases import intake
from screening.cases.models import Case
from tests.browser.conftest import DESKTOP, PHONE, PageFactory, serious_violations, shot
from tests.browser.test_roles import enrol_authenticator, log_in

WHY = {
    "instrument": "phq9",
    "version": 1,
    "total": 1,
    "band": "minimal",
    "critical": True,
    "fired": [{"rule_id": "q9", "description": "PHQ-9 item 9 answered 'Several days' (1)"}],
}


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_counselor_works_a_crisis_case(open_page: PageFactory, make_user, db, viewport) -> None:
    counselor = make_user("counselor", name="王老师")
    student = make_user("student", name="李同学")
    case = intake.open_or_raise(db, student=student, kind="psych", tier="crisis", source=WHY)
    db.commit()
    tag = "phone" if viewport is PHONE else "desktop"
    page = open_page(viewport, locale="zh-CN")
    log_in(page, counselor.username)
    enrol_authenticator(page)
    page.goto("/cases/")
    assert "危机" in page.content()
    shot(page, f"cases-{tag}-queue")
    assert not serious_violations(page)
    page.locator(f"a[href='/cases/{case.id}']").first.click()
    assert "李同学" in page.content() and "item 9" in page.content()
    shot(page, f"cases-{tag}-detail")
    assert not serious_violations(page)
    page.get_by_role("button", name="记录首次联系").click()
    page.wait_for_load_state("networkidle")
    page.select_option("select[name=kind]", "contact")
    page.fill("textarea[name=text]", "电话联系，学生同意明天来访")
    page.get_by_role("button", name="保存记录").click()
    page.wait_for_load_state("networkidle")
    page.select_option("select[name=outcome]", "resolved_contacted")
    page.fill("textarea[name=note]", "已制定安全计划")
    page.get_by_role("button", name="结案销号").click()
    page.wait_for_load_state("networkidle")
    page.get_by_text("待签字销号").first.wait_for()
    shot(page, f"cases-{tag}-pending-signoff")
    assert not serious_violations(page)
    db.expire_all()
    assert db.scalar(select(Case.status)) == "pending_signoff"
