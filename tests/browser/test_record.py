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
