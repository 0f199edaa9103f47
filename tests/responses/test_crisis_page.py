"""The crisis page: the university's own centre first, tap to call, and when it will call."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from sqlalchemy import func, select

from screening.audit.models import AuditEntry
from screening.campaigns.centre import phone_ok, tel
from screening.campaigns.models import Assignment, CounsellingCentre
from screening.cases.models import Case
from screening.db import utcnow
from tests.responses.conftest import answer, phq9

CENTRE = {
    "section": "centre",
    "centre-name_zh": "清华大学学生心理发展指导中心",
    "centre-name_en": "Student Counselling Centre",
    "centre-phone": "010-6278-2007",
    "centre-place_zh": "紫荆学生公寓 C 楼 2 层",
    "centre-place_en": "Zijing Apartments, Building C, 2nd floor",
    "centre-hours_zh": "周一至周五 8:00–17:00",
    "centre-hours_en": "Monday to Friday, 8:00–17:00",
    "centre-after_hours_phone": "010 6278 5555",
}


def _set_centre(client: FlaskClient, logged_in, **changes: str):
    logged_in("admin")
    response = client.post("/campaigns/crisis-lines", data={**CENTRE, **changes})
    client.post("/auth/logout")
    return response


def test_the_centre_is_stored_in_both_languages(client: FlaskClient, logged_in, db) -> None:
    logged_in("admin")
    saved = client.post("/campaigns/crisis-lines", data=CENTRE)
    assert saved.status_code == 302
    row = db.scalar(select(CounsellingCentre))
    assert (row.name_zh, row.name_en) == (
        "清华大学学生心理发展指导中心",
        "Student Counselling Centre",
    )
    assert (row.place_zh, row.hours_en) == (CENTRE["centre-place_zh"], CENTRE["centre-hours_en"])
    assert row.after_hours_phone == "010 6278 5555"
    page = client.get("/campaigns/crisis-lines").get_data(as_text=True)
    assert 'value="Student Counselling Centre"' in page and "12356" in page  # both forms kept
    edited = client.post(
        "/campaigns/crisis-lines", data={**CENTRE, "centre-phone": "010-1111-2222"}
    )
    assert edited.status_code == 302
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(CounsellingCentre)) == 1
    assert db.scalar(select(CounsellingCentre.phone)) == "010-1111-2222"
    edits = select(func.count()).where(AuditEntry.action == "counselling_centre.edit")
    assert db.scalar(edits) == 2


def test_a_bad_phone_is_refused_with_a_message_and_nothing_is_lost(
    client: FlaskClient, logged_in, db
) -> None:
    logged_in("admin")
    for bad in ("call us", "12", "010-6278-2007 ext. 5", "+"):
        page = client.post("/campaigns/crisis-lines", data={**CENTRE, "centre-phone": bad})
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "Write a phone number in digits" in html
        assert 'value="Student Counselling Centre"' in html  # the rest is kept on the page
    page = client.post(
        "/campaigns/crisis-lines", data={**CENTRE, "centre-name_en": "", "centre-hours_zh": ""}
    )
    assert page.get_data(as_text=True).count("This field is required") == 2
    assert db.scalar(select(func.count()).select_from(CounsellingCentre)) == 0
    with client.session_transaction() as session:
        session["lang"] = "zh_Hans"
    page = client.post("/campaigns/crisis-lines", data={**CENTRE, "centre-phone": "x"})
    assert "请用数字填写电话号码" in page.get_data(as_text=True)


def test_the_hotlines_form_still_works_beside_the_centre(
    client: FlaskClient, logged_in, db
) -> None:
    logged_in("admin")
    client.post("/campaigns/crisis-lines", data=CENTRE)
    saved = client.post("/campaigns/crisis-lines", data={"lines": "报警 | Police | 110"})
    assert saved.status_code == 302
    page = client.get("/campaigns/crisis-lines").get_data(as_text=True)
    assert "报警 | Police | 110" in page and 'value="010-6278-2007"' in page


def test_phone_numbers() -> None:
    assert phone_ok("010-6278-2007") and phone_ok("+86 10 6278 2007") and phone_ok("120")
    assert not any(phone_ok(x) for x in ("", "12", "abc", "010-", "1-2", "010;drop", "+"))
    assert tel("+86 10-6278 2007") == "+861062782007"


def _crisis(client: FlaskClient, logged_in, make_campaign, db, lang: str = "zh_Hans") -> str:
    make_campaign(["phq9", "gad7"])
    student = logged_in("student")
    with client.session_transaction() as session:
        session["lang"] = lang
    client.get("/screening/")
    assignment = db.scalar(select(Assignment).where(Assignment.student_id == student.id))
    client.post(f"/screening/{assignment.id}/consent", data={"agree": "1"})
    response = answer(client, assignment.id, phq9(q9=1))
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_crisis_page_shows_the_centre_first_and_when_it_will_call(
    app, client: FlaskClient, logged_in, make_campaign, db
) -> None:
    _set_centre(client, logged_in)
    html = _crisis(client, logged_in, make_campaign, db)
    centre = html.index("清华大学学生心理发展指导中心")
    assert centre < html.index("12356")  # the university's own centre before national lines
    assert 'href="tel:01062782007"' in html and "拨打 010-6278-2007" in html
    assert 'href="tel:01062785555"' in html
    assert "紫荆学生公寓 C 楼 2 层" in html and "周一至周五 8:00–17:00" in html
    case = db.scalar(select(Case))
    assert case is not None and case.due_at - case.opened_at == timedelta(hours=1)
    local = case.due_at.astimezone(ZoneInfo("Asia/Shanghai"))
    now_local = utcnow().astimezone(local.tzinfo)
    day = "今天" if local.date() == now_local.date() else "明天"
    assert f"心理咨询中心的老师会在{day} {local:%H:%M} 前与您联系" in html
    # The support block of every student page lists the centre too.
    assert 'href="tel:01062782007"' in client.get("/home").get_data(as_text=True)


def test_the_crisis_page_in_english_and_without_a_centre(
    client: FlaskClient, logged_in, make_campaign, db
) -> None:
    html = _crisis(client, logged_in, make_campaign, db, "en")
    assert "Someone from the counselling centre will contact you by" in html
    assert "Opening hours" not in html  # no centre set: the national lines only
    assert 'href="tel:12356"' in html


def test_once_a_counsellor_acknowledged_no_time_is_promised(
    client: FlaskClient, logged_in, make_campaign, db
) -> None:
    make_campaign(["phq9", "gad7"])
    student = logged_in("student")
    client.get("/screening/")
    assignment = db.scalar(select(Assignment).where(Assignment.student_id == student.id))
    client.post(f"/screening/{assignment.id}/consent", data={"agree": "1"})
    receipt = answer(client, assignment.id, phq9(q9=1)).headers["Location"]
    case = db.scalar(select(Case))
    case.acknowledged_at = utcnow()
    db.commit()
    assert "will contact you by" not in client.get(receipt).get_data(as_text=True)
    case.acknowledged_at, case.due_at = None, utcnow() - timedelta(minutes=5)
    db.commit()
    assert "as soon as possible" in client.get(receipt).get_data(as_text=True)
