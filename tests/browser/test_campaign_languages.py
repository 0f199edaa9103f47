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
    languages = page.locator("fieldset", has=page.locator("input[name=languages]"))
    assert languages.locator("legend").inner_text() == "所服务学生使用的语言"
    assert languages.get_by_label("简体中文", exact=True).is_checked()
    page.locator("#name").fill("秋季筛查")
    page.locator("#use-phq9").check()
    page.locator("#use-who5").check()
    page.locator("input[name=faculties]").first.check()
    page.locator("input[name=cohorts]").first.check()
    page.locator("#opens_at").fill("2026-09-01T08:00")
    page.locator("#closes_at").fill("2026-09-30T18:00")
    page.locator("form.builder button.primary").click()
    page.wait_for_load_state("networkidle")
    assert "who5 没有经过验证的简体中文版本。" in page.locator("p.flash-error").inner_text()
    shot(page, f"campaign-languages-{'phone' if viewport is PHONE else 'desktop'}")
    assert not serious_violations(page), serious_violations(page)
