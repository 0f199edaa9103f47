"""A student reads their own record on a phone in Chinese: who looked, what is held, axe-clean."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from screening.cases.models import Case
from tests.browser.conftest import DESKTOP, PHONE, PageFactory, serious_violations, shot
from tests.browser.test_roles import log_in
from tests.conftest import log_in_fully, login_as
from tests.retention.test_record import _submit


def test_the_record_page_on_a_phone_in_chinese(
    open_page: PageFactory, client: FlaskClient, make_user, make_campaign, db
) -> None:
    counselor = make_user("counselor", name="王老师")
    make_campaign(["phq9"], name="秋季心理健康筛查")
    student = make_user("student", student_number="20245001", name="李同学")
    login_as(client, "20245001")
    _submit(client, db, student, q9=1)
    client.post("/auth/logout")
    case = db.scalar(select(Case).where(Case.student_id == student.id))
    log_in_fully(client, db, counselor)
    client.get(f"/cases/{case.id}")
    client.post("/auth/logout")

    page = open_page(PHONE)
    log_in(page, "20245001")
    page.locator("details.menu > summary").click()  # on a phone the links are in the menu
    page.get_by_role("link", name="我的数据").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "我的数据"
    table = page.get_by_role("region", name="谁访问过您的记录")
    assert "查看了您的个案" in table.inner_text() and "咨询师" in table.inner_text()
    assert "王老师" not in page.content()
    page.get_by_text("阅读知情同意书").click()
    assert page.get_by_text("谁能看到您的回答").is_visible()
    assert not serious_violations(page), serious_violations(page)
    shot(page, "record-phone-zh")
    with page.expect_download() as download:
        page.get_by_role("button", name="下载我的全部数据（JSON）").click()
    assert download.value.suggested_filename == "my-record.json"

    desktop = open_page(DESKTOP, locale="en-US")
    log_in(desktop, "20245001")
    desktop.goto("/screening/record")
    assert desktop.locator("h1").inner_text() == "My data"
    assert not serious_violations(desktop), serious_violations(desktop)
    shot(desktop, "record-desktop-en")


def test_a_supervisor_places_and_lifts_a_legal_hold_on_a_phone(
    open_page: PageFactory, make_user, db
) -> None:
    from screening.cases import intake
    from tests.browser.test_roles import enrol_authenticator

    supervisor = make_user("supervisor")
    student = make_user("student", name="李同学")
    why = {"instrument": "phq9", "version": 1, "total": 14, "band": "moderate", "fired": []}
    case = intake.open_or_raise(db, student=student, kind="psych", tier="crisis", source=why)
    db.commit()
    page = open_page(PHONE)
    log_in(page, supervisor.username)
    enrol_authenticator(page)
    page.goto(f"/cases/{case.id}")
    page.get_by_label("法定保留的原因").fill("学生家长投诉，调查期间保留全部记录")
    page.get_by_role("button", name="设置法定保留").click()
    page.wait_for_load_state("networkidle")
    assert "已设置法定保留" in page.content() and "学生家长投诉" in page.content()
    assert not serious_violations(page), serious_violations(page)
    page.locator("section.legal-hold").screenshot(path=str(shot(page, "hold-phone-zh")))
    page.get_by_role("button", name="解除法定保留").click()
    page.wait_for_load_state("networkidle")
    assert "法定保留已解除" in page.content()


def test_an_admin_is_told_in_chinese_that_a_period_is_too_short(
    open_page: PageFactory, live_app, make_user
) -> None:
    from tests.browser.test_roles import enrol_authenticator

    live_app.config["RETENTION_MINIMUM_DAYS"] = {"cases": 1825}
    admin = make_user("admin")
    page = open_page(PHONE)
    log_in(page, admin.username)
    enrol_authenticator(page)
    page.goto("/retention/policy")
    assert page.locator("h1").inner_text() == "数据保存期限"
    page.get_by_label("个案及记录（自结案起计算）").fill("365")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state("networkidle")
    assert "至少 1825 天" in page.content() and "未作任何更改" in page.content()
    assert not serious_violations(page), serious_violations(page)
    shot(page, "retention-policy-phone-zh")


def test_a_new_student_with_nothing_recorded(open_page: PageFactory, make_user) -> None:
    make_user("student", student_number="20245002")
    page = open_page(PHONE)
    log_in(page, "20245002")
    page.goto("/screening/record")
    assert "还没有其他人查看或修改过您的记录" in page.content()
    assert "只要您的账号存在" in page.content()  # contact data: kept with the account
    assert not serious_violations(page), serious_violations(page)
    shot(page, "record-phone-zh-empty")
