"""An admin on a phone in Chinese is told, in Chinese, which instrument lacks which language."""

from __future__ import annotations

import pytest

from tests.browser.conftest import DESKTOP, PHONE, PageFactory, serious_violations, shot
from tests.browser.test_roles import enrol_authenticator, log_in


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_campaign_form_names_the_missing_language(
    open_page: PageFactory, make_user, faculty, db, viewport: dict[str, int]
) -> None:
    from screening.auth.services import get_or_create_cohort

    get_or_create_cohort(db, 2024)
    db.commit()
    admin = make_user("admin")
    page = open_page(viewport)
    log_in(page, admin.username)
    enrol_authenticator(page)
    page.goto("/campaigns/new")
    assert page.locator("label[for=languages]").inner_text() == "所服务学生使用的语言"
    page.locator("#name").fill("秋季筛查")
    page.locator("#instruments").fill("phq9, who5")
    page.select_option("#faculties", index=0)
    page.select_option("#cohorts", index=0)
    page.locator("#opens_at").fill("2026-09-01T08:00")
    page.locator("#closes_at").fill("2026-09-30T18:00")
    page.locator("form button[type=submit].primary").click()
    page.wait_for_load_state("networkidle")
    error = page.locator(".field", has=page.locator("#instruments"))
    assert "who5 没有经过验证的简体中文版本。" in error.inner_text()
    shot(page, f"campaign-languages-{'phone' if viewport is PHONE else 'desktop'}")
    assert not serious_violations(page), serious_violations(page)
