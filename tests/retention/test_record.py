"""A student's own record page: every staff look at their record, nothing about anyone else."""

from __future__ import annotations

import json

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from screening.audit.models import AuditEntry
from screening.campaigns.models import Assignment
from screening.cases.models import Case
from tests.conftest import log_in_fully, login_as
from tests.responses.conftest import answer, phq9


def _submit(client: FlaskClient, db, student, **answers: int) -> None:
    client.get("/screening/")
    assignment = db.scalar(select(Assignment).where(Assignment.student_id == student.id))
    client.post(f"/screening/{assignment.id}/consent", data={"agree": "1"})
    response = answer(client, assignment.id, phq9(**answers))
    assert response.status_code == 302


def _arrange(client: FlaskClient, db, make_user, make_campaign):
    counselor = make_user("counselor", name="王老师")
    make_campaign(["phq9"])
    student = make_user("student", student_number="20241111", name="李同学")
    other = make_user("student", student_number="20242222", name="张同学")
    for who, number in ((student, "20241111"), (other, "20242222")):
        login_as(client, number)
        _submit(client, db, who, q9=1)
        client.post("/auth/logout")
    cases = {c.student_id: c for c in db.scalars(select(Case))}
    return counselor, student, other, cases


def test_a_student_sees_each_staff_view_of_their_record_and_nothing_of_others(
    client: FlaskClient, make_user, make_campaign, db
) -> None:
    counselor, student, other, cases = _arrange(client, db, make_user, make_campaign)
    log_in_fully(client, db, counselor)
    assert client.get(f"/cases/{cases[student.id].id}").status_code == 200
    assert client.get(f"/cases/{cases[student.id].id}").status_code == 200
    assert client.post(f"/cases/{cases[other.id].id}/notes", data={"kind": "contact", "text": "x"})
    client.post("/auth/logout")

    login_as(client, "20241111")
    page = client.get("/screening/record").get_data(as_text=True)
    assert page.count("Opened your case") == 2
    assert "counselor" in page
    assert "Wrote a note in your case" not in page  # that was the other student's case
    assert "王老师" not in page  # names are off unless the install allows them
    assert "Your answers and saved drafts" in page and "Notice version v1" in page
    assert "Who sees your answers" in page  # the consent text itself
    client.post("/auth/logout")

    login_as(client, "20242222")
    page = client.get("/screening/record").get_data(as_text=True)
    assert "Opened your case" not in page
    assert page.count("Wrote a note in your case") == 1


def test_the_page_and_the_download_are_audited_and_hold_everything(
    client: FlaskClient, make_user, make_campaign, db
) -> None:
    counselor, student, _other, cases = _arrange(client, db, make_user, make_campaign)
    log_in_fully(client, db, counselor)
    client.get(f"/cases/{cases[student.id].id}")
    client.post("/auth/logout")
    login_as(client, "20241111")
    client.get("/screening/record")
    response = client.post("/screening/record/download")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    document = json.loads(response.data)
    assert document["contact"]["name"] == "李同学"
    assert [s["answers"]["q9"] for s in document["submissions"]] == [1]
    assert [a["action"] for a in document["accesses"]] == ["case.view"]
    assert document["accesses"][0]["role"] == "counselor"
    assert {h["category"] for h in document["held"]} >= {"answers", "scores", "cases"}
    assert [c["version"] for c in document["consents"]] == ["v1"]
    assert "张同学" not in response.get_data(as_text=True)
    actions = set(db.scalars(select(AuditEntry.action).where(AuditEntry.actor_id == student.id)))
    assert {"record.view", "record.download"} <= actions


def test_staff_names_only_where_the_install_allows(
    app: Flask, client: FlaskClient, make_user, make_campaign, db
) -> None:
    app.config["RECORD_SHOW_STAFF_NAMES"] = True
    counselor, student, _other, cases = _arrange(client, db, make_user, make_campaign)
    log_in_fully(client, db, counselor)
    client.get(f"/cases/{cases[student.id].id}")
    client.post("/auth/logout")
    login_as(client, "20241111")
    page = client.get("/screening/record").get_data(as_text=True)
    assert "王老师" in page


def test_chinese_page(client: FlaskClient, make_user, make_campaign, db) -> None:
    _arrange(client, db, make_user, make_campaign)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    login_as(client, "20241111")
    home = client.get("/home", follow_redirects=True).get_data(as_text=True)
    assert "保存多久、谁查看过" in home  # the home page's own link, beside the menu's
    page = client.get("/screening/record").get_data(as_text=True)
    assert "我的数据" in page and "Who accessed" not in page
