"""A student on a phone in Chinese recovers a forgotten password by e-mail (real SMTP)."""

from __future__ import annotations

import re

from flask import Flask

from screening.notify.services import MailSettings, deliver
from tests.browser.conftest import DESKTOP, PHONE, PageFactory, serious_violations, shot

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
