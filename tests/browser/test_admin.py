"""A Chinese admin runs a season in Chromium: roster, consent, campaign, preview, open, extend,
close, then finds their own actions in the audit log and exports them; axe on every page."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Page

from screening.auth import mfa
from screening.auth.services import get_or_create_cohort, get_or_create_faculty
from screening.db import utcnow
from tests.browser.conftest import DESKTOP, PHONE, PageFactory, serious_violations, shot
from tests.browser.test_roles import enrol_authenticator, log_in
from tests.conftest import totp_code

HEADER = "student_number,name,email,faculty,cohort\n"
TYPO = HEADER + "20240001,张三,zhang@example.edu,CS,2024\n20240002,李四,li@example.edu,NOPE,2024\n"
FIXED = TYPO.replace("NOPE", "LAW")


def _ok(page: Page, name: str) -> None:
    """No serious accessibility problem, no English word left; keep a screenshot."""
    page.wait_for_load_state("networkidle")
    problems = serious_violations(page)
    assert not problems, (name, problems)
    shot(page, f"admin-{name}")


def _click(page: Page, selector: str) -> None:
    page.locator(selector).first.click()
    page.wait_for_load_state("networkidle")


def test_a_chinese_admin_runs_a_screening_season(
    open_page: PageFactory, make_user, db, faculty, tmp_path: Path
) -> None:
    get_or_create_faculty(db, "LAW", "Law School", "法学院")
    get_or_create_cohort(db, 2024)
    db.commit()
    admin = make_user("admin", username="admin.zh")
    page = open_page(DESKTOP)
    log_in(page, admin.username)
    enrol_authenticator(page)

    # Roster: one bad faculty code is refused with its line; fixed, it imports.
    roster = tmp_path / "roster.csv"
    roster.write_text(TYPO, encoding="utf-8")
    page.goto("/admin/roster")
    _ok(page, "roster")
    page.locator("input[name=roster]").set_input_files(str(roster))
    _click(page, "form button.primary")
    errors = page.locator("table.errors").inner_text()
    assert "3" in errors and "院系代码 NOPE 不存在" in errors
    _ok(page, "roster-refused")
    roster.write_text(FIXED, encoding="utf-8")
    page.locator("input[name=roster]").first.set_input_files(str(roster))
    _click(page, "form button.primary")
    assert "新增学生" in page.locator("main").inner_text()
    _ok(page, "roster-preview")
    page.locator("form[action='/admin/roster/import'] input[name=roster]").set_input_files(
        str(roster)
    )
    _click(page, "form[action='/admin/roster/import'] button.primary")
    assert "名单已导入：新增 2 人" in page.locator(".flashes").inner_text()

    # A new consent notice version, in both languages.
    page.goto("/campaigns/consent")
    _ok(page, "consent")
    page.locator("textarea[name=text_zh]").fill("## 2027 春季说明\n本次筛查约需十分钟。")
    page.locator("textarea[name=text_en]").fill("## Spring 2027\nThis screening takes ten minutes.")
    _click(page, "form button.primary")
    assert "知情同意书 v2 已保存" in page.locator(".flashes").inner_text()

    # The campaign: PHQ-2, then PHQ-9 only after a positive PHQ-2, and ASQ for everyone.
    page.goto("/campaigns/new")
    _ok(page, "builder")
    order = page.locator("input[name=order]").get_attribute("value") or ""
    while order.split(",").index("phq2") > order.split(",").index("phq9"):
        _click(page, "button[value='up:phq2']")
        order = page.locator("input[name=order]").get_attribute("value") or ""
    for code in ("phq2", "phq9", "asq"):
        page.locator(f"#use-{code}").check()
    page.locator("#step-phq9").select_option("phq2")
    page.locator("input[name=name]").fill("2027 春季心理健康筛查")
    page.get_by_label("CS · 计算机学院").check()
    page.get_by_label("LAW · 法学院").check()
    page.get_by_label("2024", exact=True).check()
    opens = utcnow() + timedelta(days=3)
    page.locator("input[name=opens_at]").fill(opens.strftime("%Y-%m-%dT%H:%M"))
    page.locator("input[name=closes_at]").fill(
        (opens + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M")
    )
    page.locator("select[name=consent_version]").select_option("v2")
    # ASQ has no validated Chinese wording: this campaign serves English readers only.
    page.get_by_label("简体中文", exact=True).uncheck()
    _click(page, "form.builder button.primary")
    assert "筛查活动已创建" in page.locator(".flashes").inner_text()
    main = page.locator("main").inner_text()
    assert "仅在 phq2 结果为阳性后填写" in main and "CS, LAW" in main
    _ok(page, "campaign")
    detail = "/campaigns/" + page.url.rstrip("/").rsplit("/", 1)[1]

    # The preview as a student on a phone, in Chinese: the v2 notice, then PHQ-2.
    phone = open_page(PHONE)
    log_in(phone, admin.username)
    phone.locator("input[name=code]").fill(totp_code(db, admin, mfa.secret_of(db, admin) or ""))
    _click(phone, "form button[type=submit].primary")
    phone.goto(detail + "/preview?lang=zh_Hans")
    assert "本次筛查约需十分钟。" in phone.locator("main").inner_text()
    _ok(phone, "preview-consent-phone")
    _click(phone, "a.button >> nth=0")
    assert phone.locator("input[type=radio]").count() >= 2
    _ok(phone, "preview-page2-phone")

    # Open it, extend it, close it.
    page.goto(detail)
    _click(page, "form[action$='/open'] button")
    assert "筛查活动已开始" in page.locator(".flashes").inner_text()
    later = (opens + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    page.locator("form[action$='/extend'] input[name=closes_at]").fill(later)
    _click(page, "form[action$='/extend'] button")
    assert "筛查活动已延期；将通过邮件通知 2 名" in page.locator(".flashes").inner_text()
    _ok(page, "campaign-open")
    page.locator("input[name=confirm]").check()
    _click(page, "form[action$='/close'] button")
    assert "筛查活动已结束" in page.locator(".flashes").inner_text()
    _ok(page, "campaign-closed")

    # The admin's own actions in the audit log, then exported.
    page.goto("/admin/audit/")
    page.locator("input[name=actor]").fill(admin.username)
    _click(page, "form.audit-filter button.primary")
    table = page.locator("table.audit-table").inner_text()
    for label in (
        "已导入名单",
        "已创建筛查活动",
        "筛查活动已开始",
        "筛查活动已延期",
        "筛查活动提前结束",
    ):
        assert label in table, label
    _ok(page, "audit")
    with page.expect_download() as download:
        page.locator("a[href*='export.csv']").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "campaign.extend" in exported and "roster.import" in exported
    _click(page, "form[action$='/verify'] button")
    assert "条链校验通过" in page.locator(".audit-status").inner_text()
    page.goto("/admin/keys")
    _ok(page, "keys")
