"""A 心理委员 reports a classmate who talked of death, a student asks to talk to someone, and the
counselor finds both in the queue: Chromium on a phone and a desktop in zh-Hans, axe-clean."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from screening.auth.contact import Contact, set_contact
from screening.cases.models import Case, OnCallShift
from screening.db import utcnow
from screening.notify.models import Alert
from screening.referrals.models import ReporterRole
from tests.browser.conftest import DESKTOP, PHONE, PageFactory, serious_violations, shot
from tests.browser.test_roles import enrol_authenticator, log_in


def _student(db, make_user, number: str, name: str, class_name: str = "计科2401班"):
    student = make_user("student", student_number=number, name=name)
    set_contact(
        db, student, Contact(phone="138 0013 8000", class_name=class_name, dorm="紫荆3-512")
    )
    db.commit()
    return student


def _submit(page) -> None:
    page.locator("form button[type=submit].primary").click()
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_reports_and_requests_reach_the_counselor(
    open_page: PageFactory, make_user, db, viewport
) -> None:
    tag = "phone" if viewport is PHONE else "desktop"
    counselor = make_user("counselor", name="王老师")
    now = utcnow()
    db.add(
        OnCallShift(
            user_id=counselor.id,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=8),
        )
    )
    member = _student(db, make_user, "20241001", "钱委员")
    db.add(ReporterRole(user_id=member.id, kind="class_committee"))
    db.commit()
    classmate = _student(db, make_user, "20241002", "赵同学")
    asking = _student(db, make_user, "20241003", "孙同学", class_name="软工2402班")

    # The class psychological committee member reports a classmate who talked of death.
    page = open_page(viewport, locale="zh-CN")
    log_in(page, "20241001")
    page.get_by_role("link", name="报告需要关注的同学").click()
    page.wait_for_load_state("networkidle")
    assert not serious_violations(page), serious_violations(page)
    page.locator("input[name=student_number]").fill("20241002")
    page.get_by_label("谈论死亡或自杀").check()
    page.get_by_label("几天内").check()
    page.locator("textarea[name=text]").fill("昨晚在宿舍说活着没意思")
    shot(page, f"referrals-{tag}-concern-form")
    _submit(page)
    assert page.locator("h1").inner_text() == "已收到"
    assert not serious_violations(page), serious_violations(page)
    shot(page, f"referrals-{tag}-concern-received")
    case = db.scalar(select(Case).where(Case.student_id == classmate.id))
    assert case is not None and (case.kind, case.tier) == ("concern", "crisis")
    assert db.scalar(select(Alert).where(Alert.recipient_id == counselor.id)) is not None
    page.get_by_role("link", name="我的报告").click()
    page.wait_for_load_state("networkidle")
    mine = page.locator("main").inner_text()
    assert "已收到" in mine and "20241002" in mine
    for hidden in ("危机", "赵同学", "活着没意思", "谈论死亡"):
        assert hidden not in mine
    assert not serious_violations(page), serious_violations(page)
    shot(page, f"referrals-{tag}-mine")

    # A student asks to talk to someone, by phone, in the afternoon.
    page = open_page(viewport, locale="zh-CN")
    log_in(page, "20241003")
    shot(page, f"referrals-{tag}-home")
    page.get_by_role("link", name="我想找人聊聊").click()
    page.wait_for_load_state("networkidle")
    assert not serious_violations(page), serious_violations(page)
    page.get_by_label("尽快：一两天内").check()
    page.get_by_label("电话").check()
    page.locator("select[name=contact_when]").select_option("afternoon")
    shot(page, f"referrals-{tag}-talk-form")
    _submit(page)
    assert "已收到你的请求" in page.content() and "心理老师会在" in page.content()
    assert not serious_violations(page), serious_violations(page)
    shot(page, f"referrals-{tag}-talk-received")
    request_case = db.scalar(select(Case).where(Case.student_id == asking.id))
    assert request_case is not None and request_case.kind == "self_referral"

    # The counselor's queue shows both, the request with the chosen way of contact.
    page = open_page(viewport, locale="zh-CN")
    log_in(page, counselor.username)
    enrol_authenticator(page)
    page.goto("/cases/")
    queue = page.locator("main").inner_text()
    assert "主动求助 · 电话 · 下午" in queue and "关注报告 · 谈论死亡或自杀" in queue
    assert not serious_violations(page), serious_violations(page)
    shot(page, f"referrals-{tag}-queue")
    page.goto(f"/cases/{case.id}")
    content = page.locator("main").inner_text()
    assert "钱委员" in content and "心理委员" in content and "活着没意思" in content
    assert not serious_violations(page), serious_violations(page)
    shot(page, f"referrals-{tag}-concern-case")
    page.goto(f"/cases/{request_case.id}")
    assert "电话" in page.locator("main").inner_text()
    assert not serious_violations(page), serious_violations(page)
    shot(page, f"referrals-{tag}-request-case")
