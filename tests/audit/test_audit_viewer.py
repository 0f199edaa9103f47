"""The audit page: names, filters by date, actor, action and target, paging, audited CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.audit.models import AuditEntry
from screening.audit.routes import PAGE
from screening.audit.services import append
from screening.db import utcnow


def _table(page: str) -> str:
    return page.split('<table class="audit-table">', 1)[1].split("</table>", 1)[0]


def test_a_persons_actions_found_by_name_filtered_and_exported(
    client: FlaskClient, logged_in, make_user, db: Session
) -> None:
    admin = logged_in("admin")
    counselor = make_user("counselor", name="王老师", username="counselor.wang")
    student = make_user("student", student_number="2024123456", name="张三")
    append(db, actor_id=counselor.id, action="case.view", target_type="case", target_id="7")
    append(
        db, actor_id=counselor.id, action="user.view", target_type="user", target_id=str(student.id)
    )
    append(db, actor_id=admin.id, action="faculty.create", target_type="faculty", target_id="LAW")
    db.commit()
    page = _table(client.get("/admin/audit/?actor=counselor.wang").get_data(as_text=True))
    assert "王老师" in page and "Case viewed" in page and "Person viewed" in page
    assert "张三" in page  # the target person by name
    assert "Faculty created" not in page
    by_target = _table(client.get("/admin/audit/?target=2024123456").get_data(as_text=True))
    assert "Person viewed" in by_target and "Case viewed" not in by_target
    by_case = _table(client.get("/admin/audit/?target=case+7").get_data(as_text=True))
    assert "Case viewed" in by_case and "Person viewed" not in by_case
    nobody = client.get("/admin/audit/?actor=nobody.here").get_data(as_text=True)
    assert "Nobody has exactly this identifier" in nobody
    today = utcnow().date()
    future = client.get(f"/admin/audit/?since={today + timedelta(days=2)}").get_data(as_text=True)
    assert "No entries." in future
    export = client.get("/admin/audit/export.csv?actor=counselor.wang")
    assert export.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["time_utc", "actor", "action"]
    assert {r[2] for r in rows[1:]} == {"case.view", "user.view"}
    assert all(r[1] == "王老师 (counselor.wang)" for r in rows[1:])
    exported = db.scalar(select(AuditEntry).where(AuditEntry.action == "audit.export"))
    assert exported is not None and exported.actor_id == admin.id


def test_paging_and_chinese_labels(client: FlaskClient, logged_in, db: Session) -> None:
    logged_in("admin")
    for i in range(PAGE + 5):
        append(db, actor_id=None, action="faculty.create", target_type="faculty", target_id=f"F{i}")
    db.commit()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    first = client.get("/admin/audit/?action=faculty.create").get_data(as_text=True)
    assert "第 1 页，共 2 页" in first and "已创建院系" in first
    second = client.get("/admin/audit/?action=faculty.create&page=2").get_data(as_text=True)
    assert second.count("<tr>") == 5 + 1  # five entries and the header row


def test_keys_page_is_read_only_and_counts(client: FlaskClient, logged_in, make_user, db) -> None:
    logged_in("admin")
    make_user("student")
    page = client.get("/admin/keys").get_data(as_text=True)
    assert "Key ring" in page and "Shredded data keys" in page and "never" in page
    main = page.split("<main", 1)[1].split("</main>")[0]
    assert "<form" not in main  # read-only: changes stay on the command line


def test_keys_page_shows_when_the_worker_last_anchored_the_chains(
    app, client: FlaskClient, logged_in, db
) -> None:
    from pathlib import Path

    from screening.audit.anchoring import anchor_to_file

    logged_in("admin")
    page = client.get("/admin/keys").get_data(as_text=True)
    assert "none recorded" in page
    assert anchor_to_file(db, Path(app.config["AUDIT_ANCHOR_PATH"])).written
    db.commit()
    page = client.get("/admin/keys").get_data(as_text=True)
    assert "none recorded" not in page
