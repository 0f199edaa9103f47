"""A student on a phone in Chinese recovers a forgotten password by e-mail (real SMTP)."""

from __future__ import annotations

import re

from flask import Flask

from screening.notify.services import MailSettings, deliver
from tests.browser.conftest import DESKTOP, PHONE, PageFactory, serious_violations, shot
from tests.conftest import PASSWORD

NUMBER = "2024123401"
NEW = "春天的湖边有三只白鹭在安静地觅食"


def test_a_student_resets_a_forgotten_password_on_a_phone_in_chinese(
    open_page: PageFactory, live_app: Flask, make_user, smtp
) -> None:
    box, controller = smtp
    make_user("student", student_number=NUMBER, email="xiaoming@example.edu")
    page = open_page(PHONE, locale="zh-CN")
    page.goto("/auth/login")
    page.get_by_role("link", name="忘记密码？").click()
    assert page.url.endswith("/auth/forgot")
    assert not serious_violations(page)
    shot(page, "reset-zh-1-forgot")
    page.get_by_label("学号、电子邮箱或用户名").fill(NUMBER)
    page.get_by_role("button", name="发送链接到我的邮箱").click()
    page.get_by_role("heading", name="请查收邮件").wait_for()
    assert not serious_violations(page)
    shot(page, "reset-zh-2-sent")

    settings = MailSettings(
        "127.0.0.1", controller.port, "screening@example.edu", live_app.config["LIVE_URL"]
    )
    assert deliver(live_app.extensions["sessionmaker"], settings) == (1, 0)
    (mail,) = box.messages
    assert mail["To"] == "xiaoming@example.edu" and "重设密码" in mail["Subject"]
    link = re.search(r"http://127\.0\.0\.1:\d+/auth/reset/\S+", mail.get_content())
    assert link, mail.get_content()

    page.goto(link.group(0))
    assert page.url.endswith("/auth/reset")  # the token left the address bar
    page.get_by_label("新密码", exact=True).fill(NUMBER + "123456")
    page.get_by_label("再次输入新密码").fill(NUMBER + "123456")
    page.get_by_role("button", name="设置新密码").click()
    assert "密码不能以您的学号、用户名或邮箱名为基础" in page.content()
    assert not serious_violations(page)
    shot(page, "reset-zh-3-refused")
    page.get_by_label("新密码", exact=True).fill(NEW)
    page.get_by_label("再次输入新密码").fill(NEW)
    page.get_by_role("button", name="设置新密码").click()
    page.wait_for_url("**/auth/login")
    assert "新密码已设置" in page.content()
    shot(page, "reset-zh-4-done")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.locator("input[name=login]").fill(NUMBER)
    page.locator("input[name=password]").fill(NEW)
    page.locator("form button[type=submit].primary").click()
    page.wait_for_load_state("networkidle")
    assert "/auth/login" not in page.url
    shot(page, "reset-zh-5-logged-in")

    desktop = open_page(DESKTOP, locale="zh-CN")
    desktop.goto(link.group(0))
    assert "此链接已失效" in desktop.content()  # used once, never again
    assert not serious_violations(desktop)
    shot(desktop, "reset-zh-6-used-desktop")


def test_a_throttled_student_is_shown_the_way_back_in(open_page: PageFactory, make_user) -> None:
    make_user("student", student_number=NUMBER)
    page = open_page(PHONE, locale="zh-CN")
    page.goto("/auth/login")
    for _ in range(10):  # LOGIN_ACCOUNT_ATTEMPTS
        page.locator("input[name=login]").fill(NUMBER)
        page.locator("input[name=password]").fill("这不是正确的密码这不是正确的密码")
        page.locator("form button[type=submit].primary").click()
        page.wait_for_load_state("networkidle")
    page.locator("input[name=login]").fill(NUMBER)
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_response("**/auth/login") as answer:
        page.locator("form button[type=submit].primary").click()
    assert answer.value.status == 429
    page.wait_for_load_state("networkidle")
    response_text = page.content()
    assert "此账号密码错误次数过多" in response_text and "忘记密码" in response_text
    assert not serious_violations(page)
    shot(page, "reset-zh-7-throttled")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_break_glass_asks_for_a_fresh_code_after_five_minutes(
    open_page: PageFactory, make_user, db, monkeypatch
) -> None:
    import pyotp

    from screening.auth import clock, mfa
    from screening.auth.services import get_or_create_faculty
    from screening.cases import intake
    from tests.browser.test_roles import enrol_authenticator, log_in

    law = get_or_create_faculty(db, "LAW", "Law", "法学院")
    db.commit()
    counselor = make_user("counselor", faculties=[law])
    student = make_user("student", name="李同学")
    source = {"instrument": "phq9", "version": 1, "total": 22, "band": "severe", "fired": []}
    case = intake.open_or_raise(db, student=student, kind="psych", tier="high", source=source)
    db.commit()
    page = open_page(DESKTOP, locale="zh-CN")
    log_in(page, counselor.username)
    enrol_authenticator(page)
    later = clock.now() + 6 * 60
    monkeypatch.setattr(clock, "now", lambda: later)
    page.goto(f"/cases/{case.id}/break-glass")
    assert page.locator("input[name=code]").count() == 1
    assert not serious_violations(page)
    shot(page, "breakglass-zh-code")
    page.fill("textarea[name=reason]", "学生深夜来电，提到了这个个案，需要立即查看")
    secret = mfa.secret_of(db, counselor)
    assert secret is not None
    page.locator("input[name=code]").fill(pyotp.TOTP(secret).at(int(later)))
    page.get_by_role("button", name="临时查阅一小时（破窗访问）").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/cases/{case.id}") and "李同学" in page.content()
