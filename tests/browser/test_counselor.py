"""A counselor works a crisis case in Chromium, on a phone and a desktop, axe-clean: from the
alert to the student's phone number and answers in one click, the queue finds the student by
number, first contact, a note and a close-out with its plans."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from screening.auth.contact import set_contact
from screening.cases.models import Case
from tests.browser.conftest import DESKTOP, PHONE, PageFactory, serious_violations, shot
from tests.browser.test_roles import enrol_authenticator, log_in
from tests.cases.conftest import CONTACT, submit_answers


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_counselor_works_a_crisis_case(
    open_page: PageFactory, live_app, make_user, make_campaign, db, viewport
) -> None:
    counselor = make_user("counselor", name="王老师")
    class_counselor = make_user("counselor", name="赵辅导员", faculties=[])
    student = make_user("student", name="李同学", student_number="20245555")
    set_contact(db, student, CONTACT)
    student.class_counselor_id = class_counselor.id
    db.commit()
    make_campaign(["phq9"])
    answers = {f"q{i}": 1 for i in range(1, 10)} | {"q2": 2}
    case = submit_answers(live_app, db, student, "phq9", answers)
    assert case is not None and case.tier == "crisis"
    tag = "phone" if viewport is PHONE else "desktop"
    page = open_page(viewport, locale="zh-CN")
    log_in(page, counselor.username)
    enrol_authenticator(page)

    # The alert says what it is about; one click opens the case on the phone number.
    page.goto("/inbox/")
    alert = page.locator("li.alert-crisis").first
    assert "危机" in alert.inner_text() and f"个案 {case.id}" in alert.inner_text()
    assert page.locator(".nav-count").first.inner_text().startswith("1")
    shot(page, f"cases-{tag}-alerts")
    assert not serious_violations(page)
    alert.get_by_role("button", name="确认并打开").click()
    page.wait_for_load_state("networkidle")
    tel = page.locator("a.tel[href='tel:13800138000']")
    assert tel.is_visible() and "138 0013 8000" in tel.inner_text()
    content = page.content()
    assert "赵辅导员" in content and "计科2401班" in content and "李建国" in content
    assert "做事时提不起劲或没有兴趣" in content and "有不如死掉" in content
    assert page.locator("tr.flagged").count() == 1
    shot(page, f"cases-{tag}-detail")
    assert not serious_violations(page)

    # The queue finds the student by number.
    page.goto("/cases/")
    page.fill("input[name=q]", "20245555")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(f"a[href='/cases/{case.id}']").count() == 1
    assert "李同学" in page.content()
    shot(page, f"cases-{tag}-queue-search")
    assert not serious_violations(page)
    page.goto("/cases/")
    shot(page, f"cases-{tag}-queue")
    assert not serious_violations(page)

    # Work the case: first contact, a contact note, close-out with the plans.
    page.goto(f"/cases/{case.id}")
    assert page.locator("select[name=outcome]").count() == 0  # no close-out before contact
    page.get_by_role("button", name="记录首次联系").click()
    page.wait_for_load_state("networkidle")
    page.select_option("select[name=kind]", "contact")
    page.fill("textarea[name=text]", "电话联系，学生同意明天来访")
    page.get_by_role("button", name="保存记录").click()
    page.wait_for_load_state("networkidle")
    page.select_option("select[name=outcome]", "resolved_contacted")
    page.fill("textarea[name=note]", "已面谈两次")
    page.fill("textarea[name=plan]", "每周约谈一次，持续一个月；两周后复测")
    page.check("input[name=safety_plan]")
    page.get_by_role("button", name="结案销号").click()
    page.wait_for_load_state("networkidle")
    page.get_by_text("待签字销号").first.wait_for()
    shot(page, f"cases-{tag}-pending-signoff")
    assert not serious_violations(page)
    db.expire_all()
    assert db.scalar(select(Case.status)) == "pending_signoff"
