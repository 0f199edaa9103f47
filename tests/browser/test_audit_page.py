"""The audit log page on a phone: readable, filterable, and axe finds nothing serious."""

from __future__ import annotations

from screening.audit.services import append
from tests.browser.conftest import PHONE, PageFactory, serious_violations
from tests.browser.test_roles import enrol_authenticator, log_in


def test_audit_page_on_a_phone(open_page: PageFactory, make_user, db) -> None:
    admin = make_user("admin")
    for i in range(30):
        append(
            db, actor_id=admin.id, action="faculty.create", target_type="faculty", target_id=f"F{i}"
        )
    append(db, actor_id=None, action="keys.rotate", target_type="kek", target_id="k2")
    db.commit()
    page = open_page(PHONE)
    log_in(page, admin.username)
    enrol_authenticator(page)
    page.goto("/admin/audit/")
    assert page.locator("h1").inner_text() == "审计日志"
    assert not serious_violations(page), serious_violations(page)
    page.locator("select[name=action]").select_option("keys.rotate")
    page.locator("form.audit-filter button").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("table.audit-table tbody tr").count() == 1
    assert not serious_violations(page), serious_violations(page)
