"""Each role logs in on a phone and a desktop, sees its own pages, and axe finds nothing serious."""

from __future__ import annotations

import pytest

from tests.browser.conftest import DESKTOP, PHONE, PageFactory, serious_violations, shot
from tests.conftest import PASSWORD

ROLES = ("student", "counselor", "supervisor", "dean", "admin")


def log_in(page, login: str, password: str = PASSWORD) -> None:
    """Fill the log-in form as a person would."""
    page.goto("/auth/login")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill(password)
    page.locator("form button[type=submit].primary").click()
    page.wait_for_load_state("networkidle")


def enrol_authenticator(page) -> None:
    """Staff land on enrolment: start it, read the key as a person types it, confirm a code."""
    import pyotp

    assert page.url.endswith("/auth/mfa/setup")
    assert not serious_violations(page)
    page.locator("form button[type=submit].primary").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("img.mfa-qr").evaluate("img => img.naturalWidth") > 0
    assert not serious_violations(page)
    secret = page.locator("code.mfa-secret").inner_text()
    page.locator("input[name=code]").fill(pyotp.TOTP(secret).now())
    page.locator("form button[type=submit].primary").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("ul.mfa-codes li").count() == 10
    assert not serious_violations(page)
    page.locator("a.button.primary").click()
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("role", ROLES)
def test_role_logs_in_and_pages_are_accessible(
    open_page: PageFactory, make_user, role: str, viewport: dict[str, int]
) -> None:
    kwargs = {"student_number": "20249999"} if role == "student" else {}
    user = make_user(role, **kwargs)
    login = user.username or "20249999"
    page = open_page(viewport)
    page.goto("/auth/login")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert not serious_violations(page)
    log_in(page, login)
    if role != "student":
        enrol_authenticator(page)
    assert page.url.endswith("/home")
    name = f"{role}-{'phone' if viewport is PHONE else 'desktop'}"
    shot(page, f"home-{name}")
    assert not serious_violations(page), serious_violations(page)
    # The navigation shows exactly what the role may open; every link opens without error.
    links = [a.get_attribute("href") for a in page.locator("nav.main-nav a").all()]
    for href in links:
        response = page.goto(href or "/")
        assert response is not None and response.status == 200, href
        shot(page, f"{name}{(href or '/').replace('/', '-')}")
        violations = serious_violations(page)
        assert not violations, (href, violations)
    if role != "admin":
        response = page.goto("/admin/users")
        assert response is not None and response.status == 403


def test_english_and_switching_language(open_page: PageFactory, make_user) -> None:
    make_user("student", student_number="20248888")
    page = open_page(PHONE, locale="en-US")
    page.goto("/auth/login")
    assert page.locator("h1").inner_text() == "Log in"
    page.locator("details.menu > summary").click()  # the language choice is in the menu
    page.select_option("#lang-select", "zh_Hans")
    page.locator("form.lang button").click()
    assert page.locator("h1").inner_text() == "登录"
    shot(page, "login-phone-zh")
    log_in(page, "20248888")
    assert "欢迎" in page.locator("h1").inner_text()


def test_wrong_password_shows_one_generic_message(open_page: PageFactory, make_user) -> None:
    make_user("counselor")
    page = open_page(PHONE, locale="en-US")
    log_in(page, "nobody", "whatever whatever whatever")
    assert "Unknown user or wrong password." in page.content()
    shot(page, "login-error-phone")
    assert not serious_violations(page)
